"""The polygon counts a person reads on the annotation pages agree (issue 16, "Done when"): each demo dataset's
count in the list of datasets equals the sum over its scans on its own page, and its artefact table's total,
for a researcher and for an annotator who shares the demo scan with a second annotator."""
from __future__ import annotations

import pytest

from annotation.demo import DEMO_DATASET, PUBLIC_DATASET, load_demo
from annotation.models import AnnotationSet, Polygon
from tests.support import browser_login, needs_public_data, screenshot

DATASET_ROWS = "h2:has-text('Annotation sets') + table tbody tr"
SCAN_POLYGONS = "h2:has-text('Scans') + table tbody tr td:nth-child(4)"
CLASS_COUNTS = "[data-testid=stats-table] tbody tr td:nth-child(2)"


def number(text: str) -> int:
    return int(text.replace(",", "").replace("\u202f", "").strip())


def listed_counts(page) -> dict[str, tuple[int, int, str]]:
    """The list of datasets: name -> (scans, polygons, the dataset page's address)."""
    rows = {}
    for row in page.locator(DATASET_ROWS).all():
        cells = row.locator("td").all_inner_texts()
        if len(cells) >= 3:
            rows[cells[0].strip()] = (number(cells[1]), number(cells[2]),
                                      row.locator("td a").first.get_attribute("href"))
    return rows


def check_datasets(page, live_server, names: list[str]) -> dict[str, int]:
    page.goto(f"{live_server.url}/annotation/")
    listed = listed_counts(page)
    assert sorted(listed) == sorted(names), listed
    seen = {}
    for name in names:
        scans, polygons, href = listed[name]
        page.goto(f"{live_server.url}{href}")
        per_scan = [number(t) for t in page.locator(SCAN_POLYGONS).all_inner_texts()]
        per_class = [number(t) for t in page.locator(CLASS_COUNTS).all_inner_texts()]
        assert len(per_scan) == scans, name
        assert polygons == sum(per_scan) == sum(per_class), (name, polygons, per_scan, per_class)
        seen[name] = polygons
    return seen


@needs_public_data
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_demo_datasets_polygon_counts_equal_the_sums_of_their_scans(page, live_server, users):
    # given the demo's annotation content: the public dataset, and the demo scan assigned to two annotators
    load_demo(log=lambda line: None)
    demo = AnnotationSet.objects.get(name=DEMO_DATASET)
    assert demo.scans.get().assignments.count() == 2
    stored = {name: Polygon.objects.filter(scan__dataset__name=name).count() for name in (DEMO_DATASET,
                                                                                          PUBLIC_DATASET)}
    # when a researcher reads the list of datasets and each dataset's page
    browser_login(page, live_server, "researcher", "researcher")
    seen = check_datasets(page, live_server, [DEMO_DATASET, PUBLIC_DATASET])
    screenshot(page, "annotation-dataset-counts")
    # then each count is the stored number of polygons, counted once whatever the number of annotators
    assert seen == stored
    # and an annotator sees the one dataset that holds their scan, with the same count
    page.context.clear_cookies()
    browser_login(page, live_server, "annotator", "annotator")
    assert check_datasets(page, live_server, [DEMO_DATASET]) == {DEMO_DATASET: stored[DEMO_DATASET]}
