"""Synthesis app: fitting from stored annotations, overlay generation, resumable dataset builds on a real worker."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management.base import CommandError

from annotation import services as annotation_services
from annotation.core.types import Artefact, ScanArtefacts
from imaging.io import read_image, write_image
from jobs.models import Job
from synthesis import services
from synthesis.models import DamageModel, SyntheticDataset
from tests.support import PUBLIC_DATA, WorkerProcess, needs_public_data, only_worker, run_command, wait_for_job
from webapp import storage


def square(cls, x, y, side, frame):
    pts = np.array([[x, y], [x + side, y], [x + side, y + side], [x, y + side]], float)
    area = float(side * side)
    return Artefact(cls=cls, polygon=pts, area_px=area, area_um2=area * frame.um2_per_px,
                    centroid=(x + side / 2, y + side / 2), bbox=(x, y, x + side, y + side))


@pytest.fixture
def small_dataset(db):
    """Two 1024 x 768 scans with a few squares of dust and dirt, stored through the annotation services."""
    from annotation.core.types import FrameGeometry

    rng = np.random.default_rng(0)
    ds = annotation_services.annotation_set_get_or_create(name="small")
    for s in range(2):
        frame = FrameGeometry.for_35mm(1024, 768)
        arts = [square(cls, *rng.uniform(10, 700, 2), rng.uniform(3, 12), frame)
                for cls in ["dust"] * 40 + ["dirt"] * 15]
        annotation_services.scan_import_artefacts(
            dataset=ds, scan_artefacts=ScanArtefacts(name=f"s{s}", frame=frame, artefacts=arts), build_tiles=False)
    return ds


@pytest.mark.django_db
def test_fit_command_stores_versions_and_reports_fallbacks(small_dataset):
    out = json.loads(run_command("fit_damage_model", "--dataset", "small", "--name", "m", "--json"))
    assert out["version"] == 1
    assert out["model"]["classes"]["dust"]["n_artefacts"] == 80
    # classes without samples fall back and say so
    assert out["model"]["classes"]["scratch"]["p_nonempty"] == 0
    assert "scratch" in out["notes"]
    run_command("fit_damage_model", "--dataset", "small", "--name", "m")
    assert list(DamageModel.objects.filter(name="m").values_list("version", flat=True)) == [2, 1]


@pytest.mark.django_db
def test_fit_refuses_empty_and_unknown_input(small_dataset):
    annotation_services.annotation_set_get_or_create(name="empty")
    with pytest.raises(CommandError, match="no annotated artefacts"):
        run_command("fit_damage_model", "--dataset", "empty", "--name", "x")
    with pytest.raises(CommandError, match="No dataset"):
        run_command("fit_damage_model", "--dataset", "nope", "--name", "x")
    with pytest.raises(CommandError, match="no scan"):
        run_command("fit_damage_model", "--dataset", "small", "--name", "x", "--scan", "zzz")


@needs_public_data
@pytest.mark.django_db
def test_generate_overlays_command_prints_the_documented_json(tmp_path):
    run_command("import_annotations", "--manifest", str(PUBLIC_DATA / "manifest.json"), "--dataset", "public",
                "--no-tiles")
    run_command("fit_damage_model", "--dataset", "public", "--name", "paper")
    out = json.loads(run_command("generate_overlays", "--model", "paper", "--width", "1236", "--height", "849",
                                 "--count", "2", "--seed", "7", "--out", str(tmp_path), "--polarity", "random",
                                 "--json"))
    assert [sorted(o) for o in out["overlays"]][0][:5] == ["counts", "damaged_fraction", "mask", "overlay", "polarity"]
    for item in out["overlays"]:
        mask = read_image(item["mask"])
        assert set(np.unique(mask)) <= {0, 255}
        assert item["damaged_fraction"] == pytest.approx((mask == 255).mean())
        assert set(item["counts"]) == {"dust", "dirt", "short hair", "long hair", "scratch"}
        assert item["seconds"] > 0
    # same seed, same bytes
    again = tmp_path / "again"
    run_command("generate_overlays", "--model", "paper:1", "--width", "1236", "--height", "849", "--count", "2",
                "--seed", "7", "--out", str(again), "--polarity", "random")
    for name in ("overlay_0001.png", "mask_0002.png"):
        assert (tmp_path / name).read_bytes() == (again / name).read_bytes()
    with pytest.raises(CommandError, match="No damage model"):
        run_command("generate_overlays", "--model", "nope", "--width", "10", "--height", "10", "--out", str(tmp_path))


def make_clean_images(folder: Path, n: int = 6) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for i in range(n):
        write_image(folder / f"clean{i}.png", rng.integers(0, 255, (384, 512, 3), dtype=np.uint8))
    return folder


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_dataset_build_resumes_after_its_worker_is_killed(small_dataset, worker_database_url, tmp_path, users):
    # given a model and a folder of clean images
    record = services.damage_model_fit(dataset=small_dataset, name="m")
    clean = make_clean_images(tmp_path / "clean")
    # and the same build made in one go, as the reference
    reference = services.synthetic_dataset_create(name="ref", record=record, clean_dir=str(clean),
                                                  out_dir=str(tmp_path / "ref"), count=60, seed=3, enqueue=False)
    services.synthetic_dataset_build(dataset=reference)
    # when a worker starts the job and is killed part way
    worker = WorkerProcess(database_url=worker_database_url)
    with only_worker(worker):
        worker.start()
        dataset = services.synthetic_dataset_create(name="ds", record=record, clean_dir=str(clean),
                                                    out_dir=str(tmp_path / "ds"), count=60, seed=3,
                                                    user=users["researcher"])
        try:
            wait_for_job(dataset.job_id, until=lambda j: j.current >= 3, timeout=120)
            worker.kill()
            job = Job.objects.get(pk=dataset.job_id)
            assert job.state == "running" and job.current < 60
            assert job.worker == worker.hostname
            # and the same worker comes back
            worker.start()
            job = wait_for_job(dataset.job_id, timeout=180)
        finally:
            worker.stop()
    # then the job finishes and the output equals the one-shot build: no duplicates, no gaps
    assert job.state == "succeeded", job.error
    assert job.attempts == 2
    out = Path(dataset.out_dir)
    manifest = json.loads((out / "manifest.json").read_text())
    ids = [item["id"] for item in manifest["items"]]
    assert len(ids) == len(set(ids)) == 60
    assert sorted(p.name for p in (out / "damaged").iterdir()) == sorted(Path(i["damaged"]).name
                                                                          for i in manifest["items"])
    assert tree_digest(out) == tree_digest(Path(reference.out_dir))
    splits = [i["split"] for i in manifest["items"]]
    assert splits.count("val") == 6
    assert SyntheticDataset.objects.get(pk=dataset.pk).summary["train"] == 54


@pytest.mark.django_db
def test_pages_and_api(client, users, small_dataset, tmp_path):
    record = services.damage_model_fit(dataset=small_dataset, name="m")
    other = services.damage_model_fit(dataset=small_dataset, name="m", scan_names=["s0"])
    client.force_login(users["researcher"])
    assert b"m v1" in client.get("/synthesis/").content
    page = client.get(f"/synthesis/damage-models/{record.pk}/")
    assert page.status_code == 200 and b"data-figure=\"count_dust\"" in page.content
    assert client.get(f"/synthesis/damage-models/compare/?a={record.pk}&b={other.pk}").status_code == 200
    listing = client.get("/api/synthesis/damage-models/").json()
    assert [m["version"] for m in listing] == [2, 1]
    detail = client.get(f"/api/synthesis/damage-models/{record.pk}/").json()
    assert detail["params"]["classes"]["dust"]["n_artefacts"] == 80
    # bad input is refused with a message
    r = client.post("/api/synthesis/damage-models/fit/", {"dataset": "nope", "name": "x"},
                    content_type="application/json")
    assert r.status_code == 400 and "No dataset" in r.json()["detail"]
    r = client.post(f"/api/synthesis/damage-models/{record.pk}/previews/", {"width": 5},
                    content_type="application/json")
    assert r.status_code == 400 and "width" in r.json()["detail"]
    r = client.post("/api/synthesis/datasets/", {"name": "d", "model": record.pk, "clean_dir": "/no/such/dir"},
                    content_type="application/json")
    assert r.status_code == 400 and "outside the folders this server lets the web read" in r.json()["detail"]
    r = client.post("/api/synthesis/datasets/", {"name": "d", "model": record.pk, "clean_dir": str(tmp_path / "none")},
                    content_type="application/json")
    assert r.status_code == 400 and "none" in r.json()["detail"]
    # annotators may look but not fit
    client.force_login(users["annotator"])
    r = client.post("/api/synthesis/damage-models/fit/", {"dataset": "small", "name": "x"},
                    content_type="application/json")
    assert r.status_code == 403


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_preview_job_renders_both_polarities(client, users, small_dataset, celery_worker_process, settings):
    record = services.damage_model_fit(dataset=small_dataset, name="m")
    client.force_login(users["researcher"])
    r = client.post(f"/api/synthesis/damage-models/{record.pk}/previews/", {"width": 512, "height": 384, "seed": 2},
                    content_type="application/json")
    assert r.status_code == 202, r.content
    job = wait_for_job(r.json()["job"]["id"], timeout=240)
    assert job.state == "succeeded", job.error
    from synthesis.models import OverlayPreview

    preview = OverlayPreview.objects.get(pk=r.json()["preview_id"])
    negative, positive, clean, mask = (read_image(storage.read_bytes(preview.result["files"][k]))
                                       for k in ("negative", "positive", "clean", "mask"))
    assert negative.shape == positive.shape == clean.shape == (384, 512, 3)
    # with no image given, the damage lies on a uniform grey frame
    assert (clean == 128).all()
    # the seed draws damage, over part of the frame
    assert set(np.unique(mask)) == {0, 255}
    mask = mask == 255
    assert preview.result["damaged_fraction"] == pytest.approx(mask.mean()) and mask.mean() < 0.5
    # every masked pixel is white damage on the negative and black damage on the positive, in grey
    assert negative[mask].min() > 128 > positive[mask].max()
    for image in (negative, positive):
        assert (image == image[..., :1]).all()
    # outside the mask only the faint edges below its threshold are touched, each toward its own polarity
    assert negative[~mask].min() == 128 == positive[~mask].max()
    untouched = (negative == 128).all(axis=-1) & (positive == 128).all(axis=-1)
    assert untouched[~mask].mean() > 0.9
    page = client.get(f"/synthesis/previews/{preview.pk}/")
    assert page.status_code == 200 and b'id="preview-viewer"' in page.content
    # what preview.js opens: the preview's own view (which checks who asks), never the stored name
    url = f"/synthesis/previews/{preview.pk}/files/negative.png"
    assert url.encode() in page.content and preview.result["files"]["negative"].encode() not in page.content
    assert b"".join(client.get(url).streaming_content) == storage.read_bytes(preview.result["files"]["negative"])


def zip_of(files: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buf.getvalue()


@pytest.mark.django_db
def test_dataset_from_an_uploaded_zip_of_clean_images(client, users, small_dataset, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from imaging.io import encode_image

    settings.MEDIA_ROOT = tmp_path
    record = services.damage_model_fit(dataset=small_dataset, name="m")
    client.force_login(users["researcher"])
    png = encode_image(np.full((64, 80, 3), 120, np.uint8), fmt="PNG")
    # an archive with one folder of images is accepted, and the build reads that folder (images this small
    # leave most masks empty: allowed here on purpose)
    ok = client.post("/api/synthesis/datasets/", {
        "name": "zipped", "model": record.pk, "count": 3, "allow_empty": True,
        "clean_zip": SimpleUploadedFile("clean.zip", zip_of({"set/a.png": png, "set/b.png": png}))})
    assert ok.status_code == 202, ok.content
    dataset = SyntheticDataset.objects.get(name="zipped")
    assert dataset.clean_dir.endswith("private/clean/zipped/set") and dataset.count == 3
    # unsafe paths and archives without images are refused, and nothing is kept
    for name, files in (("evil", {"../../evil.png": png}), ("empty", {"notes.txt": b"hello"})):
        bad = client.post("/api/synthesis/datasets/", {
            "name": name, "model": record.pk, "clean_zip": SimpleUploadedFile("c.zip", zip_of(files))})
        assert bad.status_code == 400, bad.content
        assert not (tmp_path / "private" / "clean" / name).exists()
    assert not SyntheticDataset.objects.filter(name__in=["evil", "empty"]).exists()
    assert client.post("/api/synthesis/datasets/", {"name": "x", "model": record.pk},
                       content_type="application/json").status_code == 400


@pytest.mark.django_db
def test_bad_preview_image_is_refused_and_nothing_is_kept(client, users, small_dataset):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from imaging.io import encode_image
    from synthesis.models import OverlayPreview

    record = services.damage_model_fit(dataset=small_dataset, name="m")
    client.force_login(users["researcher"])
    truncated = encode_image(np.full((64, 80, 3), 120, np.uint8), fmt="PNG")[:60]
    r = client.post(f"/api/synthesis/damage-models/{record.pk}/previews/",
                    {"image": SimpleUploadedFile("cut.png", truncated)})
    assert r.status_code == 400 and "truncated" in r.json()["detail"]
    assert not OverlayPreview.objects.exists() and not Job.objects.exists()
