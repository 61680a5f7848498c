"""A job runs once: the worker running it holds a lease on its row and renews it by a heartbeat.

A worker that starts a job writes a lease token (its name, this worker process's incarnation and a
random part) and an expiry ``JOBS_LEASE_SECONDS`` ahead on the row. While the job runs, a heartbeat
thread renews the expiry every ``JOBS_HEARTBEAT_SECONDS`` and looks every ``JOBS_STOP_CHECK_SECONDS``
for a stop request on the row (a cancel from the page or the API, or its worker shutting down). The
job's progress callback raises the matching ``JobStopped`` at the job's next step: stopping is
cooperative, and every write of a run (progress, success, failure) names its lease, so a run that
lost its lease changes nothing.

A second delivery of a job whose lease is alive does nothing; a job whose lease expired (its worker
died) is taken over: sent again when its kind is idempotent, marked interrupted otherwise
(``jobs.services.jobs_recover``).
"""
from __future__ import annotations

import ctypes
import logging
import threading
import time
import uuid
from datetime import datetime, timedelta
from multiprocessing.sharedctypes import RawValue

from django.conf import settings
from django.db import connections
from django.utils import timezone

from .models import Job

logger = logging.getLogger(__name__)

#: This worker process and the pool processes it forks (they share the value): a worker restarted under
#: the same name is another incarnation, so the jobs the earlier one left can be told from its own.
INCARNATION = uuid.uuid4().hex[:12]

class StopFlag:
    """A flag that a worker sets when it shuts down, seen by the pool processes it forked.

    Kept in shared memory, so that a prefork pool process sees it the moment its worker sets it, and
    set by a plain write, which is safe in a signal handler.
    """

    def __init__(self):
        self._value = RawValue(ctypes.c_bool, False)

    def set(self) -> None:
        self._value.value = True

    def is_set(self) -> bool:
        return bool(self._value.value)

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, less once the flag is set; return whether it is."""
        deadline = time.monotonic() + timeout
        while not self.is_set() and time.monotonic() < deadline:
            time.sleep(min(0.5, max(deadline - time.monotonic(), 0)))
        return self.is_set()


#: Set in a worker that is shutting down: the jobs it runs, in it or in its pool processes, stop at their next
#: step, and it starts no other.
STOPPING = StopFlag()


class JobStopped(BaseException):  # like KeyboardInterrupt: not swallowed by ``except Exception``
    """The running job must stop now; raised from its progress callback at its next step."""


class JobCancelled(JobStopped):
    """Someone cancelled the job."""


class JobInterrupted(JobStopped):
    """The job's worker is shutting down: the job is handed back (resumed elsewhere, or marked interrupted)."""


class JobLeaseLost(JobStopped):
    """Another worker took the job over (this run's lease expired): this run must not write anything."""


def lease_token_new(*, worker: str) -> str:
    return f"{worker} {INCARNATION} {uuid.uuid4().hex[:12]}"[:200]


def lease_prefix(*, worker: str) -> str:
    """What the lease tokens of the jobs run by this incarnation of ``worker`` start with."""
    return f"{worker} {INCARNATION} "


def lease_expiry(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(seconds=settings.JOBS_LEASE_SECONDS)


def lease_alive(job: Job, now: datetime | None = None) -> bool:
    return bool(job.lease_token) and job.lease_expires_at is not None and job.lease_expires_at > (now or timezone.now())


def lease_renew(*, job_id: int, token: str) -> bool:
    """Push the lease's expiry on; False when the run no longer holds it."""
    now = timezone.now()
    renewed = Job.objects.filter(pk=job_id, state=Job.State.RUNNING, lease_token=token).update(
        lease_expires_at=lease_expiry(now), heartbeat_at=now)
    return renewed == 1


def stop_reason(*, job_id: int, token: str) -> JobStopped | None:
    """Why the run holding ``token`` must stop now, read from the row; None when it may go on."""
    row = Job.objects.filter(pk=job_id).values("state", "lease_token", "stop_requested").first()
    if row is None or row["state"] != Job.State.RUNNING or row["lease_token"] != token:
        return JobLeaseLost(f"Job {job_id} is no longer held by this run ({token}).")
    if row["stop_requested"] == Job.Stop.CANCEL:
        return JobCancelled("Cancelled while it ran.")
    if row["stop_requested"] == Job.Stop.SHUTDOWN:
        return JobInterrupted("its worker was shut down while it ran")
    return None


class Heartbeat:
    """The heartbeat of one run: a thread that renews its lease and watches for stop requests.

    ``check()`` (called by the progress callback at every step) raises the ``JobStopped`` the thread
    saw, or ``JobInterrupted`` when this process is shutting down.
    """

    def __init__(self, *, job_id: int, token: str):
        self.job_id, self.token = job_id, token
        self.stopped: JobStopped | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join(timeout=10)

    def check(self) -> None:
        if self.stopped is not None:
            raise type(self.stopped)(*self.stopped.args)
        if STOPPING.is_set():
            raise JobInterrupted("its worker was shut down while it ran")

    def _run(self) -> None:
        last_renewal = time.monotonic()
        try:
            while not self._done.wait(settings.JOBS_STOP_CHECK_SECONDS):
                try:
                    if time.monotonic() - last_renewal >= settings.JOBS_HEARTBEAT_SECONDS:
                        last_renewal = time.monotonic()
                        lease_renew(job_id=self.job_id, token=self.token)
                    reason = stop_reason(job_id=self.job_id, token=self.token)
                except Exception:  # a database hiccup: the next beat tries again, the lease outlives a few
                    logger.warning("Job %s: heartbeat failed", self.job_id, exc_info=True)
                    continue
                if reason is not None and self.stopped is None:
                    logger.info("Job %s: stop at the next step (%s)", self.job_id, reason)
                    self.stopped = reason
                if isinstance(reason, JobLeaseLost):
                    return
        finally:
            connections.close_all()  # this thread's connections only
