"""Annotation REST API: polygons, scans and every kind of bad input."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
import tifffile
from django.urls import reverse

from annotation import services
from annotation.models import Polygon, Scan
from imaging.io import encode_image
from jobs.models import Job
from tests.support import wait_for_job

SQUARE = [[100, 100], [140, 100], [140, 130], [100, 130]]


@pytest.fixture
def scan(users):
    ds = services.annotation_set_get_or_create(name="d")
    s = services.scan_create(dataset=ds, name="s", width=1000, height=800, build_tiles=False)
    services.scan_assign(scan=s, annotator=users["annotator"])
    return s


@pytest.fixture
def annotator(client, users):
    client.force_login(users["annotator"])
    return client


def polygons_url(scan):
    return reverse("annotation-api-scan-polygons", args=[scan.pk])


def post_json(client, url, body, method="post"):
    return getattr(client, method)(url, json.dumps(body) if not isinstance(body, str) else body,
                                   content_type="application/json")


@pytest.mark.django_db
def test_create_list_edit_delete_a_polygon(annotator, scan, users):
    # when an annotator draws a square of dust
    r = post_json(annotator, polygons_url(scan), {"cls": "dust", "points": SQUARE})
    assert r.status_code == 201, r.content
    body = r.json()
    # then it is stored with its measurements and creator
    assert body["created_by"] == "annotator" and body["area_px"] == 1200
    # 1000 x 800 px frame of 35 x 24 mm: (35 um x 30 um) per pixel
    assert body["area_um2"] == pytest.approx(1200 * 35 * 30)
    assert (body["centroid_x"], body["centroid_y"], body["patch_col"], body["patch_row"]) == (120, 115, 0, 0)
    assert [p["id"] for p in annotator.get(polygons_url(scan)).json()] == [body["id"]]
    # when its class and points change
    url = reverse("annotation-api-polygon", args=[body["id"]])
    r = post_json(annotator, url, {"cls": "dirt", "points": [[300, 300], [600, 300], [600, 600]], "version": 1},
                  method="patch")
    assert r.status_code == 200, r.content
    assert (r.json()["cls"], r.json()["version"], r.json()["patch_col"]) == ("dirt", 2, 1)
    # a stale version is a conflict, and nothing changes
    r = post_json(annotator, url, {"cls": "dust", "version": 1}, method="patch")
    assert r.status_code == 409 and "someone else" in r.json()["detail"]
    assert Polygon.objects.get().cls == "dirt"
    # and deleting removes it
    assert annotator.delete(url).status_code == 204
    assert not Polygon.objects.exists()


@pytest.mark.django_db
def test_a_repeated_post_with_the_same_client_key_creates_one_polygon(annotator, scan, users):
    key = "6f1c1f5e-8a3b-4c3e-9d55-0b7f4d0c2a11"
    # when the editor's POST is sent twice (its first reply was lost)
    first = post_json(annotator, polygons_url(scan), {"cls": "dust", "points": SQUARE, "client_key": key})
    again = post_json(annotator, polygons_url(scan), {"cls": "dust", "points": SQUARE, "client_key": key})
    # then the second answers 200 with the polygon the first stored, and there is one polygon
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and Polygon.objects.filter(scan=scan).count() == 1
    # a new key, or no key, is a new polygon; the same key on another scan is that scan's own
    assert post_json(annotator, polygons_url(scan), {"cls": "dust", "points": SQUARE}).status_code == 201
    other = services.scan_create(dataset=scan.dataset, name="t", width=1000, height=800, build_tiles=False)
    services.scan_assign(scan=other, annotator=users["annotator"])
    again_elsewhere = post_json(annotator, polygons_url(other), {"cls": "dust", "points": SQUARE, "client_key": key})
    assert again_elsewhere.status_code == 201
    assert Polygon.objects.count() == 3
    # a key that is not a UUID is refused with a message
    r = post_json(annotator, polygons_url(scan), {"cls": "dust", "points": SQUARE, "client_key": "abc"})
    assert r.status_code == 400 and "client_key" in r.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("body, message", [
    ({"cls": "dust", "points": [[1, 1], [5, 5]]}, "at least 3 distinct points"),
    ({"cls": "dust", "points": [[1, 1], [1, 1], [1, 1], [5, 5]]}, "at least 3 distinct points"),
    ({"cls": "dust", "points": [[0, 0], [10, 10], [20, 20]]}, "area"),
    ({"cls": "dust", "points": [[10, 10], [5000, 10], [5000, 500]]}, "outside"),
    ({"cls": "fluff", "points": SQUARE}, "cls"),
    ({"points": SQUARE}, "cls"),
    ({"cls": "dust"}, "points"),
    ({"cls": "dust", "points": [[1, "a"], [2, 3], [4, 5]]}, "points"),
    ({"cls": "dust", "points": [[1, 2, 3], [2, 3, 4], [4, 5, 6]]}, "points"),
    ("{not json", "JSON"),
])
def test_bad_polygons_get_400_with_a_message(annotator, scan, body, message):
    r = post_json(annotator, polygons_url(scan), body)
    assert r.status_code == 400
    assert message.lower() in json.dumps(r.json()).lower()
    assert not Polygon.objects.exists()


@pytest.mark.django_db
def test_self_intersecting_polygon_is_repaired_with_a_note(annotator, scan):
    bowtie = [[100, 100], [200, 200], [200, 100], [100, 200]]
    r = post_json(annotator, polygons_url(scan), {"cls": "dirt", "points": bowtie})
    assert r.status_code == 201
    assert r.json()["notes"] and r.json()["area_px"] == pytest.approx(5000)


@pytest.mark.django_db
def test_unassigned_annotator_cannot_see_or_edit(client, users, scan):
    client.force_login(users["annotator2"])
    assert client.get(polygons_url(scan)).status_code == 404
    assert post_json(client, polygons_url(scan), {"cls": "dust", "points": SQUARE}).status_code == 404


@pytest.mark.django_db
def test_researcher_may_edit_any_scan_and_mark_done(client, users, scan):
    client.force_login(users["researcher"])
    assert post_json(client, polygons_url(scan), {"cls": "dust", "points": SQUARE}).status_code == 201
    r = post_json(client, reverse("annotation-api-scan-done", args=[scan.pk]), {"done": True})
    assert r.json() == {"done": True}
    detail = client.get(reverse("annotation-api-scan", args=[scan.pk])).json()
    assert detail["progress"]["polygons"] == 1 and detail["assignment"] == {"done": True}
    assert post_json(client, reverse("annotation-api-scan-done", args=[scan.pk]), {"done": "yes"}).status_code == 400


def tiff16(h=300, w=400) -> bytes:
    buf = io.BytesIO()
    tifffile.imwrite(buf, (np.arange(h * w * 3).reshape(h, w, 3) % 65536).astype(np.uint16))
    return buf.getvalue()


def upload(client, data: bytes, name: str, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("annotation-api-scans"),
                       {"dataset": "uploads", "image": SimpleUploadedFile(name, data), **extra})


@pytest.mark.django_db
def test_upload_a_16_bit_tiff(client, users):
    client.force_login(users["researcher"])
    r = upload(client, tiff16(), "frame.tif", polarity="positive", emulsion="Kodachrome")
    assert r.status_code == 201, r.content
    scan = Scan.objects.get(pk=r.json()["id"])
    assert (scan.width, scan.height, scan.channels, scan.bit_depth) == (400, 300, 3, 16)
    assert (scan.polarity, scan.emulsion, scan.name) == ("positive", "Kodachrome", "frame")
    assert Job.objects.filter(kind="scan.tiles", params__scan_id=scan.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("make, name, message", [
    (lambda: b"", "empty.png", "empty"),
    (lambda: b"not an image at all", "x.png", "not a supported image"),
    (lambda: encode_image(np.zeros((200, 200, 3), np.uint8), fmt="PNG")[:300], "cut.png", "truncated"),
    (lambda: encode_image(np.full((200, 200, 3), 7, np.uint8), fmt="JPEG")[:400], "cut.jpg", "truncated"),
    (lambda: tiff16()[:2000], "cut.tif", ""),
])
def test_bad_uploads_are_refused_and_nothing_is_stored(client, users, make, name, message):
    client.force_login(users["researcher"])
    r = upload(client, make(), name)
    assert r.status_code == 400
    assert message in r.json()["detail"].lower()
    assert not Scan.objects.exists()


@pytest.mark.django_db
def test_decompression_bomb_is_refused(client, users, settings):
    settings.MAX_IMAGE_PIXELS = 10_000
    client.force_login(users["researcher"])
    r = upload(client, tiff16(200, 200), "big.tif")
    assert r.status_code == 400 and "too large" in r.json()["detail"]


@pytest.mark.django_db
def test_annotators_cannot_upload(client, users):
    client.force_login(users["annotator"])
    assert upload(client, tiff16(), "frame.tif").status_code == 403


@pytest.mark.django_db
def test_scan_without_pixels_and_custom_frame(client, users):
    client.force_login(users["researcher"])
    r = post_json(client, reverse("annotation-api-scans"), {"dataset": "x", "name": "blank", "width": 2000,
                                                           "height": 1000, "film_format": "custom",
                                                           "frame_mm": "30x20"})
    assert r.status_code == 201, r.content
    assert (r.json()["frame_long_mm"], r.json()["frame_short_mm"], r.json()["film_format"]) == (30, 20, "custom")
    r = post_json(client, reverse("annotation-api-scans"), {"dataset": "x", "name": "b", "film_format": "custom",
                                                           "width": 10, "height": 10})
    assert r.status_code == 400 and "frame_mm" in r.json()["detail"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_uploaded_scan_gets_its_tiles_from_a_worker(client, users, celery_worker_process, settings):
    client.force_login(users["researcher"])
    r = upload(client, tiff16(600, 900), "frame16.tif")
    scan_id = r.json()["id"]
    job = Job.objects.get(kind="scan.tiles", params__scan_id=scan_id)
    job = wait_for_job(job.pk)
    assert job.state == "succeeded", job.error
    detail = client.get(reverse("annotation-api-scan", args=[scan_id])).json()
    assert detail["tiles_state"] == "ready"
    dzi = client.get(detail["dzi_url"])
    assert dzi.status_code == 200 and b'Width="900"' in b"".join(dzi.streaming_content)


@pytest.mark.django_db
def test_a_scans_tiles_and_image_only_for_those_who_may_open_it(client, users):
    # given a scan with pixels and its pyramid, assigned to annotator (not to annotator2)
    client.force_login(users["researcher"])
    data = encode_image(np.full((300, 500, 3), 120, np.uint8), fmt="PNG")
    scan = Scan.objects.get(pk=upload(client, data, "frame.png").json()["id"])
    services.scan_build_tiles(scan=scan)
    services.scan_assign(scan=scan, annotator=users["annotator"])
    detail = client.get(reverse("annotation-api-scan", args=[scan.pk])).json()
    # the page and the API give the addresses of the views that check, never a /media/ name
    dzi, image = detail["dzi_url"], detail["image_url"]
    assert dzi == f"/annotation/scans/{scan.pk}/tiles/scan.dzi" and image == f"/annotation/scans/{scan.pk}/image/"
    tile = dzi.replace("scan.dzi", "scan_files/9/0_0.jpg")
    by_name = [f"/media/{scan.image.name}", f"/media/{scan.tiles_path}",
               f"/media/{scan.tiles_path.replace('scan.dzi', 'scan_files/9/0_0.jpg')}"]

    def content(r) -> bytes:
        return b"".join(r.streaming_content) if r.streaming else r.content

    # then the assigned annotator gets descriptor, tiles and image (streamed from the local folder)
    client.force_login(users["annotator"])
    page = client.get(reverse("annotation:scan", args=[scan.pk])).content.decode()
    assert f'data-dzi-url="{dzi}"' in page
    r = client.get(dzi)
    assert r.status_code == 200 and b'Width="500"' in content(r)
    assert client.get(tile).status_code == 200
    r = client.get(image)
    assert r.status_code == 200 and content(r) == data
    # the other annotator gets 404 on each, as on the scan's page; so does anyone by the files' names
    client.force_login(users["annotator2"])
    for url in (reverse("annotation:scan", args=[scan.pk]), dzi, tile, image, *by_name):
        assert client.get(url).status_code == 404, url
    # and nobody leaves the pyramid's folder through the tiles' address
    client.force_login(users["researcher"])
    for url in (dzi.replace("scan.dzi", "../../frame.png"), dzi.replace("scan.dzi", "%2e%2e/x")):
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_statistics_and_export_endpoints(client, users, scan):
    services.polygon_create(scan=scan, cls="dust", points=SQUARE)
    client.force_login(users["researcher"])
    stats = client.get(reverse("annotation-api-set-stats", args=[scan.dataset_id])).json()
    assert stats["classes"]["dust"]["count"] == 1
    coco = json.loads(client.get(reverse("annotation-api-set-export", args=[scan.dataset_id]) + "?as=coco")
                      .content)
    assert len(coco["annotations"]) == 1
    bad = client.get(reverse("annotation-api-set-export", args=[scan.dataset_id]) + "?as=xml")
    assert bad.status_code == 400
    page = client.get(reverse("annotation:statistics", args=[scan.dataset_id]))
    assert page.status_code == 200 and b"plotly" in page.content


@pytest.mark.django_db
def test_dataset_list_counts_each_polygon_once_however_many_annotators_a_scan_has(scan, users):
    # given: a scan assigned to two annotators, with three polygons, and a second scan with one
    services.scan_assign(scan=scan, annotator=users["researcher"])
    for _ in range(3):
        services.polygon_create(scan=scan, cls="dust", points=SQUARE)
    other = services.scan_create(dataset=scan.dataset, name="t", width=1000, height=800, build_tiles=False)
    services.polygon_create(scan=other, cls="short hair", points=SQUARE)
    # when
    from annotation.selectors import annotation_set_list
    row = annotation_set_list().get(pk=scan.dataset_id)
    # then: the count is the scans' sum, not multiplied by the assignments
    assert (row.scan_count, row.polygon_count) == (2, 4)
