"""Baseline rows the site computes itself: its restoration methods, and the do-nothing row.

Every method of ``restoration.core.methods`` that reports ``available()`` restores each damaged
input; its output and its damage mask are stored as a baseline submission, which is then scored
(restoration and segmentation). Unavailable methods are skipped with their reason, recorded on
the benchmark for the page. The do-nothing row scores the damaged inputs themselves. A run that is
stopped part way resumes: restorations already stored are not computed again.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from jobs import services as job_services
from restoration.core.methods import Method, get_methods

from ..models import Benchmark, Submission, SubmissionImage
from . import files
from .scoring import scoring_device, submission_score
from .submissions import next_version

DO_NOTHING = "do-nothing"
DO_NOTHING_TITLE = "Do nothing (the damaged input)"
_MASKS_BY_KIND = {"filter": Submission.Masks.OWN, "blind": Submission.Masks.NONE,
                  "segmentation+inpainting": Submission.Masks.SITE}


def baseline_methods() -> list[dict]:
    """Every registry method with whether it can run here and why not (for the page)."""
    return [method.describe() for method in get_methods().values()]


def _open_baseline(benchmark: Benchmark, key: str, **fields) -> Submission:
    """The unfinished baseline submission of ``key`` to resume, or a new version of it."""
    unfinished = (Submission.objects.filter(benchmark=benchmark, is_baseline=True, baseline_method=key)
                  .exclude(state=Submission.State.SCORED).order_by("-version").first())
    if unfinished is not None:
        return unfinished
    with transaction.atomic():
        version = next_version(benchmark=benchmark, user=None, method_name=fields["method_name"], is_baseline=True)
        return Submission.objects.create(benchmark=benchmark, is_baseline=True, baseline_method=key, version=version,
                                         state=Submission.State.PENDING, **fields)


def _do_nothing_row(benchmark: Benchmark) -> Submission:
    submission = _open_baseline(benchmark, DO_NOTHING, method_name=DO_NOTHING_TITLE, patch_wise=False,
                                masks_used=Submission.Masks.NONE,
                                notes="The damaged inputs scored as their own restoration: the floor to beat.")
    have = set(submission.images.values_list("name", flat=True))
    for image in benchmark.images.exclude(name__in=have):
        SubmissionImage.objects.create(submission=submission, name=image.name, file=image.damaged.name,
                                       display=image.damaged_display.name)
    return submission


def _method_row(benchmark: Benchmark, method: Method, *, device: str | None, progress=None) -> Submission:
    submission = _open_baseline(
        benchmark, method.name, method_name=method.title, masks_used=_MASKS_BY_KIND.get(method.kind, "other"),
        patch_wise=method.kind != "filter" and method.name != "lama",
        notes=f"Built-in {method.kind} method {method.name!r} with its default options {dict(method.defaults)}.")
    have = set(submission.images.values_list("name", flat=True))
    todo = list(benchmark.images.exclude(name__in=have))
    base = files.submission_base(submission)
    for done, image in enumerate(todo, start=1):
        result = method.run(files.read_array(image.damaged), device=device)
        stored = [files.store_png(f"{base}/{image.name}.png", result.image),
                  files.store_png(f"{base}/masks/{image.name}.png", result.mask),
                  files.store_display(f"{base}/display/{image.name}.png", result.image)]
        try:
            SubmissionImage.objects.create(submission=submission, name=image.name, file=stored[0], mask=stored[1],
                                           display=stored[2])
        except BaseException:
            files.delete_names(stored)
            raise
        if progress:
            progress(done, len(todo))
    return submission


def baselines_compute(*, benchmark: Benchmark, methods: list[str] | None = None, do_nothing: bool = True,
                      device: str | None = None, progress=None) -> dict:
    """Compute and score the baseline rows of ``benchmark``.

    Parameters
    ----------
    methods : list of str, optional
        Registry names to run (default: every method); unavailable ones are skipped with the reason.
    do_nothing : bool
        Also score the damaged inputs as the do-nothing row.
    device : str, optional
        Where methods and LPIPS run (default: a GPU where there is one).

    Returns
    -------
    dict
        ``{"computed": [registry names], "skipped": {name: reason}, "submissions": [ids], "device": ...}``,
        also stored as ``benchmark.baseline_report``.
    """
    registry = get_methods()
    unknown = sorted(set(methods or []) - set(registry))
    if unknown:
        raise ValueError(f"Unknown method(s) {unknown}; known: {sorted(registry)}")
    chosen = [registry[name] for name in (registry if methods is None else methods)]
    skipped = {m.name: m.reason_unavailable for m in chosen if not m.available()}
    runnable = [m for m in chosen if m.name not in skipped]
    device = device or scoring_device()
    steps = len(runnable) * 2 + (1 if do_nothing else 0)
    step = 0

    def stage(done: int, total: int, message: str | None = None) -> None:
        if progress:
            progress(step * 1000 + int(1000 * done / max(total, 1)), steps * 1000, message)

    rows: list[Submission] = []
    if do_nothing:
        rows.append(_do_nothing_row(benchmark))
        submission_score(submission=rows[-1], device=device, progress=stage)
        step += 1
    for method in runnable:
        rows.append(_method_row(benchmark, method, device=device, progress=stage))
        step += 1
        submission_score(submission=rows[-1], device=device, progress=stage)
        step += 1
    report = {"computed": ([DO_NOTHING] if do_nothing else []) + [m.name for m in runnable], "skipped": skipped,
              "submissions": [s.pk for s in rows], "device": device, "finished_at": timezone.now().isoformat()}
    Benchmark.objects.filter(pk=benchmark.pk).update(baseline_report=report)
    benchmark.baseline_report = report
    return report


def baselines_enqueue(*, benchmark: Benchmark, methods: list[str] | None = None, user=None):
    """Start the job that computes the baseline rows (queue ``gpu``)."""
    return job_services.job_submit(kind="benchmark.baselines", user=user,
                                   params={"benchmark_id": benchmark.pk, "methods": methods or []})
