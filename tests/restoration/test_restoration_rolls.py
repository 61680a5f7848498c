"""Rolls (issue 13 item 4): many scans at once, one job per scan, the roll's defaults, statuses, the zip."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from imaging.io import encode_image
from jobs.models import Job
from restoration import services
from restoration.models import Restoration, Roll
from tests.restoration.test_restoration_app import specked

pytestmark = pytest.mark.django_db


def scan_file(name: str, seed: int, h=120, w=180) -> SimpleUploadedFile:
    image, _ = specked(h, w, seed=seed)
    return SimpleUploadedFile(name, encode_image(image, fmt="PNG" if name.endswith("png") else "TIFF"))


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_roll_of_files_makes_one_job_per_scan_with_the_roll_defaults(client, users):
    # given two scans chosen at once, with the roll's method, polarity and frame size
    client.force_login(users["annotator"])
    r = client.post("/api/restoration/rolls/", {"images": [scan_file("a.tif", 1), scan_file("b.png", 2)],
                                                "name": "box 3", "method": "unet-grain", "polarity": "negative",
                                                "film_format": "35mm-half"})
    # then one roll, one restoration and one gpu job per scan, each with the roll's options
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["count"] == 2 and body["statuses"]["detecting"] == 2 and body["polarity"] == "negative"
    roll = Roll.objects.get(pk=body["id"])
    assert roll.created_by == users["annotator"] and roll.frame_long_mm == 24.0
    records = list(roll.scans.order_by("pk"))
    assert [x.original_name for x in records] == ["a.tif", "b.png"]
    for record in records:
        assert record.method == "unet-grain" and record.options["polarity"] == "negative"
        assert record.options["px_per_mm"] == pytest.approx(180 / 24.0, abs=1e-3)
        assert record.job.kind == "restoration.run" and record.job.queue == "gpu"
    # and the list shows it to its owner only
    assert [x["id"] for x in client.get("/api/restoration/rolls/").json()] == [roll.pk]
    other = Client()
    other.force_login(users["annotator2"])
    assert other.get("/api/restoration/rolls/").json() == []
    assert other.get(f"/api/restoration/rolls/{roll.pk}/").status_code == 404
    assert other.get(f"/restoration/rolls/{roll.pk}/").status_code == 404


def test_a_roll_from_a_zip_follows_statuses_and_downloads_every_finished_scan(client, users):
    # given a zip of two scans (in a folder), restored as a roll with a fast method
    client.force_login(users["annotator"])
    a, _ = specked(120, 180, seed=3)
    b, _ = specked(100, 150, seed=4)
    archive = zip_bytes({"roll/a.png": encode_image(a, fmt="PNG"), "roll/b.tif": encode_image(b, fmt="TIFF")})
    r = client.post("/api/restoration/rolls/", {"archive": SimpleUploadedFile("scans.zip", archive),
                                                "method": "dust-scratches"})
    assert r.status_code == 202, r.content
    roll = Roll.objects.get(pk=r.json()["id"])
    first, second = roll.scans.order_by("pk")
    assert (first.original_name, second.original_name) == ("a.png", "b.tif")
    # when both run (what their jobs do), the first is reviewed (a component rejected) and repaired
    for record in (first, second):
        services.restoration_run(record=record)
    assert client.get(f"/api/restoration/rolls/{roll.pk}/").json()["statuses"]["proposed"] == 2
    first.refresh_from_db()
    scan = services.restoration_review_create(record=first)
    polygon = scan.polygons.order_by("pk").first()
    polygon.status = "rejected"
    polygon.save()
    statuses = {s["name"]: s["status"] for s in client.get(f"/api/restoration/rolls/{roll.pk}/").json()["scans"]}
    assert statuses == {"a.png": "reviewed", "b.tif": "proposed"}
    job = services.restoration_repair_start(record=first, components=None)
    services.restoration_repair(record=first, review=Job.objects.get(pk=job.pk).params["review"])
    body = client.get(f"/api/restoration/rolls/{roll.pk}/").json()
    assert {s["name"]: s["status"] for s in body["scans"]} == {"a.png": "repaired", "b.tif": "proposed"}
    # then the roll's zip (streamed) holds both restored scans and masks, bit for bit, and the statuses
    response = client.get(body["download"])
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    zf = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(zf.namelist()) == ["masks/a-mask.png", "masks/b-mask.png", "restored/a-restored.png",
                                     "restored/b-restored.tif", "roll.json"]
    for record in (first, second):
        record.refresh_from_db()
        stem = record.original_name.split(".")[0]
        with record.output.open("rb") as fh:
            assert zf.read(f"restored/{stem}-restored.{record.original_name.split('.')[1]}") == fh.read()
    assert json.loads(zf.read("roll.json"))["scans"][0]["status"] == "repaired"
    # the page's download is the same zip, private to its owner and administrators
    assert client.get(f"/restoration/rolls/{roll.pk}/download/").status_code == 200
    other = Client()
    other.force_login(users["annotator2"])
    assert other.get(f"/restoration/rolls/{roll.pk}/download/").status_code == 404
    assert other.get(f"/api/restoration/rolls/{roll.pk}/download/").status_code == 404
    admin = Client()
    admin.force_login(users["admin"])
    assert admin.get(f"/api/restoration/rolls/{roll.pk}/download/").status_code == 200
    # and the roll's page shows each scan's status
    page = client.get(f"/restoration/rolls/{roll.pk}/").content.decode()
    assert 'data-status="repaired"' in page and 'data-status="proposed"' in page


def test_the_roll_page_uploads_many_scans_and_refuses_an_empty_roll(client, users):
    client.force_login(users["annotator"])
    assert client.get("/restoration/rolls/").status_code == 200
    r = client.post("/restoration/rolls/", {"images": [scan_file("a.png", 5), scan_file("b.png", 6)],
                                        "method": "dust-scratches", "film_format": "35mm"})
    roll = Roll.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/restoration/rolls/{roll.pk}/"
    assert roll.scans.count() == 2
    r = client.post("/restoration/rolls/", {"method": "dust-scratches"})
    assert r.status_code == 400 and "empty" in r.content.decode()
    assert Roll.objects.count() == 1 and Restoration.objects.count() == 2


def test_the_openapi_schema_lists_rolls_fine_tuning_and_promotion(client, users):
    client.force_login(users["researcher"])
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    assert paths["/api/restoration/rolls/"]["post"]["operationId"] == "restoration_rolls_create"
    assert "multipart/form-data" in paths["/api/restoration/rolls/"]["post"]["requestBody"]["content"]
    for path in ("/api/restoration/rolls/{roll_id}/", "/api/restoration/rolls/{roll_id}/download/"):
        assert "get" in paths[path]
    for path in ("/api/restoration/detectors/finetune/", "/api/restoration/networks/{network_id}/promote/"):
        assert "post" in paths[path]
