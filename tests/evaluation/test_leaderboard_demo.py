"""Demo content of the leaderboard: a synthetic and an authentic benchmark, whose baseline rows are jobs.

The demo must never compute baseline rows in its own process (the first start would wait minutes for them):
``no_inline_baselines`` fails any test in which it tries.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from evaluation import demo, selectors
from evaluation.models import Benchmark, Submission
from evaluation.services import baselines as baselines_service
from jobs.models import Job
from tests.support import missing, wait_for_job

#: The development frame of ``../shared/data/authentic-dev`` (see its README).
AUTHENTIC_NAME = "cinestill800t_half_5"


@pytest.fixture
def no_inline_baselines(monkeypatch):
    def refuse(**kwargs):
        raise AssertionError("the demo computed baseline rows in its own process instead of queueing a job")

    monkeypatch.setattr(baselines_service, "baselines_compute", refuse)


@pytest.fixture
def authentic_data():
    root = Path(settings.AUTHENTIC_DEV_DATA)
    if not (root / "benchmark" / "damaged" / f"{AUTHENTIC_NAME}.jpg").is_file():
        missing(f"the authentic development frame is not at {root}")
    return root


@pytest.fixture
def without_authentic_data(settings, tmp_path):
    settings.AUTHENTIC_DEV_DATA = tmp_path / "no-authentic-data"


def baseline_jobs() -> list[Job]:
    return list(Job.objects.filter(kind="benchmark.baselines").order_by("id"))


@pytest.mark.django_db
@pytest.mark.usefixtures("private_media", "no_inline_baselines", "without_authentic_data")
def test_demo_queues_the_baseline_job_and_computes_nothing(squares_damage_model, users, client):
    # given a damage model and no authentic frame
    lines: list[str] = []
    # when the demo content is loaded
    demo.load_demo(log=lines.append)
    # then the synthetic benchmark is there, with its images
    benchmark = Benchmark.objects.get(name=demo.DEMO_BENCHMARK)
    assert sorted(benchmark.images.values_list("name", flat=True)) == sorted(demo.DEMO_IMAGES)
    assert all(0 < f < 1 for f in benchmark.images.values_list("damage_fraction", flat=True))
    # and its baseline rows are one pending job on the gpu queue, for the demo researcher to follow; none computed
    [job] = baseline_jobs()
    assert (job.params["benchmark_id"], job.state, job.queue) == (benchmark.pk, "pending", "gpu")
    assert job.created_by == users["researcher"]
    assert not Submission.objects.exists()
    assert any("skipping the authentic benchmark" in line for line in lines), lines
    # and a second load changes nothing
    demo.load_demo(log=lines.append)
    assert baseline_jobs() == [job] and Benchmark.objects.count() == 1
    # and the leaderboard says the rows are being computed, with the job
    index = client.get("/evaluation/").content.decode()
    assert "baselines being computed" in index and f'href="/jobs/{job.pk}/"' in index
    page = client.get(f"/evaluation/{benchmark.pk}/").content.decode()
    assert "The baseline rows are being computed" in page and f'href="/jobs/{job.pk}/"' in page


@pytest.mark.django_db
@pytest.mark.usefixtures("private_media", "no_inline_baselines", "without_authentic_data")
def test_demo_queues_again_after_a_failed_run_and_not_after_a_finished_one(squares_damage_model, users, client):
    demo.load_demo(log=lambda m: None)
    [job] = baseline_jobs()
    benchmark = Benchmark.objects.get(name=demo.DEMO_BENCHMARK)
    # given the job failed: the page says so, and the next load queues a new one
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED)
    page = client.get(f"/evaluation/{benchmark.pk}/").content.decode()
    assert "The baseline rows are being computed" not in page and "ended failed" in page
    demo.load_demo(log=lambda m: None)
    jobs = baseline_jobs()
    assert len(jobs) == 2 and jobs[-1].state == "pending"
    # given the rows were computed: no job is queued again
    Job.objects.update(state=Job.State.SUCCEEDED)
    Benchmark.objects.filter(pk=benchmark.pk).update(baseline_report={"finished_at": "2026-01-01T00:00:00"})
    demo.load_demo(log=lambda m: None)
    assert len(baseline_jobs()) == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("private_media", "no_inline_baselines")
def test_demo_imports_the_authentic_frame_by_path(authentic_data, users):
    # given the authentic development frame and no damage model (the synthetic benchmark is skipped)
    lines: list[str] = []
    demo.load_demo(log=lines.append)
    # then the authentic benchmark holds the frame, read from the shared folder, with a real damage mask
    benchmark = Benchmark.objects.get(name=demo.AUTHENTIC_BENCHMARK)
    [image] = benchmark.images.all()
    assert (image.name, image.width, image.height, image.bit_depth) == (AUTHENTIC_NAME, 1423, 1024, 8)
    # at its recorded threshold, near the 0.11% of the expert mask the paper's authors derived (not JPEG noise)
    assert benchmark.threshold == demo.AUTHENTIC_THRESHOLD
    assert 0.0011 < image.damage_fraction < 0.0025, image.damage_fraction
    assert benchmark.layout and "figshare" in benchmark.source
    assert not Path(image.damaged.path).is_relative_to(authentic_data)  # imported into media, the data untouched
    # and its baseline rows are a queued job
    [job] = baseline_jobs()
    assert job.params["benchmark_id"] == benchmark.pk and job.state == "pending"
    assert not Benchmark.objects.filter(name=demo.DEMO_BENCHMARK).exists()
    assert any("no damage model" in line for line in lines), lines


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_demo_baseline_rows_appear_when_their_job_finishes(authentic_data, users, client, monkeypatch,
                                                           celery_worker_process):
    # given the demo's baseline job limited to one quick method (the job carries the list to the worker)
    monkeypatch.setattr(demo, "DEMO_BASELINE_METHODS", ["dust-scratches"])
    demo.load_demo(log=lambda m: None)
    benchmark = Benchmark.objects.get(name=demo.AUTHENTIC_BENCHMARK)
    [job] = baseline_jobs()
    # when the worker has run it
    job = wait_for_job(job.pk, timeout=300)
    # then the rows are on the leaderboard and the page no longer says they are being computed
    assert job.state == "succeeded", job.error
    rows = selectors.leaderboard(benchmark=benchmark)["rows"]
    assert {r["baseline_method"] for r in rows} == {"do-nothing", "dust-scratches"}
    page = client.get(f"/evaluation/{benchmark.pk}/").content.decode()
    assert "The baseline rows are being computed" not in page and "dust-scratches" in page
