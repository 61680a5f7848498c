"""The job kinds: each kind names its Celery task, its queue and whether it may run again.

A kind is declared once, by the ``job_task`` decorator on its task (``jobs/tasking.py``);
services start a job by its kind (``jobs.services.job_submit``) and never import tasks.
The registry is filled when the apps' ``tasks`` modules are imported, which the jobs
app does when Django starts (``JobsConfig.ready``) and Celery does in a worker.
"""
from __future__ import annotations

from dataclasses import dataclass

QUEUES = ("cpu", "gpu")


@dataclass(frozen=True)
class JobKind:
    kind: str
    task_name: str
    queue: str = "cpu"
    idempotent: bool = False


_KINDS: dict[str, JobKind] = {}


def kind_register(*, kind: str, task_name: str, queue: str = "cpu", idempotent: bool = False) -> JobKind:
    """Declare ``kind``; declaring it again the same way is a no-op, differently an error."""
    if queue not in QUEUES:
        raise ValueError(f"Unknown queue {queue!r}; use 'cpu' or 'gpu'.")
    spec = JobKind(kind=kind, task_name=task_name, queue=queue, idempotent=idempotent)
    known = _KINDS.get(kind)
    if known is not None and known != spec:
        raise ValueError(f"Job kind {kind!r} is declared twice: {known} and {spec}.")
    _KINDS[kind] = spec
    return spec


def kind_get(kind: str) -> JobKind:
    try:
        return _KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(_KINDS)) or "none"
        raise LookupError(f"Unknown job kind {kind!r}; the declared kinds are: {known}.") from None


def kinds() -> dict[str, JobKind]:
    """Every declared kind, by name."""
    return dict(_KINDS)
