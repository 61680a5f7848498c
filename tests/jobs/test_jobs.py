"""Jobs end to end: API -> real broker -> real worker process -> progress and result in the database."""
from __future__ import annotations

import pytest
from django.urls import reverse

from jobs import registry, services
from jobs.models import Job
from tests.support import wait_for_job


@pytest.mark.django_db
def test_progress_reporter_clamps_and_computes_percent():
    job = services.job_create(kind="test")
    services.job_start(job_id=job.pk)
    report = services.progress_reporter(job_id=job.pk, min_interval=0)
    report(3, 4, "three of four")
    job.refresh_from_db()
    assert (job.current, job.total, job.progress, job.message) == (3, 4, 75, "three of four")
    report(9, 4)
    job.refresh_from_db()
    assert (job.current, job.progress) == (4, 100)


@pytest.mark.django_db
def test_job_start_refuses_finished_and_cancelled_jobs():
    job = services.job_create(kind="test")
    services.job_cancel(job=job)
    assert services.job_start(job_id=job.pk) is None
    assert services.job_start(job_id=999_999) is None


def test_every_job_kind_is_declared_once_by_its_task_when_django_starts():
    from webapp.celery import app

    kinds = registry.kinds()
    # the apps' tasks modules were imported by JobsConfig.ready, not by a worker
    assert {"scan.tiles", "bank.cutout_scan", "damage_model.fit", "overlay.preview", "dataset.build",
            "restoration.run", "restoration.repair", "train.segmentation", "train.restoration", "train.detector",
            "benchmark.baselines", "benchmark.import", "submission.score", "survey.build_pairs", "diagnostic",
            "diagnostic.gpu"} <= set(kinds)
    for spec in kinds.values():
        task = app.tasks[spec.task_name]
        assert task.queue == spec.queue and task.acks_late == spec.idempotent, spec
    assert (kinds["submission.score"].queue, kinds["benchmark.import"].queue) == ("gpu", "cpu")
    assert kinds["train.segmentation"].task_name == kinds["train.restoration"].task_name == "restoration.train_model"


def test_a_kind_declared_twice_differently_is_refused():
    registry.kind_register(kind="test.twice", task_name="tests.twice", queue="cpu")
    registry.kind_register(kind="test.twice", task_name="tests.twice", queue="cpu")  # the same again: fine
    with pytest.raises(ValueError, match="declared twice"):
        registry.kind_register(kind="test.twice", task_name="tests.twice", queue="gpu")
    with pytest.raises(ValueError, match="Unknown queue"):
        registry.kind_register(kind="test.tpu", task_name="tests.tpu", queue="tpu")


@pytest.mark.django_db
def test_job_submit_takes_queue_and_task_from_the_kind_and_links_the_record(users):
    job = services.job_submit(kind="diagnostic.gpu", user=users["researcher"], params={"steps": 1})
    job.refresh_from_db()
    assert (job.kind, job.queue, job.task_name, job.params, job.state) == (
        "diagnostic.gpu", "gpu", "jobs.gpu_diagnostic", {"steps": 1}, Job.State.PENDING)
    with pytest.raises(LookupError, match="Unknown job kind 'nope'"):
        services.job_submit(kind="nope")
    assert Job.objects.count() == 1

    class Record:  # any model with a ``job`` foreign key
        job, saved = None, None

        def save(self, *, update_fields):
            self.saved = (self.job, update_fields)

    record = Record()
    linked = services.job_submit(kind="benchmark.baselines", record=record)
    assert record.saved == (linked, ["job"]) and linked.queue == "gpu"


def test_job_create_rejects_unknown_queue():
    with pytest.raises(ValueError, match="Unknown queue"):
        services.job_create(kind="test", queue="tpu")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_diagnostic_job_runs_on_a_real_worker(client, users, celery_worker_process):
    # given a researcher
    client.force_login(users["researcher"])
    # when they start a job through the API
    response = client.post(reverse("jobs:api-diagnostic"), {"steps": 4}, content_type="application/json")
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    # then the real worker runs it and records progress and result in the database
    job = wait_for_job(job_id)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert (job.progress, job.current, job.total) == (100, 4, 4)
    assert job.result == {"steps": 4, "sum": 10}
    assert job.worker == celery_worker_process.hostname
    assert job.started_at <= job.finished_at
    # and the poll endpoint reports it
    polled = client.get(reverse("jobs:api-detail", args=[job_id])).json()
    assert polled["state"] == "succeeded" and polled["is_terminal"] is True


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_failed_job_records_its_error(users, celery_worker_process):
    job = services.job_submit(kind="diagnostic", user=users["researcher"], params={"steps": 2, "fail": True})
    job = wait_for_job(job.pk)
    assert job.state == Job.State.FAILED
    assert "Diagnostic failure requested" in job.error


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_gpu_queue_job_falls_back_to_cpu_and_says_so(users, celery_worker_process):
    import torch

    job = services.job_submit(kind="diagnostic.gpu", user=users["researcher"])
    assert job.queue == "gpu"
    job = wait_for_job(job.pk)
    assert job.state == Job.State.SUCCEEDED, job.error
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert job.device == expected and job.result["device"] == expected
    assert job.result["value"] == 64.0 * 64 * 64


@pytest.mark.django_db
def test_users_see_only_their_jobs(client, users):
    mine = services.job_create(kind="x", user=users["researcher"])
    theirs = services.job_create(kind="x", user=users["annotator"])
    client.force_login(users["researcher"])
    assert client.get(reverse("jobs:api-detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("jobs:api-detail", args=[theirs.pk])).status_code == 404
    ids = [j["id"] for j in client.get(reverse("jobs:api-list")).json()]
    assert ids == [mine.pk]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_healthz_reports_database_broker_and_worker(client, celery_worker_process):
    body = client.get("/healthz?timeout=2").json()
    assert body["database"]["ok"] and body["broker"]["ok"]
    assert celery_worker_process.hostname in body["workers"]["names"]
    assert body["ok"] is True
