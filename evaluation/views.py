"""Pages of the leaderboard: benchmarks, the ranked tables with plots, submissions, image drill-downs.

Reading is open to anyone; submitting, importing and computing baselines need a researcher; the
hidden ground truth is served to administrators only.
"""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from evaluation.core.ranking import RESTORATION_METRICS, SEGMENTATION_METRICS
from evaluation.core.scoring import DEFAULT_DAMAGE_THRESHOLD, DEFAULT_DILATION
from evaluation.core.submissions import SubmissionError
from webapp import storage
from webapp.permissions import can, permission_required, require

from . import figures, selectors
from .apis import ground_truth_response
from .models import Benchmark, BenchmarkImage, Submission
from .services import baselines, benchmarks, submissions


def index(request):
    benchmarks = list(selectors.benchmark_list())
    return render(request, "evaluation/index.html", {
        "benchmarks": benchmarks, "baseline_jobs": selectors.baseline_jobs(benchmarks=benchmarks),
        "is_researcher": can(request.user, "evaluation.benchmark.import"),
        "default_threshold": DEFAULT_DAMAGE_THRESHOLD, "default_dilation": DEFAULT_DILATION,
    })


@permission_required("evaluation.benchmark.import")
@require_POST
def benchmark_import(request):
    upload = request.FILES.get("archive")
    try:
        if upload is None:
            raise ValueError("Choose a zip of the benchmark folder.")
        job = benchmarks.benchmark_import_enqueue(
            upload=upload, name=request.POST.get("name", ""),
            threshold=float(request.POST.get("threshold") or DEFAULT_DAMAGE_THRESHOLD),
            dilation=int(request.POST.get("dilation") or DEFAULT_DILATION),
            description=request.POST.get("description", ""), user=request.user)
    except ValueError as exc:
        messages.error(request, f"Benchmark import refused: {exc}")
        return redirect("evaluation:index")
    messages.success(request, f"Importing the benchmark: follow job {job.pk}.")
    return redirect("jobs:detail", job_id=job.pk)


def benchmark_detail(request, benchmark_id: int):
    benchmark = get_object_or_404(selectors.benchmark_list(), pk=benchmark_id)
    board = selectors.leaderboard(benchmark=benchmark)
    segmentation = selectors.segmentation_leaderboard(benchmark=benchmark)
    per_image = selectors.per_image_rows(benchmark=benchmark)
    mine = []
    if request.user.is_authenticated:
        mine = (benchmark.submissions.filter(created_by=request.user).exclude(state=Submission.State.SCORED)
                .select_related("job")[:20])
    return render(request, "evaluation/benchmark.html", {
        "benchmark": benchmark, "board": board, "segmentation": segmentation,
        "baseline_job": selectors.baseline_jobs(benchmarks=[benchmark]).get(benchmark.pk),
        "figures": figures.leaderboard_figures(board=board, segmentation=segmentation, per_image=per_image),
        "box_keys": [f"box_{m.key}" for m in board["metrics"]] + (["box_emd"] if segmentation["rows"] else []),
        "images": benchmark.images.all(), "methods": baselines.baseline_methods(), "mine": mine,
        "is_researcher": can(request.user, "evaluation.submission.create"),
        "ground_truth": selectors.ground_truth_visible(benchmark=benchmark, user=request.user),
        "masks_choices": Submission.Masks.choices,
    })


@permission_required("evaluation.submission.create")
@require_POST
def submission_create(request, benchmark_id: int):
    benchmark = get_object_or_404(Benchmark, pk=benchmark_id)
    try:
        if "archive" not in request.FILES:
            raise ValueError("Choose a zip of your restorations.")
        submission = submissions.submission_create(
            benchmark=benchmark, user=request.user, method_name=request.POST.get("method_name", ""),
            archive=request.FILES["archive"], masks_archive=request.FILES.get("masks"),
            paper_url=request.POST.get("paper_url", "").strip(), code_url=request.POST.get("code_url", "").strip(),
            patch_wise=request.POST.get("patch_wise") == "on",
            masks_used=request.POST.get("masks_used", Submission.Masks.NONE), notes=request.POST.get("notes", ""))
    except SubmissionError as exc:
        messages.error(request, "Submission refused: " + "; ".join(f"{e.name}: {e.message}" for e in exc.errors))
        return redirect("evaluation:benchmark", benchmark_id=benchmark.pk)
    except ValueError as exc:
        messages.error(request, f"Submission refused: {exc}")
        return redirect("evaluation:benchmark", benchmark_id=benchmark.pk)
    messages.success(request, f"{submission.label} accepted: it is being scored.")
    return redirect("evaluation:submission", submission_id=submission.pk)


def submission_detail(request, submission_id: int):
    submission = get_object_or_404(Submission.objects.select_related("benchmark", "job", "created_by"),
                                   pk=submission_id)
    require(request.user, "evaluation.submission.view", submission)
    rows = selectors.per_image_rows(benchmark=submission.benchmark, submission=submission)
    summary = submission.scores.filter(image__isnull=True).first()
    return render(request, "evaluation/submission.html", {
        "submission": submission, "rows": rows, "summary": summary,
        "metrics": RESTORATION_METRICS + (SEGMENTATION_METRICS if any("iou" in r for r in rows) else ()),
        "watch": bool(submission.job) and can(request.user, "jobs.view", submission.job),
    })


def image_detail(request, benchmark_id: int, name: str):
    image = get_object_or_404(BenchmarkImage.objects.select_related("benchmark"), benchmark_id=benchmark_id,
                              name=name)
    comparison = selectors.image_comparison(benchmark=image.benchmark, image=image, user=request.user)
    return render(request, "evaluation/image.html", {"image": image, "benchmark": image.benchmark, **comparison})


def ground_truth(request, benchmark_id: int, name: str):
    """The expert restoration (``?display=1``: its 8-bit preview; ``?mask=1``: the mask), administrators only."""
    image = get_object_or_404(BenchmarkImage.objects.select_related("benchmark"), benchmark_id=benchmark_id,
                              name=name)
    require(request.user, "evaluation.ground_truth.view", image.benchmark)
    what = "display" if request.GET.get("display") else "mask" if request.GET.get("mask") else "file"
    return ground_truth_response(request=request, benchmark=image.benchmark, image=image, what=what)


def submission_image(request, submission_id: int, name: str):
    """The 8-bit preview of a submission's restoration of image ``name`` (the comparison's panel), for whoever
    may see the submission (``evaluation.submission.view``: a draft's only to its submitter)."""
    submission = get_object_or_404(Submission, pk=submission_id)
    if not can(request.user, "evaluation.submission.view", submission):
        raise Http404("No such submission image.")
    item = get_object_or_404(submission.images, name=name)
    if not item.display:
        raise Http404("This image has no preview yet.")
    return storage.serve(item.display.name)


@permission_required("evaluation.baselines.run")
@require_POST
def baselines_start(request, benchmark_id: int):
    benchmark = get_object_or_404(Benchmark, pk=benchmark_id)
    job = baselines.baselines_enqueue(benchmark=benchmark, user=request.user)
    messages.success(request, f"Computing the baseline rows: follow job {job.pk}.")
    return redirect("jobs:detail", job_id=job.pk)
