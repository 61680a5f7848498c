"""Celery tasks of the restoration app: thin wrappers of services."""
from __future__ import annotations

from jobs.tasking import job_task

from . import services
from .models import Network, Restoration

# One task trains either kind of network; each is its own job kind.
TRAIN_KINDS = tuple(f"train.{kind}" for kind in Network.Kind.values)


@job_task(name="restoration.run", kind="restoration.run", queue="gpu", idempotent=True)
def restoration_run(*, job, progress) -> dict:
    record = Restoration.objects.get(pk=job.params["restoration_id"])
    return services.restoration_run(record=record, progress=progress)


@job_task(name="restoration.repair", kind="restoration.repair", queue="gpu", idempotent=True)
def restoration_repair(*, job, progress) -> dict:
    record = Restoration.objects.get(pk=job.params["restoration_id"])
    return services.restoration_repair(record=record, review=job.params["review"], progress=progress)


@job_task(name="restoration.train_model", kind=TRAIN_KINDS, queue="gpu")
def train_model(*, job, progress) -> dict:
    return services.training_run(job=job, progress=progress)


@job_task(name="restoration.train_detector", kind="train.detector", queue="gpu")
def train_detector(*, job, progress) -> dict:
    return services.detector_training_run(job=job, progress=progress)


@job_task(name="restoration.finetune_detector", kind="train.finetune", queue="gpu")
def finetune_detector(*, job, progress) -> dict:
    return services.detector_finetune_run(job=job, progress=progress)
