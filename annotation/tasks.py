"""Celery tasks of the annotation app: thin wrappers of services."""
from __future__ import annotations

from jobs.tasking import job_task

from . import services
from .models import Scan


@job_task(name="annotation.scan_build_tiles", kind="scan.tiles", queue="cpu", idempotent=True)
def scan_build_tiles(*, job, progress) -> dict:
    scan = Scan.objects.get(pk=job.params["scan_id"])
    try:
        path = services.scan_build_tiles(scan=scan, progress=progress)
    except Exception:
        Scan.objects.filter(pk=scan.pk).update(tiles_state=Scan.TilesState.FAILED)
        raise
    return {"scan_id": scan.pk, "dzi": path}


@job_task(name="annotation.bank_cutout_scan", kind="bank.cutout_scan", queue="cpu", idempotent=True)
def bank_cutout_scan(*, job, progress) -> dict:
    scan = Scan.objects.get(pk=job.params["scan_id"])
    return {"scan_id": scan.pk, "entries": services.bank_cutout_scan(scan=scan, progress=progress)}
