"""Scoring, baselines, ranks, exports and re-scoring after a metric-card change."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from django.urls import reverse

from evaluation import selectors
from evaluation.core import metrics as card
from evaluation.core.scoring import score_arrays
from evaluation.models import Benchmark, Score, Submission
from evaluation.services import baselines, scoring, submissions
from imaging.io import write_image
from jobs.models import Job
from tests.evaluation.leaderboard_support import restorations, upload, write_pairs, zip_bytes
from tests.support import run_command

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


def make_submission(bench, user, name="M", quality="good"):
    archive = upload("r.zip", zip_bytes(restorations(bench.pairs, quality=quality)))
    return submissions.submission_create(benchmark=bench, user=user, method_name=name, archive=archive)


def test_scores_equal_the_metric_card_and_scoring_resumes(bench, users):
    # given a submission
    submission = make_submission(bench, users["researcher"])
    # when it is scored
    result = scoring.submission_score(submission=submission, device="cpu")
    # then each image's scores are the core's on the same arrays, recorded with the card version
    assert (result["scored"], result["kept"]) == (3, 0)
    submission.refresh_from_db()
    assert submission.state == "scored" and submission.scored_at is not None
    damaged, restored = bench.pairs["b"]
    mine = restored.copy()
    mine[0, 0] //= 2
    expected = score_arrays(restored, mine, damaged, damage_threshold=bench.threshold, dilation=bench.dilation)
    stored = Score.objects.get(submission=submission, image__name="b")
    assert stored.card_version == card.METRIC_CARD_VERSION
    assert stored.values["psnr"] == pytest.approx(expected["psnr"])
    assert stored.values["lpips"] == pytest.approx(expected["lpips"], abs=1e-6)
    assert stored.values["psnr_clean"] == pytest.approx(expected["psnr_clean"])
    # the summary is the mean and population std over the images
    psnrs = [s.values["psnr"] for s in Score.objects.filter(submission=submission, image__isnull=False)]
    summary = Score.objects.get(submission=submission, image=None).values
    assert summary["mean"]["psnr"] == pytest.approx(np.mean(psnrs)) and summary["count"] == 3
    assert summary["std"]["psnr"] == pytest.approx(np.std(psnrs))
    # and a second run computes only what is missing
    assert scoring.submission_score(submission=submission, device="cpu")["scored"] == 0


def test_baselines_do_nothing_and_available_methods(bench):
    # when the baselines are computed (every registry method; unavailable ones skipped)
    report = baselines.baselines_compute(benchmark=bench, device="cpu")
    # then the do-nothing row and the dust & scratches filter are scored, the others say why not
    assert report["computed"][:2] == ["do-nothing", "dust-scratches"]
    registry = {m["name"]: m for m in baselines.baseline_methods()}
    assert set(report["computed"][1:]) | set(report["skipped"]) == set(registry)
    assert all(reason for reason in report["skipped"].values())
    assert Benchmark.objects.get(pk=bench.pk).baseline_report["skipped"] == report["skipped"]
    # the do-nothing row scores the damaged inputs: its PSNR is that of the input against the ground truth
    do_nothing = Submission.objects.get(baseline_method="do-nothing")
    values = Score.objects.get(submission=do_nothing, image__name="a").values
    damaged, restored = bench.pairs["a"]
    assert values["psnr"] == pytest.approx(card.psnr(restored, damaged))
    assert values["psnr_clean"] == "inf"  # outside the damage the input is the ground truth
    # the filter's masks put it on the segmentation table (with the U-Net rows when weights are present)
    board = selectors.leaderboard(benchmark=bench)
    assert {r["baseline_method"] for r in board["rows"]} >= {"do-nothing", "dust-scratches"}
    segmentation = selectors.segmentation_leaderboard(benchmark=bench)
    mask_methods = {r["baseline_method"] for r in segmentation["rows"]}
    assert "dust-scratches" in mask_methods and "do-nothing" not in mask_methods
    assert mask_methods <= set(report["computed"]) - {"do-nothing"}
    assert segmentation["threshold"] in segmentation["rows"][0]["sweep"]["thresholds"]


def _row(bench, name, means, *, baseline=False, version=1, user=None, sweep=None, card_version=None):
    submission = Submission.objects.create(benchmark=bench, method_name=name, version=version, is_baseline=baseline,
                                           baseline_method=name if baseline else "", created_by=user,
                                           state=Submission.State.SCORED)
    values = {"mean": means, "std": {k: 0.0 for k in means}, "count": 3}
    if sweep:
        values["sweep"] = sweep
    Score.objects.create(submission=submission, image=None, values=values,
                         card_version=card_version or card.METRIC_CARD_VERSION)
    return submission


def test_ranks_and_average_rank_on_a_hand_made_set(bench, users):
    # given three methods with known means (PSNR/SSIM higher better, LPIPS lower better)
    full = {"psnr_damage": 10.0, "ssim_damage": 0.5, "psnr_clean": 40.0, "ssim_clean": 0.9}
    _row(bench, "A", {"psnr": 30.0, "ssim": 0.90, "lpips": 0.20, **full}, user=users["researcher"])
    _row(bench, "B", {"psnr": 32.0, "ssim": 0.90, "lpips": 0.30, **full, "psnr_damage": 12.0},
         user=users["researcher"])
    _row(bench, "B", {"psnr": 1.0, "ssim": 0.1, "lpips": 0.9, **full}, user=users["researcher"], version=2,
         card_version="0.9")  # latest version of B, shown (flagged stale) instead of version 1
    _row(bench, "do-nothing", {"psnr": 25.0, "ssim": 0.95, "lpips": "nan", **full}, baseline=True)
    # when the leaderboard is read
    board = selectors.leaderboard(benchmark=bench)
    rows = {r["method"]: r for r in board["rows"]}
    # then (by hand) PSNR: A 30 -> 1, do-nothing 25 -> 2, B v2 1 -> 3
    assert {m: rows[m]["metrics"]["psnr"]["rank"] for m in rows} == {"A": 1, "do-nothing": 2, "B": 3}
    # SSIM: do-nothing 0.95 -> 1, A 0.90 -> 2, B 0.1 -> 3; LPIPS: A 1, B 2, do-nothing undefined -> last (3)
    assert {m: rows[m]["metrics"]["ssim"]["rank"] for m in rows} == {"do-nothing": 1, "A": 2, "B": 3}
    assert {m: rows[m]["metrics"]["lpips"]["rank"] for m in rows} == {"A": 1, "B": 2, "do-nothing": 3}
    # equal damage-region values tie at rank 1; average rank over the 7 columns
    assert rows["A"]["average_rank"] == pytest.approx((1 + 2 + 1 + 1 + 1 + 1 + 1) / 7)
    assert rows["do-nothing"]["average_rank"] == pytest.approx((2 + 1 + 3 + 1 + 1 + 1 + 1) / 7)
    assert [r["method"] for r in board["rows"]] == ["A", "do-nothing", "B"]
    assert [r["position"] for r in board["rows"]] == [1, 2, 3]
    assert rows["B"]["version"] == 2 and rows["B"]["versions"] == 2 and rows["B"]["stale"]


def test_segmentation_threshold_is_chosen_by_the_baselines(bench, users):
    sweep = lambda f1s: {"thresholds": [0.01, 0.02, 0.05], "iou_sweep_mean": [v / 2 for v in f1s],  # noqa: E731
                         "iou_sweep_std": [0, 0, 0], "f1_sweep_mean": f1s, "f1_sweep_std": [0, 0, 0]}
    _row(bench, "filter", {"emd": 0.1}, baseline=True, sweep=sweep([0.2, 0.5, 0.4]))
    _row(bench, "mine", {"emd": 0.05}, user=users["researcher"], sweep=sweep([0.9, 0.1, 0.1]))
    table = selectors.segmentation_leaderboard(benchmark=bench)
    # the baselines peak at 0.02, whatever the submissions prefer
    assert table["threshold"] == 0.02
    rows = {r["method"]: r for r in table["rows"]}
    assert rows["filter"]["metrics"]["f1"]["mean"] == 0.5 and rows["mine"]["metrics"]["f1"]["mean"] == 0.1
    assert rows["mine"]["metrics"]["emd"]["rank"] == 1 and rows["filter"]["metrics"]["f1"]["rank"] == 1


def test_exports_per_image_scores_as_csv_and_json(client, bench, users):
    # given a scored submission with a perfect image (PSNR inf)
    submission = make_submission(bench, users["researcher"], quality="exact")
    scoring.submission_score(submission=submission, device="cpu")
    url = reverse("evaluation-api-scores", args=[bench.pk])
    # when anyone downloads the CSV
    r = client.get(url + "?as=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    # then there is one line per image with every metric, non-finite values spelled out
    assert [row["image"] for row in rows] == ["a", "b", "c"]
    assert {row["psnr"] for row in rows} == {"inf"} and rows[0]["method"] == "M" and rows[0]["version"] == "1"
    assert float(rows[0]["ssim"]) == pytest.approx(1.0) and rows[0]["card_version"] == card.METRIC_CARD_VERSION
    # and the JSON is strict, with null for non-finite values
    body = json.loads(client.get(url + "?as=json").content)
    assert body["benchmark"] == "small" and len(body["rows"]) == 3 and body["rows"][0]["psnr"] is None
    assert body["threshold"] == bench.threshold
    one = json.loads(client.get(url + f"?as=json&submission={submission.pk}").content)
    assert {r["submission_id"] for r in one["rows"]} == {submission.pk}
    assert client.get(url + "?as=xml").status_code == 400


def test_leaderboard_json_and_pages(client, bench, users):
    submission = make_submission(bench, users["researcher"])
    scoring.submission_score(submission=submission, device="cpu")
    body = client.get(reverse("evaluation-api-leaderboard", args=[bench.pk])).json()
    row = body["restoration"]["rows"][0]
    assert (row["method"], row["position"], row["metrics"]["psnr"]["rank"]) == ("M", 1, 1)
    assert [m["key"] for m in body["restoration"]["metrics"]][:3] == ["psnr", "ssim", "lpips"]
    page = client.get(reverse("evaluation:benchmark", args=[bench.pk])).content.decode()
    assert 'data-method="M"' in page and "box_psnr" in page
    page = client.get(reverse("evaluation:image", args=[bench.pk, "a"])).content.decode()
    assert "M v1" in page and '"kind": "input"' in page
    page = client.get(reverse("evaluation:submission", args=[submission.pk])).content.decode()
    assert 'data-state="scored"' in page


def test_rescoring_when_the_metric_card_changes(bench, users, monkeypatch):
    # given a scored submission and a draft
    submission = make_submission(bench, users["researcher"])
    scoring.submission_score(submission=submission, device="cpu")
    Job.objects.filter(pk=submission.job_id).update(state=Job.State.SUCCEEDED)
    submissions.submission_create(benchmark=bench, user=users["researcher"], method_name="draft")
    assert not selectors.submissions_needing_rescore().exists()
    assert "0 submission(s)" in run_command("rescore_submissions")
    # when the metric card changes version
    monkeypatch.setattr(card, "METRIC_CARD_VERSION", "9.9-test")
    # then the submission is stale, and the command enqueues a scoring job for it only
    assert list(selectors.submissions_needing_rescore()) == [submission]
    assert selectors.leaderboard(benchmark=bench)["rows"][0]["stale"]
    out = run_command("rescore_submissions")
    assert f"1 submission(s) enqueued for scoring ({submission.pk})" in out
    submission.refresh_from_db()
    job = submission.job
    assert (job.kind, job.state, job.queue) == ("submission.score", "pending", "gpu")
    # a job in flight is not enqueued twice (the post-migrate hook finds nothing to do)
    from evaluation.apps import rescore_after_migrate

    rescore_after_migrate()
    assert Job.objects.filter(kind="submission.score").count() == 2
    # and scoring it records the new version everywhere
    result = scoring.submission_score(submission=submission, device="cpu")
    assert result["scored"] == 3
    assert set(Score.objects.filter(submission=submission).values_list("card_version", flat=True)) == {"9.9-test"}
    Job.objects.filter(pk=job.pk).update(state=Job.State.SUCCEEDED)
    assert not selectors.submissions_needing_rescore().exists()
    # --all re-scores everything from scratch
    assert "1 submission(s)" in run_command("rescore_submissions", "--all")
    assert not Score.objects.filter(submission=submission).exists()


def test_score_restorations_prints_the_documented_json(tmp_path):
    pairs = write_pairs(tmp_path / "b")
    (tmp_path / "mine").mkdir()
    for name, (damaged, restored) in pairs.items():
        write_image(tmp_path / "mine" / f"{name}.png", restored if name == "a" else damaged)
    out = json.loads(run_command("score_restorations", "--gt", str(tmp_path / "b" / "restored"), "--restored",
                                 str(tmp_path / "mine"), "--damaged", str(tmp_path / "b" / "damaged"), "--json"))
    assert [i["name"] for i in out["images"]] == ["a", "b", "c"]
    for key in ("psnr", "ssim", "lpips", "psnr_damage", "psnr_clean"):
        assert key in out["images"][0] and key in out["mean"] and key in out["std"]
    assert out["images"][0]["psnr"] is None  # identical to the ground truth: inf, written as null
    assert out["images"][1]["psnr"] == pytest.approx(card.psnr(pairs["b"][1], pairs["b"][0]))
    assert out["metric_card"]["version"] == card.METRIC_CARD_VERSION
    plain = json.loads(run_command("score_restorations", "--gt", str(tmp_path / "b" / "restored"), "--restored",
                                   str(tmp_path / "mine"), "--json"))
    assert "psnr_damage" not in plain["images"][0] and plain["mean"]["psnr"] is None  # inf among finite values


def test_a_submission_with_masks_enters_the_segmentation_table(bench, users):
    from evaluation.core.submissions import SubmissionError
    from tests.evaluation.leaderboard_support import damage, png

    # given masks that find exactly the drawn damage of each image
    masks = {f"{name}.png": png(damage(restored, 100 + i)[1].astype(np.uint8) * 255)
             for i, (name, (_, restored)) in enumerate(bench.pairs.items())}
    archive = upload("r.zip", zip_bytes(restorations(bench.pairs)))
    # an RGB mask is refused, with the others
    bad = dict(masks, **{"a.png": png(np.zeros((48, 64, 3), np.uint8))})
    with pytest.raises(SubmissionError, match="a.png: has 3 channel"):
        submissions.submission_create(benchmark=bench, user=users["researcher"], method_name="S", archive=archive,
                                      masks_archive=upload("m.zip", zip_bytes(bad)))
    assert not Submission.objects.exists()
    # when submitted with good masks and scored
    submission = submissions.submission_create(
        benchmark=bench, user=users["researcher"], method_name="S", masks_used="own",
        archive=upload("r.zip", zip_bytes(restorations(bench.pairs))), masks_archive=upload("m.zip", zip_bytes(masks)))
    scoring.submission_score(submission=submission, device="cpu")
    # then its masks match the ground truth (made by the same differencing) perfectly
    values = Score.objects.get(submission=submission, image__name="a").values
    assert values["iou"] == 1.0 and values["f1"] == 1.0 and values["emd"] == pytest.approx(0.0, abs=1e-8)
    table = selectors.segmentation_leaderboard(benchmark=bench)
    assert [r["method"] for r in table["rows"]] == ["S"] and table["rows"][0]["metrics"]["iou"]["rank"] == 1
