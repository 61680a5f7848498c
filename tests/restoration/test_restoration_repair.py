"""Repair from the reviewed mask (issue 13 item 3) and `restore --review-out` (item 6)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from django.urls import reverse

from imaging.io import encode_image, read_image, write_image
from jobs.models import Job
from restoration import services
from restoration.core.components import components_from_document, components_to_mask
from tests.restoration.test_restoration_app import specked
from tests.support import run_command


def test_restore_command_writes_the_component_list(tmp_path):
    # given a scan with specks
    image, _ = specked(seed=4)
    src = write_image(tmp_path / "in.tif", image)
    # when it is restored with --review-out
    run_command("restore", str(src), "--out", str(tmp_path / "out.tif"), "--method", "dust-scratches",
                "--mask-out", str(tmp_path / "mask.png"), "--review-out", str(tmp_path / "components.json"))
    doc = json.loads((tmp_path / "components.json").read_text())
    found = read_image(tmp_path / "mask.png") > 0
    # then one record per component of the mask, with class, score, area and bbox, that rasterise back to it
    assert (doc["width"], doc["height"]) == (image.shape[1], image.shape[0])
    assert doc["components"] and {"points", "cls", "score", "area_px", "bbox", "status"} <= set(doc["components"][0])
    assert sum(c["area_px"] for c in doc["components"]) == found.sum()
    back = components_to_mask(components_from_document(doc, width=doc["width"], height=doc["height"]), found.shape)
    assert (found ^ back).sum() < 0.01 * found.sum()


def test_a_detecting_method_gives_the_probability_map_behind_the_scores():
    # given a small scan with specks, restored by a detecting method with the shipped detector
    from restoration.core.components import mask_to_components
    from restoration.core.methods import restore_image

    image, _ = specked(96, 128, seed=6)
    result = restore_image(image, method="unet-telea", options={"review": False}, device="cpu")
    # then the result carries the probability map, and every component of its mask has a score from it
    assert result.probability is not None and result.probability.shape == image.shape[:2]
    comps = mask_to_components(result.mask, probability=result.probability)
    assert all(c.score is not None and 0.0 <= c.mean_score <= c.score <= 1.0 for c in comps)


@pytest.fixture
def finished(db, users):
    """A restoration by the annotator, run (dust & scratches), with its component list."""
    image, specks = specked(160, 240, seed=5)
    record = services.restoration_create(user=users["annotator"], image=encode_image(image, fmt="TIFF"),
                                         filename="scan.tif", method="dust-scratches", enqueue=False)
    services.restoration_run(record=record)
    record.refresh_from_db()
    return record, image


@pytest.mark.django_db
def test_repair_inpaints_kept_and_added_components_only(client, users, finished):
    # given a finished restoration and its component list
    record, image = finished
    client.force_login(users["annotator"])
    doc = client.get(f"/api/restoration/restorations/{record.pk}/components/").json()
    assert len(doc["components"]) >= 3
    # when the restorer rejects the first component, keeps the others, adds a missed one, and repairs
    doc["components"][0]["status"] = "rejected"
    for c in doc["components"][1:]:
        c["status"] = "kept"
    added = [[200.0, 20.0], [212.0, 20.0], [212.0, 30.0], [200.0, 30.0]]
    doc["components"].append({"points": added, "status": "added"})
    r = client.post(f"/api/restoration/restorations/{record.pk}/repair/", {"components": doc["components"]},
                    content_type="application/json")
    assert r.status_code == 202, r.content
    job = Job.objects.get(pk=r.json()["id"])
    assert job.kind == "restoration.repair" and job.queue == "gpu"
    services.restoration_repair(record=record, review=job.params["review"])  # what its task runs
    record.refresh_from_db()
    with record.output.open("rb") as fh:
        out = read_image(fh.read())
    with record.mask.open("rb") as fh:
        mask = read_image(fh.read()) > 0
    # then the rejected region is bit-identical to the input, the added one changed, and only the reviewed mask
    comps = components_from_document(doc, width=record.width, height=record.height)
    rejected = components_to_mask(comps[:1], mask.shape)
    added_mask = components_to_mask(comps[-1:], mask.shape)
    assert out.dtype == image.dtype and out.shape == image.shape
    np.testing.assert_array_equal(out[rejected], image[rejected])
    assert np.any(out != image, axis=-1)[added_mask].mean() > 0.5
    np.testing.assert_array_equal(mask, components_to_mask(comps[1:], mask.shape))
    np.testing.assert_array_equal(out[~mask], image[~mask])
    # and the stored component list holds the review
    listed = client.get(f"/api/restoration/restorations/{record.pk}/components/").json()["components"]
    assert [c["status"] for c in listed].count("rejected") == 1 and listed[-1]["status"] == "added"
    assert record.info["repair"]["components"] == {"proposed": 0, "kept": len(comps) - 2, "rejected": 1, "added": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("components, message", [
    ([{"points": [[0, 0], [1, 1]], "status": "added"}], "component 0"),
    ([{"points": [[0, 0], [4, 0], [4, 4]], "status": "maybe"}], "status"),
    ([{"points": [[900, 900], [904, 900], [904, 904]], "status": "added"}], "outside"),
    ("nope", "list"),
])
def test_bad_reviews_are_refused(client, users, finished, components, message):
    record, _ = finished
    client.force_login(users["annotator"])
    r = client.post(f"/api/restoration/restorations/{record.pk}/repair/", {"components": components},
                    content_type="application/json")
    assert r.status_code == 400 and message in r.json()["detail"], r.content
    assert not Job.objects.filter(kind="restoration.repair").exists()
    client.force_login(users["annotator2"])
    assert client.post(f"/api/restoration/restorations/{record.pk}/repair/", {"components": []},
                       content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_review_create_stores_the_components_as_a_review_scan(client, users, finished):
    from annotation import services as annotation_services
    from annotation.core.geometry import PolygonError
    from annotation.models import AnnotationSet

    # given a finished restoration
    record, image = finished
    with record.components.open("rb") as fh:
        doc = json.loads(fh.read())
    with record.mask.open("rb") as fh:
        mask = read_image(fh.read()) > 0
    # when its review is created (twice, the first through the API: the second replaces the first)
    client.force_login(users["annotator"])
    r = client.post(f"/api/restoration/restorations/{record.pk}/review/")
    assert r.status_code == 201 and r.json()["polygons"] == len(doc["components"]), r.content
    scan = services.restoration_review_create(record=record)
    assert scan.pk == r.json()["scan"]
    # then one scan of the owner's review dataset holds one proposed polygon per component, with class and score
    assert scan.dataset.kind == AnnotationSet.Kind.REVIEW and scan.dataset.name == "Review: annotator"
    assert (scan.width, scan.height, scan.image.name) == (record.width, record.height, record.input.name)
    record.refresh_from_db()
    assert record.review_scan == scan
    # its image is the restoration's own input: never downloaded through the scan by anyone but the restorer and
    # administrators, as the restoration's files (a researcher may open the scan in the editor, not download
    # another user's input)
    image_url = reverse("annotation:scan-image", args=[scan.pk])
    client.force_login(users["researcher"])
    assert client.get(image_url).status_code == 404
    client.force_login(users["admin"])
    assert client.get(image_url).status_code == 200
    polygons = list(scan.polygons.order_by("pk"))
    assert len(polygons) == len(doc["components"]) > 0
    assert {p.status for p in polygons} == {"proposed"}
    assert [p.cls for p in polygons] == [c["cls"] for c in doc["components"]]
    comps = components_from_document([{"points": p.points} for p in polygons], width=scan.width, height=scan.height)
    assert (components_to_mask(comps, mask.shape) ^ mask).sum() < 0.01 * mask.sum()
    # and "unknown" stays out of annotation datasets
    with pytest.raises(PolygonError, match="Unknown class"):
        annotation_services.polygon_create(scan=scan, cls="unknown", points=[[1, 1], [5, 1], [5, 5]])
    plain = AnnotationSet.objects.create(name="plain")
    other = scan.__class__.objects.create(dataset=plain, name="s", width=20, height=20)
    with pytest.raises(PolygonError, match="not in a review dataset"):
        annotation_services.review_polygons_replace(scan=other, components=doc["components"])


@pytest.mark.django_db
def test_repair_from_the_review_scan(client, users, finished):
    # given a restoration whose review scan has one polygon rejected there
    record, image = finished
    client.force_login(users["annotator"])
    assert record.review_scan is not None  # made by the run itself
    record.review_scan = None
    record.save(update_fields=["review_scan"])
    assert client.post(f"/api/restoration/restorations/{record.pk}/repair/", {}, content_type="application/json"
                       ).status_code == 400  # no review, no components: refused
    scan = services.restoration_review_create(record=record)
    first = scan.polygons.order_by("pk").first()
    first.status = "rejected"
    first.save()
    # when the repair is asked for without a component list
    r = client.post(f"/api/restoration/restorations/{record.pk}/repair/", {}, content_type="application/json")
    assert r.status_code == 202, r.content
    services.restoration_repair(record=record, review=Job.objects.get(pk=r.json()["id"]).params["review"])
    record.refresh_from_db()
    with record.output.open("rb") as fh:
        out = read_image(fh.read())
    # then the rejected polygon's pixels are the input's, the others were repaired, and the scan says so
    comps = components_from_document([{"points": p.points} for p in scan.polygons.order_by("pk")],
                                     width=record.width, height=record.height)
    rejected = components_to_mask(comps[:1], image.shape[:2])
    np.testing.assert_array_equal(out[rejected], image[rejected])
    assert np.any(out != image, axis=-1)[components_to_mask(comps[1:], image.shape[:2])].any()
    assert sorted(p.status for p in scan.polygons.all()).count("rejected") == 1
    assert record.info["repair"]["components"]["rejected"] == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_repair_job_on_a_real_worker(client, users, celery_worker_process):
    from tests.support import wait_for_job

    # given a finished restoration with its component list
    image, _ = specked(120, 160, seed=7)
    record = services.restoration_create(user=users["annotator"], image=encode_image(image, fmt="PNG"),
                                         filename="scan.png", method="dust-scratches", enqueue=False)
    services.restoration_run(record=record)
    client.force_login(users["annotator"])
    doc = client.get(f"/api/restoration/restorations/{record.pk}/components/").json()
    doc["components"][0]["status"] = "rejected"
    # when its repair runs on the worker
    r = client.post(f"/api/restoration/restorations/{record.pk}/repair/", {"components": doc["components"]},
                    content_type="application/json")
    job = wait_for_job(r.json()["id"], timeout=180)
    # then it succeeded and the rejected component is left as it was
    assert job.state == "succeeded", job.error
    record.refresh_from_db()
    assert record.info["repair"]["components"]["rejected"] == 1
    with record.output.open("rb") as fh:
        out = read_image(fh.read())
    rejected = components_to_mask(components_from_document(doc, width=160, height=120)[:1], (120, 160))
    np.testing.assert_array_equal(out[rejected], image[rejected])
