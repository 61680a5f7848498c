"""Scoring submissions against the ground truth, and re-scoring them when the metric card changes.

``submission_score`` computes what is missing: images without a score of the current metric-card
version are scored, the others are kept, so a job that is killed part way resumes where it
stopped. The summary row (mean and population standard deviation over the images, ``nan`` left
out) is rewritten at the end. Every stored score records ``METRIC_CARD_VERSION``.
"""
from __future__ import annotations

import logging

from django.db import DatabaseError, transaction
from django.utils import timezone

from evaluation.core.masks import mask_from_image, score_predicted_mask
from evaluation.core.metrics import card_version
from evaluation.core.ranking import from_stored, to_stored
from evaluation.core.scoring import score_arrays, submission_summary
from jobs.presentation import user_message

from ..models import Score, Submission
from . import files

logger = logging.getLogger(__name__)

SEGMENTATION_KEYS = ("iou", "f1", "emd", "predicted_fraction")


def scoring_device() -> str:
    from jobs.tasking import torch_device

    return torch_device()


def _image_values(submission: Submission, item, bench_image, device: str) -> dict:
    benchmark = submission.benchmark
    ground_truth = files.read_array(bench_image.restored)
    damaged = files.read_array(bench_image.damaged)
    restored = files.read_array(item.file)
    values = score_arrays(ground_truth, restored, damaged, lpips_device=device,
                          damage_threshold=benchmark.threshold, dilation=benchmark.dilation)
    if item.mask:
        predicted = mask_from_image(files.read_array(item.mask))
        values.update(score_predicted_mask(damaged, ground_truth, predicted, threshold=benchmark.threshold))
    if not item.display:
        item.display = (bench_image.damaged_display.name if item.file.name == bench_image.damaged.name
                        else files.store_display(f"{files.submission_base(submission)}/display/"
                                                 f"{item.name}.png", restored))
        item.save(update_fields=["display"])
    return values


def submission_score(*, submission: Submission, progress=None, device: str | None = None) -> dict:
    """Score every image of ``submission`` that lacks a current score, then its summary.

    Returns
    -------
    dict
        ``{"submission_id", "scored": n new, "kept": n already current, "mean": {...}}``.
    """
    version = card_version()
    device = device or scoring_device()
    Submission.objects.filter(pk=submission.pk).update(state=Submission.State.SCORING, error="")
    items = {i.name: i for i in submission.images.all()}
    bench_images = list(submission.benchmark.images.all())
    missing = sorted(set(b.name for b in bench_images) - set(items))
    try:
        if missing:
            raise ValueError(f"no restoration for {', '.join(missing)}")
        current = set(submission.scores.filter(image__isnull=False, card_version=version)
                      .values_list("image_id", flat=True))
        todo = [b for b in bench_images if b.pk not in current]
        for done, bench_image in enumerate(todo, start=1):
            values = _image_values(submission, items[bench_image.name], bench_image, device)
            Score.objects.update_or_create(submission=submission, image=bench_image,
                                           defaults={"values": to_stored(values), "card_version": version})
            if progress:
                progress(done, len(todo), f"scored {bench_image.name}")
        rows = [from_stored(s.values) for s in submission.scores.filter(image__isnull=False)]
        summary = submission_summary(rows)
        with transaction.atomic():
            Score.objects.update_or_create(submission=submission, image=None,
                                           defaults={"values": to_stored(summary), "card_version": version})
            Submission.objects.filter(pk=submission.pk).update(state=Submission.State.SCORED,
                                                               scored_at=timezone.now())
    except DatabaseError:
        raise  # the job task retries these; the submission stays "scoring"
    except Exception as exc:
        # the page shows a sentence; the job row and the worker's log keep the traceback
        Submission.objects.filter(pk=submission.pk).update(state=Submission.State.FAILED,
                                                           error=user_message(exc)[:2000])
        raise
    return {"submission_id": submission.pk, "scored": len(todo), "kept": len(bench_images) - len(todo),
            "card_version": version, "mean": to_stored(summary["mean"]),
            "url": f"/evaluation/submissions/{submission.pk}/"}


def submissions_rescore(*, all: bool = False, user=None) -> list[int]:  # noqa: A002 - mirrors --all
    """Enqueue a scoring job for every submission whose scores are stale (or every one with ``all``).

    Stale: a stored score of another metric-card version, or a scored submission without a current
    summary. Submissions whose scoring job is still pending or running are left alone. With
    ``all`` the stored scores are removed first, so everything is computed again.

    Returns the ids of the submissions enqueued. Jobs are sent once the transaction commits; no
    request waits for them.
    """
    from ..selectors import submissions_needing_rescore
    from .submissions import submission_score_enqueue

    chosen = list(submissions_needing_rescore(all=all))
    for submission in chosen:
        if all:
            submission.scores.all().delete()
        submission_score_enqueue(submission=submission, user=user)
    return [s.pk for s in chosen]


def rescore_stale_after_migrate(**kwargs) -> None:
    """``post_migrate`` hook: enqueue re-scoring of stale submissions; never fails a migration."""
    try:
        ids = submissions_rescore()
    except Exception as exc:  # the broker may be down during a migration: say so, carry on
        logger.warning("Could not enqueue re-scoring after migrate: %s", exc)
        return
    if ids:
        logger.warning("Metric card %s: re-scoring submissions %s", card_version(), ids)
