"""Submissions through the REST API: every kind of bad submission refused with nothing kept, drafts, permissions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse

from evaluation.models import Submission, SubmissionImage
from jobs.models import Job
from tests.evaluation.leaderboard_support import SHAPE, png, restorations, upload, zip_bytes
from tests.support import download, site_path
from webapp import storage

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


@pytest.fixture
def researcher(client, users):
    client.force_login(users["researcher"])
    return client


def submit(client, bench, archive: bytes | None, **fields):
    data = {"method_name": "My method", **fields}
    if archive is not None:
        data["archive"] = upload("restored.zip", archive)
    return client.post(reverse("evaluation-api-submissions", args=[bench.pk]), data)


def stored_submission_files(media: Path) -> list[str]:
    """Every stored submission file (private since submissions are served by a view), in any storage."""
    from webapp import storage

    return storage.list_tree("private/leaderboard") + storage.list_tree("leaderboard")


def test_a_good_zip_is_stored_and_a_scoring_job_started(researcher, bench, users):
    # when a researcher submits one restoration per image
    r = submit(researcher, bench, zip_bytes(restorations(bench.pairs)), paper_url="https://example.org/p",
               patch_wise="true", masks_used="own")
    # then it is accepted as version 1 with a scoring job on the gpu queue
    assert r.status_code == 202, r.content
    body = r.json()
    assert (body["version"], body["state"], body["patch_wise"], body["masks_used"]) == (1, "pending", True, "own")
    assert sorted(i["name"] for i in body["images"]) == ["a", "b", "c"]
    job = Job.objects.get(pk=body["job_id"])
    assert (job.kind, job.queue, job.created_by, job.params) == ("submission.score", "gpu", users["researcher"],
                                                            {"submission_id": body["id"]})
    # and a resubmission is version 2
    r = submit(researcher, bench, zip_bytes(restorations(bench.pairs)))
    assert r.json()["version"] == 2


def test_images_in_one_top_level_folder_are_accepted(researcher, bench):
    members = {f"results/{k}": v for k, v in restorations(bench.pairs).items()}
    assert submit(researcher, bench, zip_bytes(members)).status_code == 202


def _bad(bench, kind):
    good = restorations(bench.pairs)
    grey = png(np.zeros(SHAPE[:2], np.uint8))
    if kind == "missing":
        return zip_bytes({k: v for k, v in good.items() if k != "c.png"})
    if kind == "extra":
        return zip_bytes({**good, "d.png": good["a.png"]})
    if kind == "size":
        return zip_bytes({**good, "b.png": png(np.zeros((40, 64, 3), np.uint8))})
    if kind == "channels":
        return zip_bytes({**good, "b.png": grey})
    if kind == "bit_depth":
        return zip_bytes({**good, "b.png": png(np.zeros(SHAPE, np.uint16))})
    if kind == "unreadable":
        return zip_bytes({**good, "b.png": good["b.png"][:-40]})
    if kind == "zip slip":
        return zip_bytes({**good, "../evil.png": good["a.png"]})
    if kind == "absolute path":
        return zip_bytes({**good, "/tmp/evil.png": good["a.png"]})
    if kind == "nested":
        return zip_bytes({**good, "extra/a.png": good["a.png"]})
    if kind == "not an image":
        return zip_bytes({**good, "readme.txt": b"hello"})
    if kind == "not a zip":
        return b"this is not a zip archive at all"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind, name, code, words", [
    ("missing", "c", "missing", "no file with this name"),
    ("extra", "d.png", "extra", "not an image of this benchmark"),
    ("size", "b.png", "size", "64 x 40 px, expected 64 x 48 px (never resized)"),
    ("channels", "b.png", "channels", "1 channel(s), expected 3"),
    ("bit_depth", "b.png", "bit_depth", "uint16, expected uint8"),
    ("unreadable", "b.png", "unreadable", "b.png"),
    ("zip slip", "../evil.png", "unsafe_path", "climbs out of the folder"),
    ("absolute path", "/tmp/evil.png", "unsafe_path", "absolute path"),
    ("nested", "extra/a.png", "nested", "subfolder"),
    ("not an image", "readme.txt", "unsupported", "is not an image"),
    ("not a zip", "images.zip", "unreadable", "not a readable zip archive"),
])
def test_each_kind_of_bad_submission_is_refused_with_a_clear_error(researcher, bench, private_media, kind, name,
                                                                   code, words):
    stored = stored_submission_files(private_media)  # on S3 the run's bucket holds earlier tests' files
    # when a bad archive is submitted
    r = submit(researcher, bench, _bad(bench, kind))
    # then it is refused with one error naming the file and the problem
    assert r.status_code == 400, r.content
    errors = r.json()["errors"]
    assert [(e["name"], e["code"]) for e in errors] == [(name, code)]
    assert words in errors[0]["message"]
    assert name in r.json()["detail"]
    # and nothing is kept
    assert not Submission.objects.exists() and not SubmissionImage.objects.exists() and not Job.objects.exists()
    assert stored_submission_files(private_media) == stored


def test_every_problem_is_listed_at_once(researcher, bench):
    good = restorations(bench.pairs)
    archive = zip_bytes({"a.png": good["a.png"], "b.png": png(np.zeros((40, 64, 3), np.uint8)),
                         "z.png": good["c.png"]})
    codes = sorted(e["code"] for e in submit(researcher, bench, archive).json()["errors"])
    assert codes == ["extra", "missing", "size"]


@pytest.mark.parametrize("limit, value, code", [
    ("EVALUATION_SUBMISSION_MAX_FILES", 3, "too_many_files"),
    ("EVALUATION_SUBMISSION_MAX_BYTES", 5000, "too_large"),
    ("EVALUATION_SUBMISSION_MAX_FILE_BYTES", 1000, "too_large"),
])
def test_size_limits(researcher, bench, settings, limit, value, code):
    setattr(settings, limit, value)
    good = restorations(bench.pairs)
    archive = zip_bytes({**good, "d.png": good["a.png"]})
    r = submit(researcher, bench, archive)
    assert r.status_code == 400
    assert code in {e["code"] for e in r.json()["errors"]}
    assert not Submission.objects.exists()


def test_a_zip_bomb_is_refused_on_the_bytes_it_really_unpacks(researcher, bench, settings):
    import io
    import zipfile

    settings.EVALUATION_SUBMISSION_MAX_BYTES = 200_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in restorations(bench.pairs).items():
            archive.writestr(name, data)
        archive.writestr("bomb.png", b"\0" * 5_000_000)  # 5 MB of zeros compress to a few kB
    r = submit(researcher, bench, buffer.getvalue())
    assert r.status_code == 400 and "too_large" in {e["code"] for e in r.json()["errors"]}


@pytest.mark.parametrize("fields, words", [
    ({"method_name": ""}, "method_name"),
    ({"paper_url": "ftp:/nope"}, "paper_url"),
    ({"masks_used": "magic"}, "masks_used"),
])
def test_bad_metadata_is_refused(researcher, bench, fields, words):
    r = submit(researcher, bench, zip_bytes(restorations(bench.pairs)), **fields)
    assert r.status_code == 400 and words in r.json()["detail"]
    assert not Submission.objects.exists()


def test_only_researchers_submit(client, users, bench):
    archive = zip_bytes(restorations(bench.pairs))
    r = submit(client, bench, archive)  # anonymous: no session, no credentials: asked to authenticate
    assert r.status_code == 401 and r["WWW-Authenticate"] == "Token"
    client.force_login(users["annotator"])
    r = submit(client, bench, archive)
    assert r.status_code == 403 and "researchers" in r.json()["detail"]
    assert not Submission.objects.exists()


def test_image_by_image_draft(researcher, bench, users, client):
    # given a draft
    r = researcher.post(reverse("evaluation-api-submissions", args=[bench.pk]),
                        {"method_name": "Step by step", "code_url": "https://example.org/code"},
                        content_type="application/json")
    assert r.status_code == 201 and r.json()["state"] == "draft" and r.json()["job_id"] is None
    draft = r.json()["id"]

    def put(name, data, filename=None, mask=False):
        url = reverse("evaluation-api-submission-image", args=[draft, name]) + ("?mask=1" if mask else "")
        from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

        body = encode_multipart(BOUNDARY, {"image": upload(filename or f"{name}.png", data, "image/png")})
        return researcher.put(url, body, content_type=MULTIPART_CONTENT)

    good = restorations(bench.pairs)
    # bad images are refused one by one, and not kept
    r = put("zz", good["a.png"])
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "extra"
    r = put("a", png(np.zeros((10, 10, 3), np.uint8)))
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "size"
    r = put("a", good["a.png"], filename="a")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "unsupported"
    assert not SubmissionImage.objects.exists()
    # good ones are kept; finalising with one missing says which
    assert put("a", good["a.png"]).status_code == 201
    # (a draft withdrawn takes its stored files with it)
    r = researcher.post(reverse("evaluation-api-submissions", args=[bench.pk]), {"method_name": "Withdrawn"},
                        content_type="application/json")
    withdrawn = r.json()["id"]
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    assert researcher.put(reverse("evaluation-api-submission-image", args=[withdrawn, "a"]),
                          encode_multipart(BOUNDARY, {"image": upload("a.png", good["a.png"], "image/png")}),
                          content_type=MULTIPART_CONTENT).status_code == 201
    stored = SubmissionImage.objects.get(submission_id=withdrawn).file.name
    assert stored.startswith(f"private/leaderboard/submissions/{withdrawn}/") and storage.exists(stored)
    assert researcher.delete(reverse("evaluation-api-submission", args=[withdrawn])).status_code == 204
    assert not storage.exists(stored)
    assert put("b", good["b.png"]).status_code == 201
    finalise = reverse("evaluation-api-submission-finalise", args=[draft])
    r = researcher.post(finalise)
    assert r.status_code == 400 and [(e["name"], e["code"]) for e in r.json()["errors"]] == [("c", "missing")]
    # someone else cannot add to it nor see it
    other = client.__class__()
    other.force_login(users["admin"].__class__.objects.create_user("other", password="x"))
    assert other.get(reverse("evaluation-api-submission", args=[draft])).status_code == 403
    # complete: the draft is closed and a scoring job starts
    assert put("c", good["c.png"]).status_code == 201
    r = researcher.post(finalise)
    assert r.status_code == 202 and r.json()["state"] == "pending"
    assert Job.objects.filter(kind="submission.score", params={"submission_id": draft}).exists()
    assert put("c", good["c.png"]).status_code == 400  # no longer a draft


def test_ground_truth_only_for_administrators_inputs_for_everyone(client, users, bench):
    image = bench.images.get(name="a")
    gt_api = reverse("evaluation-api-ground-truth", args=[bench.pk, "a"])
    gt_page = reverse("evaluation:ground-truth", args=[bench.pk, "a"])
    input_api = reverse("evaluation-api-input", args=[bench.pk, "a"])
    # anyone, even without an account, downloads the inputs
    assert download(client, input_api).content == image.damaged.open("rb").read()
    assert client.get(site_path(image.damaged.name)).status_code == 200
    # but not the ground truth, by any path (the API asks to authenticate, the page to log in)
    assert client.get(gt_api).status_code == 401
    assert client.get(gt_page)["Location"].startswith("/accounts/login/")
    for field in (image.restored, image.gt_mask, image.restored_display):
        assert client.get(site_path(field.name)).status_code == 404
    # a submitter (researcher) is refused too
    client.force_login(users["researcher"])
    assert submit(client, bench, zip_bytes(restorations(bench.pairs))).status_code == 202
    assert client.get(gt_api).status_code == 403
    assert client.get(gt_page).status_code == 403
    assert client.get(gt_page + "?display=1").status_code == 403
    assert '"ground-truth"' not in client.get(reverse("evaluation:image", args=[bench.pk, "a"])).content.decode()
    # even the researcher who imported the benchmark (they brought the ground truth) is refused: administrators only
    bench.created_by = users["researcher"]
    bench.save(update_fields=["created_by"])
    assert client.get(gt_api).status_code == 403
    assert client.get(gt_page + "?mask=1").status_code == 403
    assert client.get(reverse("evaluation-api-benchmark", args=[bench.pk])).json()["ground_truth_visible"] is False
    # administrators get it, by every path
    client.force_login(users["admin"])
    r = download(client, gt_api)
    assert r.status == 200 and r.content == image.restored.open("rb").read()
    assert download(client, gt_page + "?mask=1").status == 200
    assert '"ground-truth"' in client.get(reverse("evaluation:image", args=[bench.pk, "a"])).content.decode()
    assert client.get(reverse("evaluation-api-benchmark", args=[bench.pk])).json()["ground_truth_visible"] is True


def test_reads_are_public(client, bench):
    assert client.get(reverse("evaluation-api-benchmarks")).json()[0]["name"] == "small"
    body = client.get(reverse("evaluation-api-benchmark", args=[bench.pk])).json()
    assert [i["name"] for i in body["images"]] == ["a", "b", "c"] and body["ground_truth_visible"] is False
    assert client.get(reverse("evaluation-api-leaderboard", args=[bench.pk])).status_code == 200
    assert client.get(reverse("evaluation:benchmark", args=[bench.pk])).status_code == 200
    assert client.get(reverse("evaluation:index")).status_code == 200


def test_the_page_form_refuses_a_bad_zip_with_every_problem(researcher, bench):
    archive = zip_bytes({k: v for k, v in restorations(bench.pairs).items() if k != "a.png"})
    r = researcher.post(reverse("evaluation:submit", args=[bench.pk]),
                        {"method_name": "Paged", "archive": upload("r.zip", archive)}, follow=True)
    assert "Submission refused: a: no file with this name was submitted" in r.content.decode()
    assert not Submission.objects.exists()
    r = researcher.post(reverse("evaluation:submit", args=[bench.pk]),
                        {"method_name": "Paged", "archive": upload("r.zip", zip_bytes(restorations(bench.pairs)))})
    submission = Submission.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("evaluation:submission", args=[submission.pk])
