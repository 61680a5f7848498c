"""The restoration pages in Chromium: upload, follow the job tile by tile, compare before and after, download."""
from __future__ import annotations

import re

import pytest

from restoration.models import Restoration
from tests.restoration.test_restoration_app import specked, tiff_bytes
from tests.support import browser_login, screenshot


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_restore_a_scan_follow_its_tiles_compare_and_download(page, live_server, users, celery_worker_process,
                                                              tmp_path):
    # given: a 16-bit RGB scan with specks, large enough that detection takes a few polls of the progress bar
    image, _ = specked(2048, 3072, seed=5)
    scan = tmp_path / "frame.tif"
    scan.write_bytes(tiff_bytes(image))
    messages = []
    page.on("response", lambda r: messages.append(r.json().get("message", ""))
            if "/api/jobs/" in r.url and r.ok else None)
    browser_login(page, live_server, "annotator", "annotator")
    # when: they upload it with the default method
    page.goto(f"{live_server.url}/restoration/")
    assert "(default)" in page.inner_text("#method option:checked")
    page.set_input_files("#image", str(scan))
    page.click("[data-testid=restore-form] button[type=submit]")
    # then: the job page follows the detection tile by tile, and shows the result when it is done
    page.wait_for_selector("#compare-viewer", timeout=240_000)
    tiles = [m for m in messages if re.fullmatch(r"detecting damage: tile \d+ of \d+", m)]
    assert tiles, messages
    record = Restoration.objects.get()
    assert record.width == 3072 and record.bit_depth == 16 and record.info["damaged_fraction"] > 0
    # and: the comparison holds both images, the slider moves the split, the mask can be shown
    page.wait_for_function("window.__compare && window.__compare.world.getItemCount() === 2")
    page.eval_on_selector("#compare-slider", "el => { el.value = 20; el.dispatchEvent(new Event('input')); }")
    clip = page.evaluate("(() => { const c = window.__compare.world.getItemAt(1).getClip(); "
                         "return [c.x, c.width]; })()")
    assert clip == pytest.approx([0.2 * 3072, 0.8 * 3072])
    page.check("#show-mask")
    page.wait_for_function("window.__compare.world.getItemCount() === 3")
    screenshot(page, "restoration-compare")
    # and: the restored scan downloads as a 16-bit TIFF of the same size, the mask as a PNG
    links = page.eval_on_selector_all("[data-testid=downloads] a", "els => els.map(a => a.href)")
    restored, mask = (page.request.get(links[0]), page.request.get(links[1]))
    assert restored.ok and restored.body()[:4] in (b"II*\x00", b"MM\x00*")
    assert mask.ok and mask.body()[:8] == b"\x89PNG\r\n\x1a\n"
