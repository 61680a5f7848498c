"""The restorer's review (issue 13 item 2): the run's review scan, its polygons' statuses, who may open it,
the dropped components with their reasons, the review page and the component list download."""
from __future__ import annotations

import json

import numpy as np
import pytest

from imaging.io import encode_image
from restoration import services
from restoration.core.components import dropped_components
from tests.restoration.test_restoration_app import specked


@pytest.fixture
def reviewed(db, users):
    """A finished restoration by the annotator (dust & scratches): the run made its review scan."""
    image, _ = specked(160, 240, seed=5)
    record = services.restoration_create(user=users["annotator"], image=encode_image(image, fmt="TIFF"),
                                         filename="scan.tif", method="dust-scratches", enqueue=False)
    services.restoration_run(record=record)
    record.refresh_from_db()
    return record


def test_dropped_components_are_rejected_with_the_reason_of_the_record_that_holds_them():
    # given a detected mask with two blobs of which the review kept one and dropped the other as "edge"
    detected = np.zeros((40, 60), bool)
    detected[5:9, 5:9] = True
    detected[20:24, 30:40] = True
    kept = np.zeros_like(detected)
    kept[5:9, 5:9] = True
    reasons = [{"bbox": [0, 0, 60, 40], "reason": "too many"}, {"bbox": [29, 19, 12, 6], "reason": "edge"}]
    # when the dropped components are listed
    comps = dropped_components(detected, kept, reasons)
    # then only the dropped blob is, rejected, with the reason of the smallest record round it
    assert [(c.bbox, c.status, c.facts) for c in comps] == [((30, 20, 10, 4), "rejected", {"reason": "edge"})]
    assert comps[0].to_json()["facts"] == {"reason": "edge"}


@pytest.mark.django_db
def test_a_run_makes_its_review_scan_and_the_restorer_reviews_it_through_the_polygon_api(client, users, reviewed):
    record = reviewed
    scan = record.review_scan
    assert scan is not None and scan.dataset.kind == "review" and scan.created_by == users["annotator"]
    # the restorer (an annotator, not assigned the scan) opens its polygons: proposed, with score and status
    client.force_login(users["annotator"])
    items = client.get(f"/api/annotation/scans/{scan.pk}/polygons/").json()
    assert len(items) == scan.polygons.count() >= 3 and {p["status"] for p in items} == {"proposed"}
    assert "score" in items[0]
    # rejects one (PATCH with version), draws one (status added)
    first = items[0]
    r = client.patch(f"/api/annotation/polygons/{first['id']}/", {"status": "rejected", "version": first["version"]},
                     content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "rejected" and r.json()["version"] == first["version"] + 1
    r = client.post(f"/api/annotation/scans/{scan.pk}/polygons/",
                    {"cls": "dust", "points": [[200, 20], [212, 20], [212, 30], [200, 30]]},
                    content_type="application/json")
    assert r.status_code == 201 and r.json()["status"] == "added"
    # another user sees neither the scan nor its polygons
    client.force_login(users["annotator2"])
    assert client.get(f"/api/annotation/scans/{scan.pk}/polygons/").status_code == 404


@pytest.mark.django_db
def test_a_status_is_refused_outside_review_sets(client, users):
    from annotation import services as annotation_services

    scan = annotation_services.scan_upload(dataset_name="plain", name="blank", width=100, height=80,
                                           user=users["researcher"])
    polygon = annotation_services.polygon_create(scan=scan, cls="dust", points=[[10, 10], [20, 10], [20, 20]])
    assert polygon.status == ""
    client.force_login(users["researcher"])
    r = client.patch(f"/api/annotation/polygons/{polygon.pk}/", {"status": "rejected"},
                     content_type="application/json")
    assert r.status_code == 400 and "review" in r.json()["detail"]


@pytest.mark.django_db
def test_the_review_page_and_the_component_list_download(client, users, reviewed):
    record = reviewed
    client.force_login(users["annotator"])
    page = client.get(f"/restoration/{record.pk}/").content.decode()
    assert f"/restoration/{record.pk}/review/" in page and f"/restoration/{record.pk}/download/components/" in page
    review = client.get(f"/restoration/{record.pk}/review/")
    assert review.status_code == 200
    html = review.content.decode()
    assert 'data-kind="review"' in html and f"/api/restoration/restorations/{record.pk}/repair/" in html
    assert f"/restoration/{record.pk}/viewer/before/" in html  # the restoration's own before pyramid
    r = client.get(f"/restoration/{record.pk}/download/components/")
    assert r.status_code == 200
    doc = json.loads(b"".join(r.streaming_content) if r.streaming else r.content)
    assert doc["width"] == record.width and doc["components"]
    client.force_login(users["annotator2"])
    assert client.get(f"/restoration/{record.pk}/review/").status_code == 404


@pytest.mark.django_db
def test_a_run_lists_the_components_the_do_no_harm_review_dropped(users, monkeypatch):
    # given a detecting method whose review drops a component (the method's result says which and why)
    from restoration.core import methods

    image, _ = specked(120, 160, seed=3)
    detected = np.zeros(image.shape[:2], bool)
    detected[10:14, 10:14] = True
    detected[50:53, 80:95] = True
    kept = np.where(detected & (np.arange(160)[None, :] < 40), 255, 0).astype(np.uint8)
    result = methods.RestorationResult(image, kept, {"px_per_mm": 160 / 35},
                                       dropped=(detected, [{"bbox": [80, 50, 15, 3], "reason": "wrong sign"}]))
    monkeypatch.setattr(methods, "restore_image", lambda *a, **k: result)
    record = services.restoration_create(user=users["annotator"], image=encode_image(image, fmt="PNG"),
                                         filename="scan.png", method="dust-scratches", enqueue=False)
    # when it runs
    services.restoration_run(record=record)
    record.refresh_from_db()
    # then its component list and its review scan hold the dropped one, rejected, with the reason
    with record.components.open("rb") as fh:
        comps = json.loads(fh.read())["components"]
    assert [(c["status"], c.get("facts")) for c in comps] == [("proposed", None),
                                                              ("rejected", {"reason": "wrong sign"})]
    rejected = record.review_scan.polygons.get(status="rejected")
    assert "do-no-harm review: wrong sign" in rejected.notes


@pytest.mark.django_db
def test_the_openapi_schema_shows_the_review_fields(client, users):
    client.force_login(users["researcher"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    parts = schema["components"]["schemas"]
    assert {"score", "status"} <= set(parts["Polygon"]["properties"])
    assert "status" in parts["PatchedPolygonPatch"]["properties"]
    assert "patch" in schema["paths"]["/api/annotation/polygons/{polygon_id}/"]
    assert "/api/restoration/restorations/{restoration_id}/repair/" in schema["paths"]
