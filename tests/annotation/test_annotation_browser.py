"""The annotation editor in Chromium: draw, class, reload, edit; upload a 16-bit TIFF and see its tiles."""
from __future__ import annotations

import io

import numpy as np
import pytest
import tifffile

from annotation import services
from annotation.models import Polygon, Scan
from tests.support import browser_login, screenshot, wait_for_job


def tiff16(h: int, w: int) -> bytes:
    yy, xx = np.mgrid[0:h, 0:w]
    image = np.stack([xx * 60000 // w, yy * 60000 // h, (xx + yy) * 30000 // (w + h)], axis=-1).astype(np.uint16)
    buf = io.BytesIO()
    tifffile.imwrite(buf, image)
    return buf.getvalue()


def click_image(page, x: float, y: float, **kwargs) -> None:
    p = page.evaluate("([x, y]) => window.__annotator.imageToScreen(x, y)", [x, y])
    page.mouse.click(p["x"], p["y"], **kwargs)


def open_editor(page, live_server, scan) -> None:
    page.goto(f"{live_server.url}/annotation/scans/{scan.pk}/")
    page.wait_for_function("window.__annotator !== undefined")
    page.evaluate("window.__annotator.ready")
    page.evaluate("window.__annotator.settled()")


def assigned_scan(users, name: str, h: int, w: int) -> Scan:
    """A scan with pixels and tiles, assigned to the annotator."""
    ds = services.annotation_set_get_or_create(name="browser")
    scan = services.scan_create(dataset=ds, name=name, image=tiff16(h, w), filename=f"{name}.tif", build_tiles=False)
    services.scan_build_tiles(scan=scan)
    services.scan_assign(scan=scan, annotator=users["annotator"])
    return scan


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_annotator_draws_classes_reloads_and_edits(page, live_server, users):
    # given a scan with pixels and tiles, assigned to the annotator
    scan = assigned_scan(users, "frame", 700, 1000)
    browser_login(page, live_server, "annotator", "annotator")
    open_editor(page, live_server, scan)
    # when they pick "dirt" with key 2, draw a quadrilateral and close it with Enter
    page.click("[data-testid=tool-draw]")
    page.keyboard.press("2")
    for x, y in [(200, 200), (400, 210), (390, 380), (210, 360)]:
        click_image(page, x, y)
    page.keyboard.press("Enter")
    page.evaluate("window.__annotator.idle()")
    page.wait_for_selector("[data-testid=save-status]:has-text('Saved')")
    # then the server holds it, with the annotator as its creator
    polygon = Polygon.objects.get(scan=scan)
    assert polygon.cls == "dirt" and polygon.created_by.username == "annotator"
    assert 30000 < polygon.area_px < 40000
    screenshot(page, "annotation-drawn")
    # when the page is reloaded, the polygon is back
    open_editor(page, live_server, scan)
    shown = page.evaluate("window.__annotator.polygons()")
    assert [(p["id"], p["cls"]) for p in shown] == [(polygon.pk, "dirt")]
    # when they select it and press 4, it becomes long hair
    page.click("[data-testid=tool-select]")
    click_image(page, 300, 290)
    assert page.evaluate("window.__annotator.selectedId()") == polygon.pk
    page.keyboard.press("4")
    page.evaluate("window.__annotator.idle()")
    polygon.refresh_from_db()
    assert polygon.cls == "long hair" and polygon.version == 2
    # and when they undo, the class goes back on the server too
    page.click("[data-testid=undo]")
    page.evaluate("window.__annotator.idle()")
    polygon.refresh_from_db()
    assert polygon.cls == "dirt"
    # and deleting removes it
    page.click("[data-testid=delete]")
    page.evaluate("window.__annotator.idle()")
    assert not Polygon.objects.filter(scan=scan).exists()
    screenshot(page, "annotation-edited")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_polygon_whose_save_reply_is_lost_is_stored_once(page, live_server, users):
    # given a scan, and a network that loses the reply to the first save (the server did store it)
    scan = assigned_scan(users, "flaky", 400, 600)
    posts = []

    def lose_first_reply(route):
        if route.request.method != "POST":
            return route.continue_()
        posts.append(route.request.post_data_json)
        if len(posts) == 1:
            route.fetch()  # reaches the server, which stores the polygon ...
            return route.abort("connectionreset")  # ... but the editor never hears back
        return route.continue_()

    page.route(f"**/api/annotation/scans/{scan.pk}/polygons/", lose_first_reply)
    browser_login(page, live_server, "annotator", "annotator")
    open_editor(page, live_server, scan)
    # when a polygon is drawn
    page.click("[data-testid=tool-draw]")
    for x, y in [(100, 100), (300, 110), (290, 280)]:
        click_image(page, x, y)
    page.keyboard.press("Enter")
    page.evaluate("window.__annotator.idle()")
    page.wait_for_selector("[data-testid=save-status]:has-text('Saved')")
    # then the editor retried with the same client key, and the server holds one polygon, the one shown
    assert len(posts) == 2 and posts[0]["client_key"] == posts[1]["client_key"]
    polygon = Polygon.objects.get(scan=scan)
    assert [p["id"] for p in page.evaluate("window.__annotator.polygons()")] == [polygon.pk]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_polygon_deleted_while_its_save_goes_unanswered_is_deleted_on_the_server(page, live_server, users):
    # given: the first save reaches the server but its reply is lost, and the network then stays down
    scan = assigned_scan(users, "orphan", 400, 600)
    net = {"up": False, "posts": []}

    def flaky(route):
        if route.request.method != "POST":
            return route.continue_()
        net["posts"].append(route.request.post_data_json)
        if len(net["posts"]) == 1:
            route.fetch()
            return route.abort("connectionreset")
        return route.continue_() if net["up"] else route.abort("internetdisconnected")

    page.route(f"**/api/annotation/scans/{scan.pk}/polygons/", flaky)
    browser_login(page, live_server, "annotator", "annotator")
    open_editor(page, live_server, scan)
    page.click("[data-testid=tool-draw]")
    for x, y in [(100, 100), (300, 110), (290, 280)]:
        click_image(page, x, y)
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=save-status]:has-text('retrying')")
    assert Polygon.objects.filter(scan=scan).count() == 1  # stored, though the editor never heard
    # when: the user deletes it before the network comes back
    page.click("[data-testid=tool-select]")
    click_image(page, 230, 160)
    page.click("[data-testid=delete]")
    assert page.evaluate("window.__annotator.polygons()") == []
    net["up"] = True
    page.evaluate("window.__annotator.idle()")
    page.wait_for_selector("[data-testid=save-status]:has-text('Saved')")
    # then: the editor found the stored polygon by its client key and deleted it
    assert not Polygon.objects.filter(scan=scan).exists()
    assert len({p["client_key"] for p in net["posts"]}) == 1 and len(net["posts"]) >= 2


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_researcher_uploads_a_16_bit_tiff_and_sees_its_tiles(page, live_server, users, celery_worker_process,
                                                             tmp_path):
    path = tmp_path / "scan16.tif"
    path.write_bytes(tiff16(1200, 1800))
    browser_login(page, live_server, "researcher", "researcher")
    page.goto(f"{live_server.url}/annotation/upload/")
    page.set_input_files("#image", str(path))
    page.fill("#dataset", "uploads")
    page.select_option("#polarity", "positive")
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_url("**/annotation/scans/*/")
    scan = Scan.objects.get(name="scan16")
    assert (scan.bit_depth, scan.width, scan.height, scan.polarity) == (16, 1800, 1200, "positive")
    from jobs.models import Job

    job = wait_for_job(Job.objects.get(kind="scan.tiles", params__scan_id=scan.pk).pk, timeout=120)
    assert job.state == "succeeded", job.error
    # reload now that the tiles are built: the viewer shows the image, fully loaded
    open_editor(page, live_server, scan)
    page.wait_for_function(
        "() => { const it = window.__annotator.viewer.world.getItemAt(0);"
        " return it && it.getFullyLoaded(); }", timeout=30000)
    size = page.evaluate("window.__annotator.viewer.world.getItemAt(0).source.dimensions")
    assert (size["x"], size["y"]) == (1800, 1200)
    screenshot(page, "annotation-uploaded-tiles")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_bad_upload_shows_a_message_and_keeps_nothing(page, live_server, users, tmp_path):
    bad = tmp_path / "broken.tif"
    bad.write_bytes(tiff16(300, 300)[:3000])
    browser_login(page, live_server, "researcher", "researcher")
    page.goto(f"{live_server.url}/annotation/upload/")
    page.set_input_files("#image", str(bad))
    page.fill("#dataset", "uploads")
    page.click("[data-testid=upload-form] button[type=submit]")
    page.wait_for_selector(".messages .error")
    assert "Upload refused" in page.inner_text(".messages")
    assert not Scan.objects.exists()
