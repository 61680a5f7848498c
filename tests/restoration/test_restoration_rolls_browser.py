"""A roll in Chromium: choose two scans at once, follow both jobs on the roll's page, download the roll's zip."""
from __future__ import annotations

import io
import zipfile

import pytest

from imaging.io import encode_image
from restoration.models import Roll
from tests.restoration.test_restoration_app import specked
from tests.support import browser_login, screenshot


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_upload_two_scans_as_a_roll_follow_them_and_download_the_zip(page, live_server, users, celery_worker_process,
                                                                     tmp_path):
    # given two scans of one film
    paths = []
    for i, name in enumerate(("frame-1.png", "frame-2.tif")):
        image, _ = specked(160, 240, seed=30 + i)
        path = tmp_path / name
        path.write_bytes(encode_image(image, fmt="PNG" if name.endswith("png") else "TIFF"))
        paths.append(str(path))
    browser_login(page, live_server, "annotator", "annotator")
    # when they are chosen at once on the rolls page, with the roll's defaults
    page.goto(f"{live_server.url}/restoration/")
    page.click("[data-testid=rolls-link]")
    page.set_input_files("#roll-images", paths)
    page.fill("#roll-name", "box 3")
    page.select_option("#roll-method", "dust-scratches")
    page.click("[data-testid=roll-form] button[type=submit]")
    # then the roll's page follows both jobs live and shows each scan proposed for review when done
    page.wait_for_selector("[data-testid=roll-scans]")
    page.wait_for_function("document.querySelectorAll('[data-testid=scan-status][data-status=proposed]').length === 2",
                           timeout=180_000)
    roll = Roll.objects.get()
    assert roll.name == "box 3" and roll.scans.count() == 2
    # and each detected scan links to its review in the editor
    page.reload()
    links = page.locator("[data-testid=scan-review]")
    assert links.count() == 2
    assert sorted(links.nth(i).get_attribute("href") for i in range(2)) == sorted(
        f"/restoration/{r.pk}/review/" for r in roll.scans.all())
    screenshot(page, "restoration-roll")
    # and the roll's zip holds both restored scans and their masks
    href = page.get_attribute("[data-testid=roll-download]", "href")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.ok
    names = sorted(zipfile.ZipFile(io.BytesIO(response.body())).namelist())
    assert names == ["masks/frame-1-mask.png", "masks/frame-2-mask.png", "restored/frame-1-restored.png",
                     "restored/frame-2-restored.tif", "roll.json"]
