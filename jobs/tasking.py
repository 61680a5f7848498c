"""The Celery side of jobs: one decorator turns a service into a job task.

A job task takes a job id, re-reads the row, skips it if it already finished,
marks it running, calls the service with a progress callback, and records
the result or the error. Tasks on the ``gpu`` queue log where they ran: a
worker without a GPU runs them on the CPU and says so.
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

from . import services
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
    ``idempotent`` tasks are acknowledged late (a killed worker's job is
    delivered again and resumes) and retried on database hiccups.
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
            device = torch_device() if queue == "gpu" else "cpu"
            if queue == "gpu" and device == "cpu":
                logger.warning("Job %s (%s): no GPU on this worker, running on the CPU.", job_id, name)
            job = services.job_start(job_id=job_id, worker=self.request.hostname or socket.gethostname(),
                                     device=device)
            if job is None:
                logger.info("Job %s is finished or cancelled; nothing to do.", job_id)
                return
            progress = services.progress_reporter(job_id=job_id)
            try:
                result = fn(job=job, progress=progress)
            except (DatabaseError, InterfaceError) as exc:
                if idempotent and self.request.retries < self.max_retries:
                    raise self.retry(exc=exc, countdown=2) from exc
                services.job_fail(job_id=job_id, error=_describe(exc))
                raise
            except Exception as exc:  # recorded on the job, then re-raised for Celery's log
                services.job_fail(job_id=job_id, error=_describe(exc))
                raise
            job.refresh_from_db(fields=["state"])
            if job.state == Job.State.CANCELLED:
                return
            services.job_succeed(job_id=job_id, result=result or {})

        return task

    return decorator


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    tb = "".join(traceback.format_exception(exc)[-6:])
    return f"{text}\n\n{tb}"
