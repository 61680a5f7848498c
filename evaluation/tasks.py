"""Celery tasks of the evaluation app: thin wrappers of services."""
from __future__ import annotations

from pathlib import Path

from jobs.tasking import job_task, torch_device

from .models import Benchmark, Submission
from .services import baselines, benchmarks, scoring


@job_task(name="evaluation.submission_score", kind="submission.score", queue="gpu", idempotent=True)
def submission_score(*, job, progress) -> dict:
    submission = Submission.objects.select_related("benchmark").get(pk=job.params["submission_id"])
    return scoring.submission_score(submission=submission, progress=progress, device=torch_device())


@job_task(name="evaluation.baselines_compute", kind="benchmark.baselines", queue="gpu",
          idempotent=True)
def baselines_compute(*, job, progress) -> dict:
    benchmark = Benchmark.objects.get(pk=job.params["benchmark_id"])
    report = baselines.baselines_compute(benchmark=benchmark, methods=job.params.get("methods") or None,
                                         device=torch_device(), progress=progress)
    return {**report, "url": f"/evaluation/{benchmark.pk}/"}


@job_task(name="evaluation.benchmark_import", kind="benchmark.import", queue="cpu")
def benchmark_import(*, job, progress) -> dict:
    params = job.params
    archive = Path(params["archive"])
    try:
        benchmark = benchmarks.benchmark_import_zip(
            archive=archive, name=params["name"], threshold=params["threshold"], dilation=params["dilation"],
            description=params.get("description", ""), source=params.get("source", ""), user=job.created_by,
            progress=progress)
    finally:
        archive.unlink(missing_ok=True)
    return {"benchmark_id": benchmark.pk, "images": benchmark.images.count(), "url": f"/evaluation/{benchmark.pk}/"}
