"""Scoring and baselines through the real broker and a real Celery worker process."""
from __future__ import annotations

import pytest
from django.urls import reverse

from evaluation import selectors
from evaluation.core import metrics as card
from evaluation.models import Score, Submission
from tests.evaluation.leaderboard_support import restorations, upload, zip_bytes
from tests.support import wait_for_job


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_submission_is_scored_by_the_worker(client, users, bench, celery_worker_process):
    # given a researcher's zip sent through the API
    client.force_login(users["researcher"])
    r = client.post(reverse("evaluation-api-submissions", args=[bench.pk]),
                    {"method_name": "Worker method", "archive": upload("r.zip", zip_bytes(restorations(bench.pairs)))})
    assert r.status_code == 202, r.content
    # when the worker runs its job
    job = wait_for_job(r.json()["job_id"], timeout=180)
    # then the job succeeded with progress, and the submission is on the leaderboard with current scores
    assert job.state == "succeeded", job.error
    assert (job.progress, job.current, job.total) == (100, 3, 3)
    assert job.result["scored"] == 3 and job.device in ("cpu", "cuda")
    submission = Submission.objects.get(pk=r.json()["id"])
    assert submission.state == "scored"
    assert Score.objects.filter(submission=submission, card_version=card.METRIC_CARD_VERSION).count() == 4
    assert [row["method"] for row in selectors.leaderboard(benchmark=bench)["rows"]] == ["Worker method"]
    # and the baseline rows are computed by a job on the gpu queue
    client.force_login(users["admin"])
    r = client.post(reverse("evaluation-api-baselines", args=[bench.pk]), {"methods": ["dust-scratches"]},
                    content_type="application/json")
    assert r.status_code == 202 and r.json()["queue"] == "gpu"
    job = wait_for_job(r.json()["id"], timeout=180)
    assert job.state == "succeeded", job.error
    assert job.result["computed"] == ["do-nothing", "dust-scratches"]
    methods = {row["baseline_method"] for row in selectors.leaderboard(benchmark=bench)["rows"]}
    assert methods == {"", "do-nothing", "dust-scratches"}
