"""Synthetic dataset builds from the pages: checked before the job starts, with the command's options;
retried, deleted and downloaded as a zip; the overlay preview downloaded too."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from imaging.io import write_image
from jobs.models import Job
from synthesis import services
from synthesis.models import OverlayPreview, SyntheticDataset
from tests.support import browser_login, screenshot
from tests.synthesis.test_synthesis_app import small_dataset  # noqa: F401 - a fixture


def clean_folder(folder: Path, sizes=((451, 300), (640, 480))) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    for i, (w, h) in enumerate(sizes):
        write_image(folder / f"clean{i}.png", rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
    return folder


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SERVER_FOLDER_ROOTS = [tmp_path]
    return settings.MEDIA_ROOT


@pytest.fixture
def model(small_dataset):  # noqa: F811
    return services.damage_model_fit(dataset=small_dataset, name="m")


def post_build(client, model, clean, **fields):
    data = {"name": "d1", "model": model.pk, "clean_dir": str(clean), "seed": "0", "grain": "on", **fields}
    return client.post("/synthesis/datasets/new/", data)


@pytest.mark.django_db
def test_a_crop_larger_than_a_clean_image_is_refused_before_any_job(client, users, model, media, tmp_path):
    client.force_login(users["researcher"])
    clean = clean_folder(tmp_path / "clean")
    # when: the form asks for a 512 x 512 crop of images as small as 451 x 300
    r = post_build(client, model, clean, crop="512x512")
    # then: the page says what was refused and what fits, keeps the form, and nothing starts
    body = r.content.decode()
    assert r.status_code == 400
    assert "Dataset build refused: crop 512 x 512 is larger than the clean image clean0.png of 451 x 300" in body
    assert "at most 451 x 300" in body and 'value="512x512"' in body
    assert not SyntheticDataset.objects.exists() and not Job.objects.exists()
    r = post_build(client, model, clean, crop="big")
    assert "not of the form WIDTHxHEIGHT" in r.content.decode()
    r = post_build(client, model, clean, px_per_mm="141.26")
    assert "px per mm needs a crop" in r.content.decode()
    assert not SyntheticDataset.objects.exists()


@pytest.mark.django_db
def test_builds_that_leave_most_masks_empty_are_explained_and_may_be_allowed(client, users, model, media,
                                                                              tmp_path, monkeypatch):
    monkeypatch.setattr("jobs.services.job_enqueue", lambda *, job: job)
    client.force_login(users["researcher"])
    clean = clean_folder(tmp_path / "clean")
    # a crop of a 4K scan at 141 px/mm is a tiny part of the film: most items draw nothing
    r = post_build(client, model, clean, crop="32x32", px_per_mm="141.26", count="12", damage_level="0.2")
    assert r.status_code == 400
    assert "items would hold no artefact at all (empty masks" in r.content.decode()
    assert not SyntheticDataset.objects.exists()
    # allowed on purpose, it is built, with the options of the command, and says how many are empty
    r = post_build(client, model, clean, crop="32x32", px_per_mm="141.26", count="12", damage_level="0.2",
                   allow_empty="on")
    dataset = SyntheticDataset.objects.get()
    assert r.status_code == 302 and r.url == f"/synthesis/datasets/{dataset.pk}/"
    assert dataset.options == {"grain": True, "crop": [32, 32], "px_per_mm": 141.26, "damage_level": 0.2}
    assert dataset.job.kind == "dataset.build"
    page = client.get(r.url).content.decode()
    assert f"{dataset.summary['expected_empty']} of 12 items draw no artefact" in page


@pytest.mark.django_db
def test_a_dataset_downloads_as_a_zip_and_can_be_deleted(client, users, model, media, tmp_path):
    # given: a finished build under the media folder
    clean = clean_folder(tmp_path / "clean")
    dataset = services.synthetic_dataset_create(name="zipme", record=model, clean_dir=str(clean), count=3,
                                                options={"crop": [128, 128], "grain": False}, enqueue=False)
    client.force_login(users["researcher"])
    assert b"dataset-download" not in client.get(f"/synthesis/datasets/{dataset.pk}/").content  # not built yet
    services.synthetic_dataset_build(dataset=dataset)
    page = client.get(f"/synthesis/datasets/{dataset.pk}/").content.decode()
    assert "Download as zip" in page
    assert dataset.out_dir in page  # researchers train from the folder (Restore › Models)
    # when: they download it
    r = client.get(f"/synthesis/datasets/{dataset.pk}/download/")
    # then: a streamed zip of the manifest and every item's three images
    assert r.status_code == 200 and r.streaming and r["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content)))
    names = set(archive.namelist())
    assert {"zipme/manifest.json", "zipme/damaged/0001.png", "zipme/masks/0003.png", "zipme/clean/0002.png"} <= names
    assert len(names) == 2 + 3 * 3
    assert archive.read("zipme/masks/0001.png") == (Path(dataset.out_dir) / "masks/0001.png").read_bytes()
    # annotators may not, and do not see the server's folders
    client.force_login(users["annotator"])
    assert client.get(f"/synthesis/datasets/{dataset.pk}/download/").status_code == 403
    assert str(media) not in client.get(f"/synthesis/datasets/{dataset.pk}/").content.decode()
    # when: the researcher deletes it, its record and files go
    client.force_login(users["researcher"])
    out = Path(dataset.out_dir)
    assert client.post(f"/synthesis/datasets/{dataset.pk}/delete/").status_code == 302
    assert not SyntheticDataset.objects.exists() and not out.exists()
    assert clean.exists()  # the clean images were the user's


@pytest.mark.django_db
def test_a_running_build_is_stopped_before_its_dataset_is_deleted(client, users, model, media, tmp_path,
                                                                 monkeypatch):
    from jobs import services as job_services

    monkeypatch.setattr("jobs.services.job_enqueue", lambda *, job: job)
    clean = clean_folder(tmp_path / "clean")
    dataset = services.synthetic_dataset_create(name="busy", record=model, clean_dir=str(clean), count=2,
                                                user=users["researcher"])
    job_services.job_start(job_id=dataset.job_id, worker="w@host", device="cpu")
    client.force_login(users["researcher"])
    r = client.post(f"/synthesis/datasets/{dataset.pk}/delete/", follow=True)
    assert "Delete refused: The build of &#x27;busy&#x27; is running" in r.content.decode()
    assert SyntheticDataset.objects.filter(pk=dataset.pk).exists()
    # a build not started yet is cancelled and deleted at once
    waiting = services.synthetic_dataset_create(name="waiting", record=model, clean_dir=str(clean), count=2,
                                                user=users["researcher"])
    client.post(f"/synthesis/datasets/{waiting.pk}/delete/")
    assert not SyntheticDataset.objects.filter(pk=waiting.pk).exists()
    assert Job.objects.get(pk=waiting.job_id).state == Job.State.CANCELLED


@pytest.mark.django_db
def test_a_failed_build_is_retried_from_its_page(client, users, model, media, tmp_path, monkeypatch):
    sent = []
    monkeypatch.setattr("jobs.services.job_enqueue", lambda *, job: sent.append(job.pk) or job)
    clean = clean_folder(tmp_path / "clean")
    dataset = services.synthetic_dataset_create(name="again", record=model, clean_dir=str(clean), count=2,
                                                user=users["researcher"])
    stored = ('OSError: [Errno 28] No space left: \'/work/main/var/media/synthetic/again/masks/0001.png\'\n\n'
              'Traceback (most recent call last):\n  File "/work/main/synthesis/core/dataset.py", line 150\n')
    Job.objects.filter(pk=dataset.job_id).update(state=Job.State.FAILED, error=stored)
    client.force_login(users["researcher"])
    for url in (f"/synthesis/datasets/{dataset.pk}/", "/synthesis/"):  # the dataset's page and the list of builds
        page = client.get(url).content.decode()
        assert "OSError" not in page and "Traceback" not in page and "/work/main" not in page
        assert "The job stopped on an internal error" in page
    assert "dataset-retry" in client.get(f"/synthesis/datasets/{dataset.pk}/").content.decode()
    r = client.post(f"/jobs/{dataset.job_id}/retry/", {"next": f"/synthesis/datasets/{dataset.pk}/"})
    assert r.status_code == 302 and r.url == f"/synthesis/datasets/{dataset.pk}/"
    assert Job.objects.get(pk=dataset.job_id).state == Job.State.PENDING and dataset.job_id in sent
    # a next outside the site is not followed
    Job.objects.filter(pk=dataset.job_id).update(state=Job.State.FAILED)
    r = client.post(f"/jobs/{dataset.job_id}/retry/", {"next": "https://evil.example/"})
    assert r.url == f"/jobs/{dataset.job_id}/"


@pytest.mark.django_db
def test_a_refused_zip_of_clean_images_keeps_nothing_and_says_what_was_refused(client, users, model, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.synthesis.test_synthesis_app import zip_of

    client.force_login(users["researcher"])
    r = client.post("/synthesis/datasets/new/", {"name": "evil", "model": model.pk, "seed": "0", "clean_zip":
                                              SimpleUploadedFile("c.zip", zip_of({"../evil.png": b"x"}))})
    body = r.content.decode()
    assert "Dataset build refused: the zip of clean images has 1 problem:" in body
    assert "submission" not in body.lower()
    # a good zip whose images are smaller than the crop: refused, and its images are not kept
    from imaging.io import encode_image

    png = encode_image(np.full((64, 80, 3), 120, np.uint8), fmt="PNG")
    r = client.post("/synthesis/datasets/new/", {"name": "tiny", "model": model.pk, "seed": "0", "crop": "128x128",
                                              "clean_zip": SimpleUploadedFile("c.zip", zip_of({"a.png": png}))})
    assert "larger than the clean image a.png of 80 x 64" in r.content.decode()
    assert not (Path(media) / "private" / "clean" / "tiny").exists()
    assert not SyntheticDataset.objects.exists()


@pytest.mark.django_db
def test_a_rendered_preview_downloads_as_a_zip(client, users, model, media):
    preview = OverlayPreview.objects.create(damage_model=model, width=64, height=48, seed=1)
    client.force_login(users["researcher"])
    r = client.get(f"/synthesis/previews/{preview.pk}/download/", follow=True)
    assert "not rendered yet" in r.content.decode()
    services.preview_render(preview=preview)
    assert b"preview-download" in client.get(f"/synthesis/previews/{preview.pk}/").content
    r = client.get(f"/synthesis/previews/{preview.pk}/download/")
    names = zipfile.ZipFile(io.BytesIO(b"".join(r.streaming_content))).namelist()
    assert sorted(names) == [f"preview-{preview.pk}/{k}.png" for k in ("clean", "mask", "negative", "positive")]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_a_too_large_crop_is_refused_and_a_built_dataset_downloads(page, live_server, users,
                                                                                  small_dataset, media,  # noqa: F811
                                                                                  tmp_path):
    model = services.damage_model_fit(dataset=small_dataset, name="m")
    clean = clean_folder(tmp_path / "clean")
    browser_login(page, live_server, "researcher", "researcher")
    # when: they ask for a crop larger than a clean image
    page.goto(f"{live_server.url}/synthesis/")
    page.fill("#ds-name", "browser-set")
    page.select_option("#ds-model", str(model.pk))
    page.fill("#ds-clean", str(clean))
    page.fill("#ds-crop", "512x512")
    page.click("[data-testid=dataset-form] button[type=submit]")
    # then: the form says so, keeps what they typed, and no build starts
    message = page.inner_text(".messages")
    assert "crop 512 x 512 is larger than the clean image clean0.png of 451 x 300" in message
    assert page.input_value("#ds-crop") == "512x512" and page.input_value("#ds-name") == "browser-set"
    assert not SyntheticDataset.objects.exists()
    assert "Traceback" not in page.content()
    screenshot(page, "dataset-crop-refused")
    # given: a finished build
    dataset = services.synthetic_dataset_create(name="browser-set", record=model, clean_dir=str(clean), count=2,
                                                options={"crop": [96, 96], "grain": False}, enqueue=False)
    services.synthetic_dataset_build(dataset=dataset)
    # when: they download it from its page
    page.goto(f"{live_server.url}/synthesis/datasets/{dataset.pk}/")
    assert "Traceback" not in page.content()
    with page.expect_download() as info:
        page.click("[data-testid=dataset-download]")
    download = info.value
    # then: the zip holds the manifest and every item
    path = tmp_path / "download.zip"
    download.save_as(path)
    assert download.suggested_filename == "browser-set.zip"
    names = zipfile.ZipFile(path).namelist()
    assert "browser-set/manifest.json" in names and len(names) == 2 + 2 * 3


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_fit_from_the_page_is_followed_on_its_job_page_to_a_link_to_the_model(page, live_server, users,
                                                                                small_dataset,  # noqa: F811
                                                                                celery_worker_process):
    from synthesis.models import DamageModel

    browser_login(page, live_server, "researcher", "researcher")
    # when: they fit a model from the damage models page
    page.goto(f"{live_server.url}/synthesis/")
    page.select_option("#fit-dataset", str(small_dataset.pk))
    page.fill("#fit-name", "followed")
    page.click("[data-testid=fit-form] button[type=submit]")
    page.wait_for_url("**/jobs/*/")
    # then: without a reload, the job page ends with the device, one attempt and a link to the model
    page.wait_for_selector("[data-testid=job-result] a[href^='/synthesis/damage-models/']", timeout=120_000)
    record = DamageModel.objects.get(name="followed")
    link = page.locator("[data-testid=job-result] a").first
    assert link.get_attribute("href") == f"/synthesis/damage-models/{record.pk}/" and record.label in link.inner_text()
    assert page.inner_text("[data-testid=job-device]") == "cpu"
    assert page.inner_text("[data-testid=job-attempts]") == "1"
    assert page.inner_text("[data-testid=job-started]") != "—"
    text = page.inner_text("main")
    assert "{'" not in text and "Traceback" not in text
    screenshot(page, "job-fit-followed")
    link.click()
    page.wait_for_url(f"**/synthesis/damage-models/{record.pk}/")
