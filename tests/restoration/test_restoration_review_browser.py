"""The restorer's workbench in Chromium (issue 13): upload a scan, wait for detection, review it in the editor
(reject one component with the keyboard, draw a missed one), repair, and check the downloaded image."""
from __future__ import annotations

import numpy as np
import pytest

from imaging.io import read_image
from restoration.core.components import components_from_document, components_to_mask
from restoration.models import Restoration
from tests.restoration.test_restoration_app import specked, tiff_bytes
from tests.support import browser_login, screenshot, wait_for_job


def click_image(page, x: float, y: float) -> None:
    p = page.evaluate("([x, y]) => window.__annotator.imageToScreen(x, y)", [x, y])
    page.mouse.click(p["x"], p["y"])


def clean_box(specks: np.ndarray, side: int = 14) -> tuple[int, int]:
    """The top-left corner of a side x side box with no speck within 8 px of it (the missed damage goes there)."""
    h, w = specks.shape
    for y in range(20, h - side - 20, 7):
        for x in range(20, w - side - 20, 7):
            if not specks[max(0, y - 8):y + side + 8, max(0, x - 8):x + side + 8].any():
                return x, y
    raise AssertionError("no clean box")


def draw_missed_box(page, x0: int, y0: int, side: int = 14) -> None:
    """Draw a side x side missed damage at (x0, y0) with the draw tool (D, four clicks, Enter) and wait for the save."""
    page.evaluate("window.__annotator.viewer.viewport.goHome(true)")
    page.evaluate("window.__annotator.settled()")
    page.keyboard.press("d")
    for x, y in [(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side)]:
        click_image(page, x, y)
    page.keyboard.press("Enter")
    page.evaluate("window.__annotator.idle()")
    page.wait_for_selector("[data-testid=save-status]:has-text('Saved')")


def stored_review(scan, rejected_id: int) -> tuple[dict, list, list]:
    """The review as the server holds it: the polygons by id, the rejected one's points and the one added's."""
    polygons = {p.pk: p for p in scan.polygons.all()}
    assert polygons[rejected_id].status == "rejected"
    added = [p for p in polygons.values() if p.status == "added"]
    assert len(added) == 1
    return polygons, polygons[rejected_id].points, added[0].points


def repair_and_wait(page):
    """Press Repair in the editor and wait for the repair job to succeed."""
    page.click("[data-testid=review-repair]")
    page.wait_for_selector("[data-testid=review-result] a.review-page-link", timeout=30_000)
    job = wait_for_job(int(page.get_attribute("[data-testid=review-result]", "data-job")), timeout=180)
    assert job.state == "succeeded", job.error
    return job


def assert_repair_honours_review(restored, image, specks, rejected_points, added_points) -> None:
    """The rejected component's region is the input bit for bit (a speck was there), the added one changed."""
    comps = components_from_document([{"points": rejected_points}, {"points": added_points}],
                                     width=image.shape[1], height=image.shape[0])
    rejected_mask = components_to_mask(comps[:1], image.shape[:2])
    added_mask = components_to_mask(comps[1:], image.shape[:2])
    assert rejected_mask.any() and (specks & rejected_mask).any()  # a speck was there, and it was left alone
    np.testing.assert_array_equal(restored[rejected_mask], image[rejected_mask])
    assert np.any(restored != image, axis=-1)[added_mask].mean() > 0.5


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_review_reject_one_add_one_repair_and_download(page, live_server, users, celery_worker_process, tmp_path):
    # given: a 16-bit RGB scan with clear white specks (the dust & scratches filter finds them deterministically)
    image, specks = specked(320, 480, seed=5)
    path = tmp_path / "frame.tif"
    path.write_bytes(tiff_bytes(image))
    browser_login(page, live_server, "annotator", "annotator")
    # when: the restorer uploads it and waits for the detection
    page.goto(f"{live_server.url}/restoration/")
    page.select_option("#method", "dust-scratches")
    page.set_input_files("#image", str(path))
    page.click("[data-testid=restore-form] button[type=submit]")
    page.wait_for_selector("[data-testid=review-link]", timeout=180_000)
    record = Restoration.objects.get()
    assert record.review_scan is not None and record.review_scan.polygons.count() >= 3
    # and: opens the review (the editor on the restoration's review scan)
    page.click("[data-testid=review-link]")
    page.wait_for_function("window.__annotator !== undefined")
    page.evaluate("window.__annotator.ready")
    page.evaluate("window.__annotator.settled()")
    shown = page.evaluate("window.__annotator.polygons()")
    assert {p["status"] for p in shown} == {"proposed"}
    # and: with the keyboard alone, steps to the second component and rejects it
    page.keyboard.press("n")
    page.keyboard.press("Tab")
    page.keyboard.press("x")
    rejected_id = page.evaluate("window.__annotator.selectedId()")
    assert rejected_id == shown[1]["id"]
    assert "Component 2 of" in page.inner_text("[data-testid=review-position]")
    # and: draws a missed damage where there is none (draw tool D, four clicks, Enter)
    draw_missed_box(page, *clean_box(specks))
    counts = page.inner_text("[data-testid=review-counts]")
    assert "1 rejected" in counts and "1 added" in counts
    screenshot(page, "restoration-review")
    # then: the server holds the review
    polygons, rejected_points, added_points = stored_review(record.review_scan, rejected_id)
    # when: they repair
    repair_and_wait(page)
    page.wait_for_selector("[data-testid=review-result][data-state=succeeded]")  # the editor followed the job
    page.wait_for_function("ids => window.__annotator.polygons().every((p) => !ids.includes(p.id))",
                           arg=list(polygons))  # and shows the polygons the repair stored again
    page.click("[data-testid=review-result] a.review-page-link")
    page.wait_for_selector("[data-testid=repair-info]")
    page.wait_for_function("window.__compare && window.__compare.world.getItemCount() === 2")
    page.click("[data-testid=compare-1to1]")
    zoom = page.evaluate("(() => { const v = window.__compare; "
                         "return v.world.getItemAt(1).viewportToImageZoom(v.viewport.getZoom()); })()")
    assert zoom == pytest.approx(1 / page.evaluate("window.devicePixelRatio"), rel=0.05)
    screenshot(page, "restoration-repaired-1to1")
    # then: the downloaded repaired image is the input, bit for bit, in the rejected region, changed in the added one
    href = page.eval_on_selector("[data-testid=downloads] a", "a => a.href")
    restored = read_image(page.request.get(href).body())
    assert restored.dtype == image.dtype and restored.shape == image.shape
    assert_repair_honours_review(restored, image, specks, rejected_points, added_points)
    # and: the component list downloads as JSON with the review's statuses
    doc = page.request.get(page.eval_on_selector("[data-testid=components-download]", "a => a.href")).json()
    assert sorted(c["status"] for c in doc["components"]).count("rejected") == 1
    assert [c["status"] for c in doc["components"]].count("added") == 1
