"""What a Celery worker process does for jobs when it starts and when it stops.

At start (``worker_ready``) it takes over the jobs whose worker is gone (``services.jobs_recover``),
and then again every ``JOBS_SWEEP_SECONDS`` in a thread, so that a job whose worker died is taken
over by any other worker once its lease expires.

At stop (``worker_shutting_down``: SIGTERM, Ctrl-C) it asks its running jobs to stop at their next
step: it sets ``leases.STOPPING``, which its prefork pool processes share (they then also run no
job they receive), and writes the request on the jobs' rows.
A job that stops is handed back (sent again when its kind is idempotent, else marked interrupted).
After ``JOBS_SHUTDOWN_GRACE_SECONDS`` the jobs that did not stop are handed back all the same and
the worker ends without waiting for them (its pool processes are killed, then it exits). So a
worker stops within 10 s, whatever its jobs do.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time

from django.conf import settings
from django.db import connections

from . import leases, services

logger = logging.getLogger(__name__)

_worker: dict[str, object] = {}

#: A worker that is still up this long after the stop signal ends at once (its messages given back first).
SHUTDOWN_DEADLINE_SECONDS = 7.5


def on_worker_process_init(**kwargs) -> None:
    """In each prefork pool process: ignore SIGTERM, the worker stops its pool processes itself.

    SIGTERM sent to the whole process group (a terminal's, systemd's default) would end them mid-job,
    and one that dies holding the pool's queue lock hangs its worker at exit.
    """
    from billiard.process import current_process

    if current_process()._name != "MainProcess":  # the solo pool sends this signal in the worker itself
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def on_worker_ready(sender=None, **kwargs) -> None:
    """Take over the jobs left by dead workers (and by an earlier run under this name), then keep watching."""
    hostname = getattr(sender, "hostname", "") or ""
    pool = getattr(sender, "pool", None)
    _worker.update(hostname=hostname, pool=pool, consumer=sender)
    if not hostname:
        return
    _recover(worker=hostname)
    resent = services.jobs_resend_handed_back(worker=hostname)
    if resent:
        logger.info("Jobs %s that %s handed back when it last stopped are sent again", resent, hostname)
    threading.Thread(target=_sweep, name="jobs-sweep", daemon=True).start()


def on_worker_shutting_down(sender=None, how: str = "Warm", **kwargs) -> None:
    """Runs in the signal handler: stop this worker's jobs from a thread (the database is not touched here)."""
    if leases.STOPPING.is_set():
        return
    leases.STOPPING.set()
    _stop_consuming()
    hostname = str(_worker.get("hostname") or sender or "")
    if hostname:
        threading.Thread(target=_stop_jobs, args=(hostname,), name="jobs-stop", daemon=True).start()
        threading.Thread(target=_watchdog, args=(hostname, time.monotonic() + SHUTDOWN_DEADLINE_SECONDS),
                         name="jobs-stop-deadline", daemon=True).start()


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
        grace_end = time.monotonic() + settings.JOBS_SHUTDOWN_GRACE_SECONDS
        while services.jobs_running_here(worker=hostname) and time.monotonic() < grace_end:
            time.sleep(0.2)
        left = _recover(worker=hostname, here=True)
    except Exception:
        logger.exception("Worker %s: could not hand its jobs back; they are taken over when their leases expire",
                         hostname)
        left = {"unknown": [0]}
    finally:
        connections.close_all()
    if any(left.values()):
        _end_now(hostname, f"jobs did not stop in {settings.JOBS_SHUTDOWN_GRACE_SECONDS:.0f} s (they were handed back)")


def _watchdog(hostname: str, deadline: float) -> None:
    """Ends the worker if it is still up at ``deadline`` (this thread ends with it): its shutdown hangs."""
    time.sleep(max(deadline - time.monotonic(), 0))
    _end_now(hostname, f"its shutdown took over {SHUTDOWN_DEADLINE_SECONDS:g} s")


def _end_now(hostname: str, why: str) -> None:
    """End a worker whose jobs did not stop in time (they were handed back): its pool processes, then itself.

    Not Celery's cold shutdown: from here it can wait on the very pool it is asked to stop, and a killed
    pool process is only declared lost after a timeout longer than the 10 s a worker has to stop. The
    messages it took and did not acknowledge are given back to the broker first (for at most a second).
    Nothing here waits on a lock the hanging worker may hold (the log's): the notice goes straight to stderr.
    """
    try:
        os.write(2, f"\nworker: {hostname}: {why}; ending now\n".encode())
    except OSError:
        pass
    giver = threading.Thread(target=_give_back_messages, name="jobs-give-back", daemon=True)
    giver.start()
    giver.join(timeout=1.0)
    for pid in _pool_pids():
        _signal(pid, signal.SIGKILL)
    os._exit(1)


def _stop_consuming() -> None:
    """Take no more messages (as Celery's cold shutdown does first): the jobs this worker hands back are sent
    again, and must reach another worker, not this one."""
    task_consumer = getattr(_worker.get("consumer"), "task_consumer", None)
    if task_consumer is not None:
        try:
            task_consumer.cancel()
        except Exception:  # in a signal handler: Celery stops consuming later all the same
            pass


def _give_back_messages() -> None:
    """Give back to the broker the messages this worker took and did not acknowledge, as a clean stop does."""
    channel = getattr(getattr(_worker.get("consumer"), "task_consumer", None), "channel", None)
    qos = getattr(channel, "qos", None)
    if qos is not None:
        try:
            qos.restore_unacked()
        except Exception:  # the broker may be gone too: Redis gives them back after its visibility timeout
            logger.warning("Could not give the messages back to the broker", exc_info=True)


def _pool_pids() -> list[int]:
    """The pids of the worker's prefork pool processes (none for the solo and threads pools)."""
    processes = getattr(getattr(_worker.get("pool"), "_pool", None), "_pool", None) or []
    return [p.pid for p in processes if getattr(p, "pid", None) and p.pid != os.getpid()]


def _signal(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
