"""The Celery side of jobs: one decorator turns a service into a job task.

A job task takes a job id, re-reads the row, takes the job's lease (``jobs.leases``;
a second delivery of a job that runs under a live lease does nothing), calls the
service with a progress callback while a heartbeat renews the lease, and records
the result, the error, or that it stopped (cancelled, or handed back when its
worker shuts down). Tasks on the ``gpu`` queue log where they ran: a worker
without a GPU runs them on the CPU and says so.
"""
from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Callable
from functools import wraps
from typing import Any

from celery import shared_task
from django.db import DatabaseError, InterfaceError

from . import leases, services
from .models import Job
from .registry import kind_register

logger = logging.getLogger(__name__)


def torch_device() -> str:
    """The device torch work should use on this worker: ``cuda`` when present, else ``cpu``."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a requirement
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def job_task(*, name: str, kind: str | tuple[str, ...], queue: str = "cpu", idempotent: bool = False,
             max_retries: int = 2):
    """Register ``fn(job, progress) -> dict`` as the Celery task ``name`` that runs jobs of ``kind``.

    The kind (or each of several kinds) is declared in the job registry with
    the task's name, queue and idempotence: services start it by kind.
    ``idempotent`` tasks are acknowledged late and retried on database hiccups;
    a job of an idempotent kind whose worker died is resumed (sent again), one
    of another kind is marked interrupted (``services.jobs_recover``).
    """
    for each in (kind,) if isinstance(kind, str) else kind:
        kind_register(kind=each, task_name=name, queue=queue, idempotent=idempotent)

    def decorator(fn: Callable[..., dict[str, Any] | None]):
        @shared_task(
            bind=True,
            name=name,
            queue=queue,
            acks_late=idempotent,
            reject_on_worker_lost=idempotent,
            max_retries=max_retries if idempotent else 0,
        )
        @wraps(fn)
        def task(self, job_id: int) -> None:
            worker = self.request.hostname or socket.gethostname()
            if leases.STOPPING.is_set():  # taken from the queue as this worker stops: leave it to the next one
                logger.info("Job %s: this worker is shutting down; the job is sent again.", job_id)
                job = Job.objects.filter(pk=job_id, state=Job.State.PENDING).first()
                if job is not None:
                    services.job_enqueue(job=job)
                return
            device = torch_device() if queue == "gpu" else "cpu"
            if queue == "gpu" and device == "cpu":
                logger.warning("Job %s (%s): no GPU on this worker, running on the CPU.", job_id, name)
            job = services.job_start(job_id=job_id, worker=worker, device=device)
            if job is None:
                return
            lease = job.lease_token
            with leases.Heartbeat(job_id=job_id, token=lease) as heartbeat:
                progress = services.progress_reporter(job_id=job_id, lease=lease, heartbeat=heartbeat)
                try:
                    result = fn(job=job, progress=progress)
                except leases.JobCancelled:
                    services.job_cancelled(job_id=job_id, lease=lease)
                    logger.info("Job %s stopped: cancelled.", job_id)
                    return
                except leases.JobInterrupted as exc:
                    outcome = services.job_hand_back(job_id=job_id, lease=lease, why=str(exc))
                    logger.info("Job %s stopped: %s (%s).", job_id, exc, outcome)
                    return
                except leases.JobLeaseLost as exc:
                    logger.warning("Job %s stopped: %s Nothing of this run is recorded.", job_id, exc)
                    return
                except (DatabaseError, InterfaceError) as exc:
                    if idempotent and self.request.retries < self.max_retries:
                        _release(job_id=job_id, lease=lease)
                        raise self.retry(exc=exc, countdown=2) from exc
                    services.job_fail(job_id=job_id, error=_describe(exc), lease=lease)
                    raise
                except Exception as exc:  # recorded on the job, then re-raised for Celery's log
                    services.job_fail(job_id=job_id, error=_describe(exc), lease=lease)
                    raise
            if not services.job_succeed(job_id=job_id, result=result or {}, lease=lease):
                logger.warning("Job %s finished, but this run no longer held it: its result is not recorded.", job_id)

        return task

    return decorator


def _release(*, job_id: int, lease: str) -> None:
    """Give up this run's lease before a retry, so that the retried delivery may take the job."""
    try:
        Job.objects.filter(pk=job_id, lease_token=lease).update(state=Job.State.PENDING, lease_token="",
                                                                lease_expires_at=None)
    except (DatabaseError, InterfaceError):  # the lease then expires and the job is taken over
        logger.warning("Job %s: could not release its lease before a retry", job_id, exc_info=True)


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    tb = "".join(traceback.format_exception(exc)[-6:])
    return f"{text}\n\n{tb}"
