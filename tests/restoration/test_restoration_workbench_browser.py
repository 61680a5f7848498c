"""Issue 13's whole workbench in Chromium, as its "Done when" says: upload two scans as a roll, wait for detection,
reject a false component and add a missed one in the review editor, repair, and check in the roll's zip that the
rejected region is the input bit for bit and the added region changed, with both scans' results in the zip."""
from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from imaging.io import encode_image, read_image
from restoration.models import Roll
from tests.restoration.test_restoration_app import specked
from tests.restoration.test_restoration_review_browser import (
    assert_repair_honours_review,
    clean_box,
    draw_missed_box,
    repair_and_wait,
    stored_review,
)
from tests.support import browser_login, screenshot


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_roll_review_repair_and_zip(page, live_server, users, celery_worker_process, tmp_path):
    # given: two 16-bit scans of one film with clear white specks (dust & scratches finds them deterministically)
    scans = {}
    for i, name in enumerate(("frame-1.tif", "frame-2.tif")):
        image, specks = specked(320, 480, seed=40 + i)
        (tmp_path / name).write_bytes(encode_image(image, fmt="TIFF"))
        scans[name] = (image, specks)
    browser_login(page, live_server, "annotator", "annotator")
    # when: the restorer uploads them as a roll and waits for both detections
    page.goto(f"{live_server.url}/restoration/rolls/")
    page.set_input_files("#roll-images", [str(tmp_path / n) for n in scans])
    page.fill("#roll-name", "box 7")
    page.select_option("#roll-method", "dust-scratches")
    page.click("[data-testid=roll-form] button[type=submit]")
    page.wait_for_function("document.querySelectorAll('[data-testid=scan-status][data-status=proposed]').length === 2",
                           timeout=180_000)
    roll = Roll.objects.get()
    roll_url = page.url
    page.reload()
    first = roll.scans.get(original_name="frame-1.tif")
    image, specks = scans["frame-1.tif"]
    # and: opens the first scan's review from the roll's page
    page.click(f"tr[data-restoration='{first.pk}'] [data-testid=scan-review]")
    page.wait_for_function("window.__annotator !== undefined")
    page.evaluate("window.__annotator.ready")
    page.evaluate("window.__annotator.settled()")
    shown = page.evaluate("window.__annotator.polygons()")
    assert len(shown) >= 2 and {p["status"] for p in shown} == {"proposed"}
    # and: rejects the first component with the keyboard (N selects it, X rejects it)
    page.keyboard.press("n")
    page.keyboard.press("x")
    rejected_id = page.evaluate("window.__annotator.selectedId()")
    # and: draws a missed damage where there is none (D, four clicks, Enter); the server holds the review
    draw_missed_box(page, *clean_box(specks))
    _, rejected_points, added_points = stored_review(first.review_scan, rejected_id)
    # and: repairs
    repair_and_wait(page)
    # then: the roll's page says the first scan is repaired and the second still proposed
    page.goto(roll_url)
    statuses = {el.get_attribute("data-status") for el in page.query_selector_all("[data-testid=scan-status]")}
    assert statuses == {"repaired", "proposed"}
    screenshot(page, "restoration-workbench-roll")
    # and: the roll's zip holds both results and masks, the first as repaired from the review
    response = page.request.get(f"{live_server.url}{page.get_attribute('[data-testid=roll-download]', 'href')}")
    assert response.ok
    archive = zipfile.ZipFile(io.BytesIO(response.body()))
    assert sorted(archive.namelist()) == ["masks/frame-1-mask.png", "masks/frame-2-mask.png",
                                          "restored/frame-1-restored.tif", "restored/frame-2-restored.tif",
                                          "roll.json"]
    assert {s["name"]: s["status"] for s in json.loads(archive.read("roll.json"))["scans"]} == {
        "frame-1.tif": "repaired", "frame-2.tif": "proposed"}
    restored = read_image(archive.read("restored/frame-1-restored.tif"))
    assert restored.dtype == image.dtype and restored.shape == image.shape
    assert_repair_honours_review(restored, image, specks, rejected_points, added_points)
    # and: the second scan's result is its detection's repair (its specks changed)
    second_image, second_specks = scans["frame-2.tif"]
    second = read_image(archive.read("restored/frame-2-restored.tif"))
    assert np.any(second != second_image, axis=-1)[second_specks].mean() > 0.5
