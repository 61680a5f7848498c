"""Writes on jobs: create, enqueue, start under a lease, report progress, finish, cancel, hand back."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import leases
from .models import Job
from .registry import QUEUES, kind_get, kinds

logger = logging.getLogger(__name__)


def job_create(*, kind: str, user=None, params: dict[str, Any] | None = None, queue: str = "cpu") -> Job:
    """A pending job row, not sent anywhere (``job_submit`` creates and sends a declared kind)."""
    if queue not in QUEUES:
        raise ValueError(f"Unknown queue {queue!r}; use 'cpu' or 'gpu'.")
    return Job.objects.create(kind=kind, created_by=user, params=params or {}, queue=queue)


def job_submit(*, kind: str, params: dict[str, Any] | None = None, user=None, record=None) -> Job:
    """Create a job of the declared ``kind`` on its queue and send it once the transaction commits.

    ``record`` (a model with a ``job`` foreign key) is linked to the job first.
    """
    spec = kind_get(kind)
    job = job_create(kind=kind, user=user, params=params, queue=spec.queue)
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


def job_start(*, job_id: int, worker: str = "", device: str = "") -> Job | None:
    """Take the job's lease and mark it running; None when this delivery must not run it.

    It must not when the job is gone or finished, or runs under a lease that is still alive (a
    second delivery). A job whose lease expired is taken over when its kind is idempotent and
    marked interrupted otherwise. The returned job carries its new ``lease_token``.
    """
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_terminal:
            logger.info("Job %s is %s; this delivery does nothing.", job_id, job.state if job else "gone")
            return None
        if job.state == Job.State.RUNNING:
            if leases.lease_alive(job, now):
                logger.info("Job %s already runs on %s (lease until %s); this delivery does nothing.",
                            job_id, job.worker, job.lease_expires_at)
                return None
            if job.stop_requested == Job.Stop.CANCEL or not _idempotent(job.kind):
                _hand_back(job, why=f"its lease (held by {job.worker}) expired")
                return None
            logger.warning("Job %s: the lease of %s expired; %s takes the job over.", job_id, job.worker, worker)
        elif job.stop_requested == Job.Stop.CANCEL:
            _hand_back(job, why="cancelled before it started")
            return None
        job.state = Job.State.RUNNING
        job.started_at = job.started_at or now
        job.attempts += 1
        job.worker = worker[:200]
        job.device = device
        job.error = ""
        job.lease_token = leases.lease_token_new(worker=worker)
        job.lease_expires_at = leases.lease_expiry(now)
        job.heartbeat_at = now
        job.stop_requested = Job.Stop.NONE
        job.save(update_fields=["state", "started_at", "attempts", "worker", "device", "error", "lease_token",
                                "lease_expires_at", "heartbeat_at", "stop_requested"])
    return job


def job_set_progress(*, job_id: int, current: int, total: int, message: str | None = None,
                     lease: str | None = None) -> bool:
    """Write the job's progress; False when the run holding ``lease`` must stop (see ``leases.stop_reason``)."""
    total = max(int(total), 0)
    current = max(0, min(int(current), total)) if total else max(int(current), 0)
    percent = int(100 * current / total) if total else 0
    fields: dict[str, Any] = {"current": current, "total": total, "progress": min(percent, 100)}
    if message is not None:
        fields["message"] = message[:500]
    rows = Job.objects.filter(pk=job_id, state=Job.State.RUNNING)
    if lease is not None:
        rows = rows.filter(lease_token=lease, stop_requested=Job.Stop.NONE)
    return rows.update(**fields) == 1


def _ending(lease: str | None, **fields) -> tuple[Any, dict[str, Any]]:
    """The rows a run may end (its own, when it names its lease) and the fields that end it."""
    rows = Job.objects.all() if lease is None else Job.objects.filter(lease_token=lease, state=Job.State.RUNNING)
    return rows, {**fields, "finished_at": timezone.now(), "lease_token": "", "lease_expires_at": None,
                  "stop_requested": Job.Stop.NONE}


def job_succeed(*, job_id: int, result: dict[str, Any] | None = None, message: str = "Done",
                lease: str | None = None) -> bool:
    rows, fields = _ending(lease, state=Job.State.SUCCEEDED, progress=100, result=result or {}, message=message[:500])
    return rows.filter(pk=job_id).update(**fields) == 1


def job_fail(*, job_id: int, error: str, message: str = "Failed", lease: str | None = None) -> bool:
    rows, fields = _ending(lease, state=Job.State.FAILED, error=error, message=message[:500])
    return rows.filter(pk=job_id).update(**fields) == 1


def job_cancelled(*, job_id: int, lease: str) -> bool:
    """Record that the run holding ``lease`` stopped on a cancel request."""
    rows, fields = _ending(lease, state=Job.State.CANCELLED, message="Cancelled while it ran")
    return rows.filter(pk=job_id).update(**fields) == 1


def job_cancel(*, job: Job) -> Job:
    """Cancel ``job``: at once when it has not started (or its worker is gone), else at its next step.

    A running job keeps running until its worker sees the request (its next progress step or
    heartbeat), then ends as cancelled; a job that finishes first keeps its result.
    """
    with transaction.atomic():
        row = Job.objects.select_for_update().filter(pk=job.pk).first()
        if row is not None and not row.is_terminal:
            if row.state == Job.State.PENDING or not leases.lease_alive(row):
                row.stop_requested = Job.Stop.CANCEL
                _hand_back(row, why="cancelled")
            elif row.stop_requested != Job.Stop.CANCEL:
                row.stop_requested = Job.Stop.CANCEL
                row.message = "Cancelling: the job stops at its next step"
                row.save(update_fields=["stop_requested", "message"])
    job.refresh_from_db()
    return job


def job_can_retry(*, job: Job) -> bool:
    """Whether ``job`` may be sent again: it was interrupted (its worker stopped while it ran, and its kind
    cannot resume: it starts again from the beginning), or it failed or was cancelled and its kind resumes safely."""
    if job.state not in Job.RETRYABLE_STATES:
        return False
    try:
        spec = kind_get(job.kind)
    except LookupError:
        return False
    return spec.idempotent or job.state == Job.State.INTERRUPTED


def job_retry(*, job: Job) -> Job:
    """Send a job that ``job_can_retry`` allows again (same row, same record links)."""
    with transaction.atomic():
        row = Job.objects.select_for_update().get(pk=job.pk)
        if not job_can_retry(job=row):
            raise ValueError(f"Job {row.pk} ({row.kind}, {row.state}) cannot be retried: only interrupted jobs, and "
                             "failed or cancelled jobs of a kind that resumes where it stopped, can.")
        Job.objects.filter(pk=row.pk).update(
            state=Job.State.PENDING, progress=0, current=0, message="Retried", error="", finished_at=None,
            stop_requested=Job.Stop.NONE, lease_token="", lease_expires_at=None)
        job_enqueue(job=row)
    job.refresh_from_db()
    return job


def job_hand_back(*, job_id: int, lease: str, why: str) -> str | None:
    """The run holding ``lease`` stops without finishing (its worker is shutting down): hand the job back.

    Returns what became of it (see ``_hand_back``), or None when the run no longer held it.
    """
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id, lease_token=lease, state=Job.State.RUNNING).first()
        return _hand_back(job, why=why) if job is not None else None


def jobs_request_stop(*, worker: str) -> list[int]:
    """Ask the jobs this worker process runs to stop at their next step (it is shutting down)."""
    rows = Job.objects.filter(state=Job.State.RUNNING, lease_token__startswith=leases.lease_prefix(worker=worker),
                              stop_requested=Job.Stop.NONE)
    ids = list(rows.values_list("pk", flat=True))
    Job.objects.filter(pk__in=ids, stop_requested=Job.Stop.NONE).update(stop_requested=Job.Stop.SHUTDOWN)
    return ids


def jobs_running_here(*, worker: str) -> list[int]:
    """The jobs this worker process still runs."""
    return list(Job.objects.filter(state=Job.State.RUNNING, lease_token__startswith=leases.lease_prefix(
        worker=worker)).values_list("pk", flat=True))


def jobs_recover(*, worker: str = "", here: bool = False) -> dict[str, list[int]]:
    """Take over the running jobs whose worker is gone: resumed (sent again) or marked interrupted.

    A job's worker is gone when its lease has expired; when a worker starts, also when an earlier
    incarnation under the same name (``worker``) held it, and with ``here`` (a worker that is
    stopping and whose jobs did not stop in time) when this incarnation holds it.
    Returns the job ids by outcome: ``resumed``, ``interrupted``, ``cancelled``.
    """
    now = timezone.now()
    gone = Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True)
    if worker:
        mine = Q(lease_token__startswith=leases.lease_prefix(worker=worker))
        gone |= mine if here else (Q(worker=worker) & ~mine)
    outcome: dict[str, list[int]] = {"resumed": [], "interrupted": [], "cancelled": []}
    with transaction.atomic():
        running = Job.objects.select_for_update(skip_locked=True).filter(state=Job.State.RUNNING)
        for job in running.filter(gone).order_by("pk"):
            why = (f"its worker {job.worker} was stopped before the job could stop" if here else
                   f"its worker {job.worker} stopped (lease expired)" if job.worker != worker else
                   f"its worker {job.worker} was restarted")
            outcome[_hand_back(job, why=why)].append(job.pk)
    return outcome


def jobs_resend_handed_back(*, worker: str) -> list[int]:
    """Send again the jobs that an earlier run of ``worker`` handed back when it stopped.

    Its message may have been lost (taken from the broker by the stopping worker as it ended); a
    second message of a job that already runs again does nothing.
    """
    pending = Job.objects.filter(state=Job.State.PENDING, worker=worker, attempts__gte=1).exclude(task_name="")
    ids = []
    for job in pending.order_by("pk"):
        job_enqueue(job=job)
        ids.append(job.pk)
    return ids


def _idempotent(kind: str) -> bool:
    spec = kinds().get(kind)
    return spec is not None and spec.idempotent


def _hand_back(job: Job, *, why: str) -> str:
    """End the run of ``job`` (a locked row) that did not finish; returns ``resumed``, ``interrupted`` or ``cancelled``.

    Cancelled when a cancel was requested; sent again when its kind is idempotent (it resumes where it
    stopped); otherwise interrupted, with a message that says to start it again.
    """
    fields: dict[str, Any] = {"lease_token": "", "lease_expires_at": None, "stop_requested": Job.Stop.NONE}
    if job.stop_requested == Job.Stop.CANCEL:
        fields.update(state=Job.State.CANCELLED, finished_at=timezone.now(), message="Cancelled")
        outcome = "cancelled"
    elif _idempotent(job.kind):
        fields.update(state=Job.State.PENDING, message=f"Resumes on the next free worker: {why}"[:500])
        outcome = "resumed"
    else:
        fields.update(state=Job.State.INTERRUPTED, finished_at=timezone.now(),
                      message=f"Interrupted: {why}. This job cannot resume safely; start it again."[:500])
        outcome = "interrupted"
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=list(fields))
    if outcome == "resumed":
        job_enqueue(job=job)
    logger.warning("Job %s (%s) %s: %s", job.pk, job.kind, outcome, why)
    return outcome


def progress_reporter(*, job_id: int, min_interval: float = 0.5, lease: str | None = None,
                      heartbeat: leases.Heartbeat | None = None) -> Callable[..., None]:
    """A ``progress(current, total, message=None)`` callback for the pure cores.

    Writes to the database at most every ``min_interval`` seconds, and always for the first and
    the last step, so that a tight loop costs little. With the run's ``lease`` and ``heartbeat`` it
    is also where a running job stops: it raises ``leases.JobStopped`` (cancelled, interrupted or
    taken over) at the first step after the request.
    """
    last = {"t": 0.0, "pct": -1}

    def report(current: int, total: int, message: str | None = None) -> None:
        if heartbeat is not None:
            heartbeat.check()
        now = time.monotonic()
        pct = int(100 * current / total) if total else 0
        if current >= total or current == 0 or now - last["t"] >= min_interval:
            if pct != last["pct"] or message is not None or now - last["t"] >= min_interval:
                written = job_set_progress(job_id=job_id, current=current, total=total, message=message, lease=lease)
                last["t"], last["pct"] = now, pct
                if not written and lease is not None:
                    reason = leases.stop_reason(job_id=job_id, token=lease)
                    if reason is not None:
                        raise reason

    return report
