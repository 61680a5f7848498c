"""What a Celery worker process does for jobs when it starts and when it stops.

At start (``worker_ready``) it takes over the jobs whose worker is gone (``services.jobs_recover``),
and then again every ``JOBS_SWEEP_SECONDS`` in a thread, so that a job whose worker died is taken
over by any other worker once its lease expires.

At stop (``worker_shutting_down``: SIGTERM, Ctrl-C) it asks its running jobs to stop at their next
step: jobs in this process see ``leases.STOPPING`` at once, jobs in prefork pool processes see the
request on their row. A job that stops is handed back (sent again when its kind is idempotent,
else marked interrupted). After ``JOBS_SHUTDOWN_GRACE_SECONDS`` the jobs that did not stop are
handed back all the same and the worker ends without waiting for them: a cold shutdown, which
terminates the prefork pool processes, or, for the solo and threads pools, where the job runs in
this process, an immediate exit. So a worker stops within 10 s, whatever its jobs do.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

from django.conf import settings
from django.db import connections

from . import leases, services

logger = logging.getLogger(__name__)

_worker: dict[str, str] = {}


def on_worker_ready(sender=None, **kwargs) -> None:
    """Take over the jobs left by dead workers (and by an earlier run under this name), then keep watching."""
    hostname = getattr(sender, "hostname", "") or ""
    pool = getattr(sender, "pool", None)
    _worker.update(hostname=hostname, pool=type(pool).__module__ if pool is not None else "")
    if not hostname:
        return
    _recover(worker=hostname)
    threading.Thread(target=_sweep, name="jobs-sweep", daemon=True).start()


def on_worker_shutting_down(sender=None, how: str = "Warm", **kwargs) -> None:
    """Runs in the signal handler: stop this worker's jobs from a thread (the database is not touched here)."""
    if leases.STOPPING.is_set():
        return
    leases.STOPPING.set()
    hostname = _worker.get("hostname") or str(sender or "")
    if hostname:
        threading.Thread(target=_stop_jobs, args=(hostname,), name="jobs-stop", daemon=True).start()


def _recover(*, worker: str = "", here: bool = False) -> dict[str, list[int]]:
    outcome = services.jobs_recover(worker=worker, here=here)
    if any(outcome.values()):
        logger.warning("Jobs taken over from gone workers: %s", outcome)
    return outcome


def _sweep() -> None:
    try:
        while not leases.STOPPING.wait(settings.JOBS_SWEEP_SECONDS):
            try:
                _recover()
            except Exception:  # the database may be away a while: try at the next sweep
                logger.warning("Sweep for expired job leases failed", exc_info=True)
    finally:
        connections.close_all()


def _stop_jobs(hostname: str) -> None:
    try:
        asked = services.jobs_request_stop(worker=hostname)
        if asked:
            logger.warning("Worker %s is stopping: jobs %s stop at their next step", hostname, asked)
        deadline = time.monotonic() + settings.JOBS_SHUTDOWN_GRACE_SECONDS
        while services.jobs_running_here(worker=hostname) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = _recover(worker=hostname, here=True)
    except Exception:
        logger.exception("Worker %s: could not hand its jobs back; they are taken over when their leases expire",
                         hostname)
        left = {"unknown": [0]}
    finally:
        connections.close_all()
    if any(left.values()):
        _end_now(hostname)


def _end_now(hostname: str) -> None:
    """End a worker whose jobs did not stop in time (they were handed back)."""
    if _worker.get("pool", "").endswith("prefork"):
        logger.warning("Worker %s: jobs did not stop in %.0f s; cold shutdown", hostname,
                       settings.JOBS_SHUTDOWN_GRACE_SECONDS)
        os.kill(os.getpid(), signal.SIGQUIT)
        return
    logger.warning("Worker %s: jobs did not stop in %.0f s; exiting now", hostname,
                   settings.JOBS_SHUTDOWN_GRACE_SECONDS)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(1)
