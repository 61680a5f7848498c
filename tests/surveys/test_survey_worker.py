"""A researcher designs a survey in the pages and a real Celery worker builds its pair set."""
from __future__ import annotations

import pytest
from django.urls import reverse

from imaging.io import read_image
from jobs.models import Job
from surveys.models import Survey
from tests.support import wait_for_job
from tests.surveys.survey_helpers import damage_model_record, write_pair_set


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_pair_set_is_built_by_a_job_previewed_and_published(client, users, celery_worker_process, tmp_path):
    record = damage_model_record()
    source = write_pair_set(tmp_path / "set")
    client.force_login(users["researcher"])
    # the design form
    r = client.post(reverse("surveys:create"), {
        "kind": 1, "title": "Worker survey", "source_dir": str(source), "um_per_px": "7", "damage_model": record.pk,
        "damage_level": "1", "crop_sizes": ["128", "256"], "pairs_per_size": 2, "catch_trials": 1, "seed": 5,
        "exclude_flagged": "on"})
    assert r.status_code == 302, r.content.decode()[:2000]
    survey = Survey.objects.get(title="Worker survey")
    # building runs as a job on the gpu queue
    r = client.post(reverse("surveys:build", args=[survey.pk]))
    assert r.status_code == 302
    survey.refresh_from_db()
    assert survey.state == Survey.State.BUILDING and survey.build_job.queue == "gpu"
    job = wait_for_job(survey.build_job_id, timeout=300)
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.result["pairs"] == 5 and job.current == job.total == 5 and job.device in {"cpu", "cuda"}
    survey.refresh_from_db()
    assert survey.state == Survey.State.READY and survey.build_summary["catch"] == 1
    # every pair can be previewed by the researcher, A and B
    page = client.get(reverse("surveys:detail", args=[survey.pk]))
    assert page.content.decode().count('data-testid="pair-preview"') == 5
    for pair in survey.pairs.all():
        for side in "ab":
            url = reverse("surveys:pair-image", args=[survey.pk, pair.pk, side])
            body = b"".join(client.get(url).streaming_content)
            assert read_image(body).shape == (pair.crop_size, pair.crop_size, 3)
    # publishing needs the preview box ticked
    client.post(reverse("surveys:publish", args=[survey.pk]))
    assert Survey.objects.get(pk=survey.pk).state == Survey.State.READY
    client.post(reverse("surveys:publish", args=[survey.pk]), {"previewed": "on"})
    assert Survey.objects.get(pk=survey.pk).state == Survey.State.PUBLISHED
    assert client.get(reverse("surveys:take", args=[survey.token])).status_code == 200
