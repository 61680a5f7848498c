"""Reads of the evaluation app: leaderboards with ranks, per-image scores, comparisons, stale scores.

A leaderboard row is the latest scored version of a method: per submitter and method name for
submissions, per registry method for baselines. Ranks are computed here (``core.ranking``), on the
mean over the benchmark's images: higher is better for PSNR, SSIM, IoU and F1, lower for LPIPS and
EMD; the average rank is the mean of a row's ranks over the columns of its table.
"""
from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from evaluation.core.masks import best_f1_threshold
from evaluation.core.metrics import card_version
from evaluation.core.ranking import RESTORATION_METRICS, SEGMENTATION_METRICS, average_ranks, from_stored
from jobs.models import Job
from webapp import storage

from .models import Benchmark, BenchmarkImage, Score, Submission, SubmissionImage

EXPORT_KEYS = tuple(m.key for m in RESTORATION_METRICS) + ("damage_fraction", "iou", "f1", "emd",
                                                          "predicted_fraction")


def benchmark_list() -> QuerySet[Benchmark]:
    return Benchmark.objects.annotate(
        image_count=Count("images", distinct=True),
        scored_count=Count("submissions", filter=Q(submissions__state=Submission.State.SCORED), distinct=True),
    )


def ground_truth_visible(*, benchmark: Benchmark, user) -> bool:
    """Whether ``user`` may see the benchmark's hidden ground truth: administrators only
    (``webapp.permissions``, ``evaluation.ground_truth.view``)."""
    from webapp.permissions import can

    return can(user, "evaluation.ground_truth.view", benchmark)


def _row_key(submission: Submission) -> tuple:
    if submission.is_baseline:
        return ("baseline", submission.baseline_method)
    return ("submission", submission.created_by_id, submission.method_name)


def latest_scored_submissions(*, benchmark: Benchmark) -> list[Submission]:
    """The latest scored version of each method, with ``version_count`` and its ``summary`` values."""
    submissions = (Submission.objects.filter(benchmark=benchmark, state=Submission.State.SCORED)
                   .select_related("created_by").order_by("-version", "-id"))
    summaries = {s.submission_id: s for s in Score.objects.filter(submission__benchmark=benchmark,
                                                                  image__isnull=True)}
    latest: dict[tuple, Submission] = {}
    counts: dict[tuple, int] = {}
    for submission in submissions:
        key = _row_key(submission)
        counts[key] = counts.get(key, 0) + 1
        if key not in latest and submission.pk in summaries:
            latest[key] = submission
    for key, submission in latest.items():
        summary = summaries[submission.pk]
        submission.version_count = counts[key]
        submission.summary = from_stored(summary.values)
        submission.summary_card_version = summary.card_version
    return sorted(latest.values(), key=lambda s: (not s.is_baseline, s.method_name.lower(), s.pk))


def _row(submission: Submission, metrics: dict) -> dict:
    return {
        "submission": submission, "id": submission.pk, "method": submission.method_name,
        "version": submission.version, "versions": submission.version_count,
        "submitter": submission.created_by.username if submission.created_by else "site",
        "is_baseline": submission.is_baseline, "baseline_method": submission.baseline_method,
        "patch_wise": submission.patch_wise, "masks_used": submission.masks_used,
        "paper_url": submission.paper_url, "code_url": submission.code_url, "notes": submission.notes,
        "card_version": submission.summary_card_version,
        "stale": submission.summary_card_version != card_version(), "metrics": metrics,
    }


def _ranked(rows: list[dict], metrics) -> list[dict]:
    means = [{k: v["mean"] for k, v in row["metrics"].items()} for row in rows]
    ranks, averages = average_ranks(means, metrics)
    for row, row_ranks, average in zip(rows, ranks, averages):
        for key, rank in row_ranks.items():
            row["metrics"][key]["rank"] = rank
        row["average_rank"] = average
    rows.sort(key=lambda r: (r["average_rank"], r["method"].lower(), r["id"]))
    for position, row in enumerate(rows, start=1):
        row["position"] = position
    return rows


def leaderboard(*, benchmark: Benchmark) -> dict:
    """The restoration table (the paper's Table 4 plus the damage-region columns), ranked.

    Returns
    -------
    dict
        ``{"metrics": [Metric, ...], "rows": [row, ...], "card_version": str}``; each row has
        ``metrics[key] = {"mean", "std", "rank"}``, ``average_rank`` and ``position`` (1 = best).
    """
    rows = []
    for submission in latest_scored_submissions(benchmark=benchmark):
        mean, std = submission.summary.get("mean", {}), submission.summary.get("std", {})
        metrics = {m.key: {"mean": mean.get(m.key, float("nan")), "std": std.get(m.key, float("nan"))}
                   for m in RESTORATION_METRICS}
        rows.append(_row(submission, metrics))
    return {"metrics": list(RESTORATION_METRICS), "rows": _ranked(rows, RESTORATION_METRICS),
            "card_version": card_version()}


def segmentation_leaderboard(*, benchmark: Benchmark) -> dict:
    """The segmentation table (the paper's Table 3) of the rows with predicted masks, ranked.

    IoU and F1 are taken at the ground-truth threshold ``threshold`` that maximises the baselines'
    mean F1 over the sweep (as the paper chooses it); EMD against the ground truth at the
    benchmark's recorded threshold.
    """
    with_masks = [(s, s.summary["sweep"]) for s in latest_scored_submissions(benchmark=benchmark)
                  if "sweep" in s.summary]
    threshold, thresholds = best_f1_threshold([(s.is_baseline, sweep) for s, sweep in with_masks])
    rows = []
    for submission, sweep in with_masks:
        i = thresholds.index(threshold)
        metrics = {
            "iou": {"mean": sweep["iou_sweep_mean"][i], "std": sweep["iou_sweep_std"][i]},
            "f1": {"mean": sweep["f1_sweep_mean"][i], "std": sweep["f1_sweep_std"][i]},
            "emd": {"mean": submission.summary["mean"].get("emd", float("nan")),
                    "std": submission.summary["std"].get("emd", float("nan"))},
        }
        row = _row(submission, metrics)
        row["sweep"] = sweep
        rows.append(row)
    return {"metrics": list(SEGMENTATION_METRICS), "rows": _ranked(rows, SEGMENTATION_METRICS),
            "threshold": threshold, "recorded_threshold": benchmark.threshold, "card_version": card_version()}


def per_image_rows(*, benchmark: Benchmark, submission: Submission | None = None) -> list[dict]:
    """Per-image scores of the leaderboard rows (or of one submission), for export and plots."""
    chosen = [submission] if submission is not None else latest_scored_submissions(benchmark=benchmark)
    by_id = {s.pk: s for s in chosen}
    scores = (Score.objects.filter(submission_id__in=by_id, image__isnull=False)
              .select_related("image").order_by("submission_id", "image__name"))
    rows = []
    for score in scores:
        sub = by_id[score.submission_id]
        values = from_stored(score.values)
        rows.append({
            "benchmark": benchmark.name, "submission_id": sub.pk, "method": sub.method_name, "version": sub.version,
            "submitter": sub.created_by.username if sub.created_by else "site", "is_baseline": sub.is_baseline,
            "image": score.image.name, "card_version": score.card_version,
            **{key: values[key] for key in EXPORT_KEYS if key in values},
        })
    return rows


def image_comparison(*, benchmark: Benchmark, image: BenchmarkImage, user) -> dict:
    """Panels for the synchronized zoom comparison of one image, and each row's scores on it."""
    ground_truth = ground_truth_visible(benchmark=benchmark, user=user)
    panels = [{"label": "Input (damaged scan)", "url": storage.url(image.damaged_display.name),
               "kind": "input"}]
    if ground_truth:
        panels.append({"label": "Ground truth (expert restoration)", "kind": "ground-truth",
                       "url": reverse("evaluation:ground-truth", args=[benchmark.pk, image.name]) + "?display=1"})
    latest = latest_scored_submissions(benchmark=benchmark)
    scores = {s.submission_id: from_stored(s.values) for s in Score.objects.filter(image=image,
                                                                                  submission__in=latest)}
    displays = {i.submission_id: i for i in SubmissionImage.objects.filter(submission__in=latest, name=image.name)}
    rows = []
    for submission in latest:
        item = displays.get(submission.pk)
        if item is None or not item.display:
            continue
        url = reverse("evaluation:submission-image", args=[submission.pk, image.name])
        panels.append({"label": submission.label, "url": url, "kind": "method"})
        rows.append({"submission": submission, "values": scores.get(submission.pk, {})})
    return {"panels": panels, "rows": rows, "ground_truth": ground_truth, "metrics": list(RESTORATION_METRICS)}


def submissions_needing_rescore(*, all: bool = False) -> QuerySet[Submission]:  # noqa: A002
    """Submitted (not draft) submissions with stale scores, or all of them; none with a job in flight."""
    version = card_version()
    qs = (Submission.objects.exclude(state=Submission.State.DRAFT)
          .exclude(job__state__in=[Job.State.PENDING, Job.State.RUNNING]).select_related("benchmark"))
    if all:
        return qs.order_by("pk")
    other_version = Exists(Score.objects.filter(submission=OuterRef("pk")).exclude(card_version=version))
    current_summary = Exists(Score.objects.filter(submission=OuterRef("pk"), image__isnull=True,
                                                  card_version=version))
    return qs.filter(other_version | (Q(state=Submission.State.SCORED) & ~current_summary)).order_by("pk")


def baseline_jobs(*, benchmarks) -> dict[int, Job]:
    """The latest job of kind ``benchmark.baselines`` of each of ``benchmarks`` (ids or records) that has one.

    Pages show it while it runs ("the baseline rows are being computed") and when it failed.
    """
    ids = [getattr(b, "pk", b) for b in benchmarks]
    latest: dict[int, Job] = {}
    for job in Job.objects.filter(kind="benchmark.baselines", params__benchmark_id__in=ids).order_by("created_at",
                                                                                                    "id"):
        latest[job.params["benchmark_id"]] = job
    return latest
