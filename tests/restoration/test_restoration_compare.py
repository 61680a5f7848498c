"""The before/after comparison as a person sees it on a 1366 x 768 screen: the slider and the image in view
without scrolling, a divider drawn on the image at the split, the damage share in per cent."""
from __future__ import annotations

import pytest

from restoration import services
from tests.restoration.test_restoration_app import specked, tiff_bytes
from tests.support import browser_login, screenshot


@pytest.fixture
def finished_restoration(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    image, _ = specked(300, 480, seed=3)
    record = services.restoration_create(user=users["annotator"], image=tiff_bytes(image), filename="frame.tif",
                                         method="dust-scratches", enqueue=False)
    services.restoration_run(record=record)
    record.refresh_from_db()
    return record


@pytest.mark.django_db
def test_the_damage_share_is_given_in_per_cent(client, users, finished_restoration):
    client.force_login(users["annotator"])
    body = client.get(f"/restoration/{finished_restoration.pk}/").content.decode()
    import re

    shown = re.search(r"damage found on (\d+\.\d\d)% of the pixels", body)
    assert shown, body
    assert float(shown[1]) == pytest.approx(100 * finished_restoration.info["damaged_fraction"], abs=0.006)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_slider_image_and_divider_are_in_view_at_1366_by_768(browser, live_server, users, finished_restoration):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        browser_login(page, live_server, "annotator", "annotator")
        page.goto(f"{live_server.url}/restoration/{finished_restoration.pk}/")
        page.wait_for_function("window.__compare && window.__compare.world.getItemCount() === 2")
        page.wait_for_function("!document.getElementById('compare-divider').hidden")
        # then: without scrolling, the slider and the whole viewer lie inside the window
        assert page.evaluate("window.scrollY") == 0
        slider = page.locator("#compare-slider").bounding_box()
        viewer = page.locator("#compare-viewer").bounding_box()
        assert slider["y"] >= 0 and slider["y"] + slider["height"] <= 768
        assert viewer["y"] >= 0 and viewer["y"] + viewer["height"] <= 768 and viewer["height"] >= 300
        assert page.locator("#compare-slider").is_visible()
        # and: a divider is drawn on the image where the split lies, and follows the slider
        def divider_x():
            return page.locator("#compare-divider").bounding_box()["x"]

        def split_x():  # where the clip of the "after" image starts, in the viewer's pixels
            return page.evaluate(
                "(() => { const it = window.__compare.world.getItemAt(1); const c = it.getClip();"
                " const vp = it.imageToViewportCoordinates(c.x, 0);"
                " return window.__compare.viewport.pixelFromPoint(vp, true).x; })()")

        assert abs(divider_x() - viewer["x"] - split_x()) <= 3
        assert abs(divider_x() - (viewer["x"] + viewer["width"] / 2)) < viewer["width"] * 0.25
        before = divider_x()
        page.eval_on_selector("#compare-slider", "el => { el.value = 20; el.dispatchEvent(new Event('input')); }")
        page.wait_for_function(f"document.getElementById('compare-divider').getBoundingClientRect().x < {before} - 20")
        assert abs(divider_x() - viewer["x"] - split_x()) <= 3
        # and: the share of damage is given in per cent, as on the other pages
        assert "% of the pixels" in page.inner_text("[data-testid=damage-share]")
        screenshot(page, "restoration-compare-1366x768")
    finally:
        context.close()
