"""Tasks of the jobs app itself: diagnostic jobs that exercise the whole path."""
from __future__ import annotations

import time

from .tasking import job_task, torch_device


def _count(*, job, progress) -> dict:
    """Count to ``params['steps']`` (default 5), ``params['delay']`` seconds a step, reporting progress.

    ``params['block']`` seconds are spent first in one step that reports nothing (as a long library
    call does); ``params['fail']`` fails at the end.
    """
    steps = int(job.params.get("steps", 5))
    delay = float(job.params.get("delay", 0.05))
    time.sleep(float(job.params.get("block", 0)))
    for i in range(steps):
        time.sleep(delay)
        progress(i + 1, steps, f"step {i + 1} of {steps}")
    if job.params.get("fail"):
        raise ValueError("Diagnostic failure requested")
    return {"steps": steps, "sum": sum(range(steps + 1))}


@job_task(name="jobs.diagnostic", kind="diagnostic", queue="cpu", idempotent=True)
def diagnostic(*, job, progress) -> dict:
    """The diagnostic count; idempotent: a run its worker left is resumed."""
    return _count(job=job, progress=progress)


@job_task(name="jobs.diagnostic_once", kind="diagnostic.once", queue="cpu")
def diagnostic_once(*, job, progress) -> dict:
    """The same count, declared not idempotent: a run its worker left is marked interrupted, never resumed."""
    return _count(job=job, progress=progress)


@job_task(name="jobs.gpu_diagnostic", kind="diagnostic.gpu", queue="gpu", idempotent=True)
def gpu_diagnostic(*, job, progress) -> dict:
    """Multiply two small matrices with torch where the worker can: reports the device used."""
    import torch

    device = torch_device()
    a = torch.ones((64, 64), device=device)
    value = float((a @ a).sum().item())
    progress(1, 1, f"ran on {device}")
    return {"device": device, "value": value}
