"""Jobs run once: leases, second deliveries, dead workers, cancellation of running jobs, worker shutdown."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs import leases, services
from jobs.models import Job
from tests.support import WorkerProcess, only_worker, wait_for_job


def deliver(job: Job) -> None:
    """Deliver the job's task once more, in this process (as a worker would run a second message)."""
    from webapp.celery import app

    app.tasks[job.task_name].apply(args=(job.pk,))


def expire_lease(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def left_running(*, kind: str, worker: str, expired: bool = True, **fields) -> Job:
    """A job row as a worker leaves it when it dies mid-run (its lease expired, or not yet)."""
    now = timezone.now()
    task_name = {"diagnostic": "jobs.diagnostic", "diagnostic.once": "jobs.diagnostic_once"}[kind]
    return Job.objects.create(
        kind=kind, task_name=task_name, state=Job.State.RUNNING, worker=worker, attempts=1, started_at=now,
        lease_token=f"{worker} earlier0000 {kind}", params={"steps": 3, "delay": 0.01},
        lease_expires_at=now + timedelta(seconds=-5 if expired else 600), **fields)


def wait_for_log(worker: WorkerProcess, text: str, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in worker.log_path.read_text():
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in {worker.log_path} after {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_a_second_delivery_of_a_job_under_a_live_lease_does_nothing_and_an_expired_one_is_taken_over():
    # given a diagnostic job that a first worker runs under a live lease
    job = Job.objects.create(kind="diagnostic", task_name="jobs.diagnostic", params={"steps": 3, "delay": 0})
    first = services.job_start(job_id=job.pk, worker="first@host")
    # when its task is delivered a second time
    deliver(first)
    # then the second delivery did nothing: the first run still holds the job
    job.refresh_from_db()
    assert (job.state, job.attempts, job.worker, job.lease_token) == (
        Job.State.RUNNING, 1, "first@host", first.lease_token)
    assert (job.current, job.result) == (0, {})
    # when the first worker's lease has expired (it died) and the task is delivered again
    expire_lease(job)
    deliver(job)
    # then the delivery takes the job over and runs it to the end
    job.refresh_from_db()
    assert job.state == Job.State.SUCCEEDED, job.error
    assert (job.attempts, job.result, job.lease_token) == (2, {"steps": 3, "sum": 6}, "")
    assert job.worker != "first@host"


@pytest.mark.django_db
def test_a_non_idempotent_job_whose_lease_expired_is_interrupted_and_can_be_started_again(
        client, users, django_capture_on_commit_callbacks):
    # given a job of a kind that cannot resume, left running by a worker whose lease expired
    job = left_running(kind="diagnostic.once", worker="gone@host", created_by=users["researcher"])
    # when its task is delivered again
    deliver(job)
    # then it is not run again but marked interrupted, with a message that says to start it again
    job.refresh_from_db()
    assert (job.state, job.attempts, job.result, job.lease_token) == (Job.State.INTERRUPTED, 1, {}, "")
    assert "start it again" in job.message and job.finished_at is not None
    # and the API shows it so
    client.force_login(users["researcher"])
    body = client.get(reverse("jobs:api-detail", args=[job.pk])).json()
    assert (body["state"], body["is_terminal"], body["message"]) == ("interrupted", True, job.message)
    # and starting it again sends it from the beginning
    with django_capture_on_commit_callbacks() as sends:
        response = client.post(reverse("jobs:api-retry", args=[job.pk]))
    assert response.status_code == 202, response.content
    assert len(sends) == 1
    job.refresh_from_db()
    assert (job.state, job.progress, job.finished_at) == (Job.State.PENDING, 0, None)
    assert client.post(reverse("jobs:api-retry", args=[job.pk])).status_code == 409  # pending: not again


@pytest.mark.django_db
def test_jobs_recover_takes_over_only_the_jobs_whose_worker_is_gone():
    # given jobs left running: by dead workers (leases expired), by an earlier run of this worker's name,
    # and one that another worker still runs
    resumable = left_running(kind="diagnostic", worker="gone@host")
    once = left_running(kind="diagnostic.once", worker="gone@host")
    cancelled = left_running(kind="diagnostic", worker="gone@host", stop_requested=Job.Stop.CANCEL)
    earlier_me = left_running(kind="diagnostic", worker="me@host", expired=False)
    alive = left_running(kind="diagnostic", worker="other@host", expired=False)
    # when the worker "me@host" starts
    outcome = services.jobs_recover(worker="me@host")
    # then each gone worker's job is resumed, interrupted or cancelled, and the live one is left alone
    assert outcome == {"resumed": [resumable.pk, earlier_me.pk], "interrupted": [once.pk],
                       "cancelled": [cancelled.pk]}
    states = dict(Job.objects.values_list("pk", "state"))
    assert states == {resumable.pk: "pending", earlier_me.pk: "pending", once.pk: "interrupted",
                      cancelled.pk: "cancelled", alive.pk: "running"}
    assert Job.objects.get(pk=alive.pk).lease_token == alive.lease_token
    assert not Job.objects.filter(pk__in=[resumable.pk, once.pk, earlier_me.pk]).exclude(lease_token="").exists()
    # and a periodic sweep (no worker name) leaves the live one alone too
    assert services.jobs_recover() == {"resumed": [], "interrupted": [], "cancelled": []}


@pytest.mark.django_db
def test_a_worker_that_starts_sends_again_the_jobs_its_name_handed_back(django_capture_on_commit_callbacks):
    # given a job that "me@host" handed back when it stopped, one another worker handed back, and a new one
    mine = left_running(kind="diagnostic", worker="me@host")
    theirs = left_running(kind="diagnostic", worker="other@host")
    Job.objects.filter(pk__in=[mine.pk, theirs.pk]).update(state=Job.State.PENDING, lease_token="")
    services.job_create(kind="diagnostic")
    # when "me@host" starts again, then only its own handed-back job is sent again
    with django_capture_on_commit_callbacks() as sends:
        assert services.jobs_resend_handed_back(worker="me@host") == [mine.pk]
    assert len(sends) == 1


@pytest.mark.django_db
def test_cancelling_a_running_job_asks_it_to_stop_and_its_next_step_raises():
    # given a running job and its progress callback
    job = services.job_create(kind="diagnostic")
    run = services.job_start(job_id=job.pk, worker="w@host")
    progress = services.progress_reporter(job_id=job.pk, lease=run.lease_token, min_interval=0)
    progress(1, 10)
    # when it is cancelled
    services.job_cancel(job=job)
    # then it still runs, with the request on its row
    assert (job.state, job.cancel_requested) == (Job.State.RUNNING, True)
    # and its next step raises JobCancelled, which the run records as cancelled
    with pytest.raises(leases.JobCancelled):
        progress(2, 10)
    assert services.job_cancelled(job_id=job.pk, lease=run.lease_token)
    job.refresh_from_db()
    assert (job.state, job.current, job.lease_token) == (Job.State.CANCELLED, 1, "")
    # and a pending job is cancelled at once
    pending = services.job_cancel(job=services.job_create(kind="diagnostic"))
    assert pending.state == Job.State.CANCELLED


@pytest.mark.django_db
def test_a_run_that_lost_its_lease_writes_nothing():
    # given a run whose lease another worker took over
    job = services.job_create(kind="diagnostic")
    stale = services.job_start(job_id=job.pk, worker="slow@host")
    expire_lease(job)
    fresh = services.job_start(job_id=job.pk, worker="new@host")
    progress = services.progress_reporter(job_id=job.pk, lease=stale.lease_token, min_interval=0)
    # then its progress raises JobLeaseLost and its end records nothing
    with pytest.raises(leases.JobLeaseLost):
        progress(1, 2)
    assert not services.job_succeed(job_id=job.pk, result={"stale": True}, lease=stale.lease_token)
    job.refresh_from_db()
    assert (job.state, job.result, job.lease_token, job.worker) == (
        Job.State.RUNNING, {}, fresh.lease_token, "new@host")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_running_job_cancelled_through_the_api_stops(client, users, celery_worker_process):
    # given a long diagnostic job running on the worker
    client.force_login(users["researcher"])
    job = services.job_submit(kind="diagnostic", user=users["researcher"], params={"steps": 1000, "delay": 0.05})
    wait_for_job(job.pk, until=lambda j: j.state == Job.State.RUNNING and j.current >= 2)
    # when it is cancelled through the API
    body = client.post(reverse("jobs:api-cancel", args=[job.pk])).json()
    assert body["cancel_requested"] is True or body["state"] == "cancelled"
    # then the worker stops it and records it as cancelled, long before its end
    job = wait_for_job(job.pk)
    assert job.state == Job.State.CANCELLED, (job.state, job.error)
    assert job.current < 1000 and job.result == {}
    assert (job.lease_token, job.stop_requested) == ("", "")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_jobs_left_running_by_a_dead_worker_are_resumed_or_interrupted_when_a_worker_starts(worker_database_url):
    # given jobs a killed worker left running, their leases expired, and one another worker still runs
    resumable = left_running(kind="diagnostic", worker="killed@host")
    once = left_running(kind="diagnostic.once", worker="killed@host")
    alive = left_running(kind="diagnostic", worker="busy@host", expired=False)
    alive_lease = alive.lease_token
    # when a worker starts
    worker = WorkerProcess(database_url=worker_database_url)
    try:
        worker.start()
        # then the idempotent job is resumed and runs to the end on a live worker
        job = wait_for_job(resumable.pk)
        assert job.state == Job.State.SUCCEEDED, job.error
        assert job.attempts == 2 and job.worker != "killed@host"
        assert job.result == {"steps": 3, "sum": 6}
    finally:
        worker.stop()
    # and the one that cannot resume is marked interrupted, never run again
    once.refresh_from_db()
    assert (once.state, once.attempts) == (Job.State.INTERRUPTED, 1)
    assert "start it again" in once.message
    # and the one under a live lease is left to its worker
    alive.refresh_from_db()
    assert (alive.state, alive.lease_token, alive.attempts) == (Job.State.RUNNING, alive_lease, 1)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_a_job_delivered_twice_once_and_stops_within_10_s_of_sigterm(worker_database_url,
                                                                                     celery_worker_process):
    from webapp.celery import app

    worker = WorkerProcess(database_url=worker_database_url, concurrency=2)
    with only_worker(worker):
        worker.start()
        try:
            # given a resumable job running on the worker
            job = services.job_submit(kind="diagnostic", params={"steps": 200, "delay": 0.05})
            wait_for_job(job.pk, until=lambda j: j.state == Job.State.RUNNING)
            # when its task is delivered a second time, to the worker's other process
            app.send_task(job.task_name, args=(job.pk,), queue=job.queue)
            # then that delivery does nothing while the first runs
            wait_for_log(worker, f"Job {job.pk} already runs on {worker.hostname}")
            job.refresh_from_db()
            assert (job.state, job.attempts) == (Job.State.RUNNING, 1)
            # given also a job that cannot resume, in one long step that reports nothing
            stuck = services.job_submit(kind="diagnostic.once", params={"steps": 1, "block": 120})
            wait_for_job(stuck.pk, until=lambda j: j.state == Job.State.RUNNING)
            # when the worker gets SIGTERM (its main process only, as `kill PID` sends it)
            started = time.monotonic()
            os.kill(worker.proc.pid, signal.SIGTERM)
            try:
                worker.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pytest.fail(f"the worker was still up 10 s after SIGTERM; see {worker.log_path}")
            print(f"worker stopped {time.monotonic() - started:.1f} s after SIGTERM")
        finally:
            worker.stop()
        # then the resumable job was handed back to the queue and the other one marked interrupted
        job.refresh_from_db()
        stuck.refresh_from_db()
        assert (job.state, job.lease_token) == (Job.State.PENDING, ""), job.message
        assert job.current < 200
        assert (stuck.state, stuck.attempts) == (Job.State.INTERRUPTED, 1), stuck.message
        assert "start it again" in stuck.message
    # and the handed-back job is not lost: the next worker runs it to the end
    job = wait_for_job(job.pk)
    assert (job.state, job.attempts) == (Job.State.SUCCEEDED, 2), job.error


def stop_within_10_s(worker: WorkerProcess, sig: signal.Signals, *, group: bool) -> None:
    """Send ``sig`` to the worker (its whole process group, as Ctrl-C does, or its main process) and wait 10 s."""
    if group:
        os.killpg(worker.proc.pid, sig)
    else:
        os.kill(worker.proc.pid, sig)
    try:
        worker.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker was still up 10 s after {sig.name}; see {worker.log_path}")
    worker.stop()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_ctrl_c_or_sigterm_to_the_process_group_stops_a_worker_within_10_s_and_its_job_resumes_at_the_next_start(
        worker_database_url):
    worker = WorkerProcess(database_url=worker_database_url)
    with only_worker(worker):
        try:
            # given a resumable job running on the worker
            worker.start()
            job = services.job_submit(kind="diagnostic", params={"steps": 300, "delay": 0.05})
            wait_for_job(job.pk, until=lambda j: j.state == Job.State.RUNNING and j.current >= 1)
            # when Ctrl-C reaches the worker's process group
            stop_within_10_s(worker, signal.SIGINT, group=True)
            # then the job was handed back, not lost
            job.refresh_from_db()
            assert (job.state, job.attempts) == (Job.State.PENDING, 1), job.message
            # when the worker starts again, takes the job, and its process group gets SIGTERM
            worker.start()
            wait_for_job(job.pk, until=lambda j: j.state == Job.State.RUNNING and j.attempts == 2 and j.current >= 1)
            stop_within_10_s(worker, signal.SIGTERM, group=True)
            # and starts once more
            worker.start()
            # then the job resumes and runs to the end
            job = wait_for_job(job.pk, timeout=120)
            assert (job.state, job.attempts, job.current) == (Job.State.SUCCEEDED, 3, 300), job.error
            assert job.worker == worker.hostname
        finally:
            worker.stop()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_gpu_worker_on_the_solo_pool_runs_torch_jobs_and_stops_within_10_s_of_ctrl_c(worker_database_url):
    import torch

    # the gpu worker as README "Scaling out" and `make worker-gpu` run it (here on both queues, to stop it mid-job)
    worker = WorkerProcess(database_url=worker_database_url, pool="solo")
    with only_worker(worker):
        try:
            worker.start()
            # given a torch job: it runs in the worker process itself, on the GPU where there is one
            job = wait_for_job(services.job_submit(kind="diagnostic.gpu").pk)
            expected = "cuda" if torch.cuda.is_available() else "cpu"
            assert (job.state, job.device, job.result["device"]) == (Job.State.SUCCEEDED, expected, expected)
            # and a job that cannot resume, stuck in one long step
            stuck = services.job_submit(kind="diagnostic.once", params={"steps": 1, "block": 120})
            wait_for_job(stuck.pk, until=lambda j: j.state == Job.State.RUNNING)
            # when Ctrl-C reaches the worker
            stop_within_10_s(worker, signal.SIGINT, group=True)
        finally:
            worker.stop()
    # then the stuck job is marked interrupted
    stuck.refresh_from_db()
    assert (stuck.state, stuck.attempts) == (Job.State.INTERRUPTED, 1), stuck.message
