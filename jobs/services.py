"""Writes on jobs: create, enqueue, report progress, finish."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import Job
from .registry import QUEUES, kind_get


def job_create(*, kind: str, owner=None, params: dict[str, Any] | None = None, queue: str = "cpu") -> Job:
    """A pending job row, not sent anywhere (``job_submit`` creates and sends a declared kind)."""
    if queue not in QUEUES:
        raise ValueError(f"Unknown queue {queue!r}; use 'cpu' or 'gpu'.")
    return Job.objects.create(kind=kind, owner=owner, params=params or {}, queue=queue)


def job_submit(*, kind: str, params: dict[str, Any] | None = None, owner=None, record=None) -> Job:
    """Create a job of the declared ``kind`` on its queue and send it once the transaction commits.

    ``record`` (a model with a ``job`` foreign key) is linked to the job first.
    """
    spec = kind_get(kind)
    job = job_create(kind=kind, owner=owner, params=params, queue=spec.queue)
    if record is not None:
        record.job = job
        record.save(update_fields=["job"])
    return job_enqueue(job=job)


def job_enqueue(*, job: Job) -> Job:
    """Send the task of ``job.kind`` to the job's queue once the current transaction commits."""
    task_name = kind_get(job.kind).task_name
    job.task_name = task_name
    Job.objects.filter(pk=job.pk).update(task_name=task_name)

    def send() -> None:
        from webapp.celery import app

        result = app.send_task(task_name, args=(job.pk,), queue=job.queue)
        Job.objects.filter(pk=job.pk).update(celery_task_id=result.id or "")

    transaction.on_commit(send)
    return job


def jobs_requeue_orphaned(*, worker: str) -> list[int]:
    """Send again the jobs a previous run of ``worker`` left running (it was killed).

    Job tasks are idempotent where they can be resumed: they compute what is
    missing and carry on, so a job is never lost when its worker dies.
    """
    from webapp.celery import app

    ids = []
    for job in Job.objects.filter(state=Job.State.RUNNING, worker=worker).exclude(task_name=""):
        Job.objects.filter(pk=job.pk).update(state=Job.State.PENDING,
                                             message="Requeued after its worker stopped")
        app.send_task(job.task_name, args=(job.pk,), queue=job.queue)
        ids.append(job.pk)
    return ids


def job_start(*, job_id: int, worker: str = "", device: str = "") -> Job | None:
    """Mark a job running; return None when it must not run (finished or cancelled)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_terminal:
            return None
        job.state = Job.State.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.attempts += 1
        job.worker = worker[:200]
        job.device = device
        job.error = ""
        job.save(update_fields=["state", "started_at", "attempts", "worker", "device", "error"])
    return job


def job_set_progress(*, job_id: int, current: int, total: int, message: str | None = None) -> None:
    total = max(int(total), 0)
    current = max(0, min(int(current), total)) if total else max(int(current), 0)
    percent = int(100 * current / total) if total else 0
    fields: dict[str, Any] = {"current": current, "total": total, "progress": min(percent, 100)}
    if message is not None:
        fields["message"] = message[:500]
    Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(**fields)


def job_succeed(*, job_id: int, result: dict[str, Any] | None = None, message: str = "Done") -> None:
    Job.objects.filter(pk=job_id).update(
        state=Job.State.SUCCEEDED,
        progress=100,
        result=result or {},
        message=message[:500],
        finished_at=timezone.now(),
    )


def job_fail(*, job_id: int, error: str, message: str = "Failed") -> None:
    Job.objects.filter(pk=job_id).update(
        state=Job.State.FAILED, error=error, message=message[:500], finished_at=timezone.now()
    )


def job_cancel(*, job: Job) -> Job:
    if not job.is_terminal:
        job.state = Job.State.CANCELLED
        job.finished_at = timezone.now()
        job.message = "Cancelled"
        job.save(update_fields=["state", "finished_at", "message"])
    return job


def progress_reporter(*, job_id: int, min_interval: float = 0.5) -> Callable[..., None]:
    """A ``progress(current, total, message=None)`` callback for the pure cores.

    Writes to the database at most every ``min_interval`` seconds, and always
    for the first and the last step, so that a tight loop costs little.
    """
    last = {"t": 0.0, "pct": -1}

    def report(current: int, total: int, message: str | None = None) -> None:
        now = time.monotonic()
        pct = int(100 * current / total) if total else 0
        if current >= total or current == 0 or now - last["t"] >= min_interval:
            if pct != last["pct"] or message is not None or now - last["t"] >= min_interval:
                job_set_progress(job_id=job_id, current=current, total=total, message=message)
                last["t"], last["pct"] = now, pct

    return report


def job_can_retry(*, job: Job) -> bool:
    """Whether ``job`` may be sent again: it failed or was cancelled, and its kind resumes safely."""
    if job.state not in (Job.State.FAILED, Job.State.CANCELLED):
        return False
    try:
        return kind_get(job.kind).idempotent
    except LookupError:
        return False


def job_retry(*, job: Job) -> Job:
    """Send a failed or cancelled job of a resumable kind again (same row, same record links)."""
    if not job_can_retry(job=job):
        raise ValueError(f"Job {job.pk} ({job.kind}, {job.state}) cannot be retried: only failed or cancelled "
                         "jobs of a kind that resumes where it stopped can.")
    job.state, job.progress, job.error, job.message, job.finished_at = Job.State.PENDING, 0, "", "Retried", None
    job.save(update_fields=["state", "progress", "error", "message", "finished_at"])
    return job_enqueue(job=job)
