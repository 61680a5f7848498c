"""Job pages and the job API as a person reads them: a sentence for an error (never a traceback), the
result as links, cancel and retry; and in Chromium, the page following its job without a reload."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs import presentation, services
from jobs.models import Job
from tests.support import browser_login, screenshot

TRACEBACK = ('BenchmarkImportError: the benchmark zip has 1 problem:\n../evil.png: climbs out of the folder\n\n'
             'Traceback (most recent call last):\n  File "/work/main/evaluation/services/benchmarks.py", line 160, '
             'in benchmark_import_zip\n    raise BenchmarkImportError(str(exc)) from exc\n')
INTERNAL = ('KeyError: \'items\'\n\nTraceback (most recent call last):\n  File "/work/main/synthesis/views.py", '
            'line 3, in x\nKeyError: \'items\'\n')


def test_a_refusal_of_the_input_shows_its_message_without_the_traceback():
    # given: the error text a job task stores for a BenchmarkImportError (a ValueError)
    import evaluation.services.benchmarks  # noqa: F401 - the class must be loaded, as in the web process

    # when / then: the sentence is the exception's message, no frame, no server path
    text = presentation.public_error(TRACEBACK)
    assert text == "the benchmark zip has 1 problem:\n../evil.png: climbs out of the folder"
    assert "Traceback" not in text and "/work/main" not in text


@pytest.mark.parametrize("stored", [INTERNAL, "RuntimeError: CUDA out of memory\n\n  File \"/x.py\"",
                                    "Traceback (most recent call last):\n  File \"/x.py\"", "garbage"])
def test_other_errors_show_a_generic_sentence(stored):
    assert presentation.public_error(stored) == presentation.GENERIC_ERROR


def test_no_error_shows_nothing_and_messages_lose_the_project_folder(settings):
    assert presentation.public_error("") == ""
    stored = f"DatasetError: no clean images in {settings.BASE_DIR}/var/clean\n\ntb"
    assert presentation.public_error(stored) == "no clean images in var/clean"
    assert presentation.user_message(ValueError(f"bad {settings.BASE_DIR}/var/x")) == "bad var/x"
    assert presentation.user_message(KeyError("items")) == presentation.GENERIC_ERROR


def test_every_refusal_class_of_the_project_is_known_by_name():
    # given: every module of the project's apps, imported (as a worker would have)
    import importlib
    import pkgutil

    from tests.support import ROOT

    for app in ("imaging", "annotation", "synthesis", "restoration", "evaluation", "surveys", "webapp", "jobs"):
        for info in pkgutil.walk_packages([str(ROOT / app)], prefix=f"{app}."):
            if ".management" not in info.name and ".migrations" not in info.name:
                importlib.import_module(info.name)

    # then: each ValueError they define is listed, so that a web process that never imported it shows its message
    def project_subclasses(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.split(".")[0] in {"imaging", "annotation", "synthesis", "restoration", "evaluation",
                                                 "surveys", "webapp", "jobs"}:
                yield sub.__name__
            yield from project_subclasses(sub)

    assert set(project_subclasses(ValueError)) <= presentation.USER_ERROR_NAMES


def test_result_links_name_the_records_a_job_made():
    links = presentation.result_links({"damage_model_id": 2, "label": "demo v1", "url": "/synthesis/damage-models/2/"})
    assert links == [{"label": "Open demo v1", "url": "/synthesis/damage-models/2/"}]
    links = presentation.result_links({"dataset_id": 5, "present": 3, "url": "//evil.example/"})
    assert links == [{"label": "Open the synthetic dataset #5", "url": "/synthesis/datasets/5/"}]
    facts = presentation.result_facts({"dataset_id": 5, "present": 3, "complete": True, "history": [{"a": 1}]})
    assert facts == [{"name": "present", "value": "3"}, {"name": "complete", "value": "yes"}]
    params = presentation.result_facts({"dataset_id": 5, "name": "m"}, with_ids=True)
    assert params == [{"name": "dataset id", "value": "5"}, {"name": "name", "value": "m"}]


@pytest.mark.django_db
def test_job_pages_and_api_show_the_sentence_not_the_traceback(client, users):
    # given: a failed job whose stored error holds a traceback with server paths
    job = services.job_create(kind="benchmark.import", user=users["researcher"])
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, error=TRACEBACK, finished_at=timezone.now())
    client.force_login(users["researcher"])
    # when: they open the job page, the jobs list and the API
    pages = [client.get(reverse("jobs:detail", args=[job.pk])), client.get(reverse("jobs:list"))]
    api = client.get(reverse("jobs:api-detail", args=[job.pk])).json()
    # then: each says what was refused, none shows a frame or a path
    for response in pages:
        body = response.content.decode()
        assert "climbs out of the folder" in body
        assert "Traceback" not in body and "/work/main" not in body and "File &quot;" not in body
    assert api["error"].startswith("the benchmark zip has 1 problem") and "Traceback" not in api["error"]
    # and: the admin keeps the whole story
    job.refresh_from_db()
    assert "Traceback" in job.error


@pytest.mark.django_db
def test_a_finished_job_page_links_to_its_result_not_a_dict(client, users):
    job = services.job_create(kind="damage_model.fit", user=users["researcher"])
    services.job_start(job_id=job.pk, worker="w", device="cpu")
    services.job_succeed(job_id=job.pk, result={"damage_model_id": 7, "label": "demo v3",
                                                  "url": "/synthesis/damage-models/7/"})
    client.force_login(users["researcher"])
    body = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert '<a href="/synthesis/damage-models/7/">Open demo v3</a>' in body
    assert "{&#x27;" not in body and "damage_model_id&#x27;" not in body  # no Python dict
    assert 'data-testid="job-attempts">1<' in body and 'data-testid="job-device">cpu<' in body
    api = client.get(reverse("jobs:api-detail", args=[job.pk])).json()
    assert api["result_links"] == [{"label": "Open demo v3", "url": "/synthesis/damage-models/7/"}]
    assert (api["can_cancel"], api["can_retry"]) == (False, False)


@pytest.mark.django_db
def test_cancel_and_retry_from_the_job_page(client, users, monkeypatch):
    sent = []
    monkeypatch.setattr(services, "job_enqueue", lambda *, job: sent.append(job.pk) or job)
    client.force_login(users["researcher"])
    # given: a pending dataset build (a kind that resumes where it stopped)
    job = services.job_create(kind="dataset.build", user=users["researcher"], queue="gpu")
    body = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert 'data-testid="job-cancel"' in body
    # when: they cancel it, then retry it
    client.post(reverse("jobs:cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == Job.State.CANCELLED
    client.post(reverse("jobs:retry", args=[job.pk]))
    job.refresh_from_db()
    # then: the same row is pending again and sent
    assert (job.state, job.finished_at, sent) == (Job.State.PENDING, None, [job.pk])
    # and: a job that succeeded is not started again, and the page offers no retry
    fit = services.job_create(kind="damage_model.fit", user=users["researcher"])
    Job.objects.filter(pk=fit.pk).update(state=Job.State.SUCCEEDED)
    response = client.post(reverse("jobs:retry", args=[fit.pk]), follow=True)
    assert "Retry refused" in response.content.decode()
    assert 'data-job-retry hidden' in response.content.decode()
    assert Job.objects.get(pk=fit.pk).state == Job.State.SUCCEEDED
    # and: others' jobs cannot be touched
    theirs = services.job_create(kind="dataset.build", user=users["annotator"])
    assert client.post(reverse("jobs:cancel", args=[theirs.pk])).status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_job_page_follows_its_job_live_and_links_to_the_result(page, live_server, users):
    # given: a researcher's pending fit job, open in the browser
    job = services.job_create(kind="damage_model.fit", user=users["researcher"])
    browser_login(page, live_server, "researcher", "researcher")
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    assert page.inner_text("[data-testid=job-device]") == "—"
    assert page.is_visible("[data-testid=job-cancel]")
    # when: a worker starts it, then finishes it (the page is not reloaded)
    services.job_start(job_id=job.pk, worker="w@host", device="cuda:0")
    page.wait_for_function("document.querySelector('[data-testid=job-device]').textContent === 'cuda:0'")
    services.job_succeed(job_id=job.pk, result={"damage_model_id": 3, "label": "live v1",
                                                  "url": "/synthesis/damage-models/3/"})
    # then: device, attempts, started and the result link appear; the cancel button goes
    page.wait_for_selector("[data-testid=job-result] a[href='/synthesis/damage-models/3/']")
    assert page.inner_text("[data-testid=job-attempts]") == "1"
    assert page.inner_text("[data-testid=job-started]") != "—"
    assert not page.is_visible("[data-testid=job-cancel]")
    assert "{'" not in page.inner_text("main") and "Traceback" not in page.content()
    screenshot(page, "job-live")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_cancel_button_cancels_through_the_api_and_errors_show_no_traceback(page, live_server, users):
    job = services.job_create(kind="dataset.build", user=users["researcher"], queue="gpu")
    failed = services.job_create(kind="benchmark.import", user=users["researcher"])
    Job.objects.filter(pk=failed.pk).update(state=Job.State.FAILED, error=TRACEBACK)
    browser_login(page, live_server, "researcher", "researcher")
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    page.click("[data-testid=job-cancel]")
    page.wait_for_function("document.querySelector('[data-field=state_display]').textContent === 'Cancelled'")
    assert Job.objects.get(pk=job.pk).state == Job.State.CANCELLED
    assert page.is_visible("[data-testid=job-retry]")
    for url in (f"/jobs/{failed.pk}/", "/jobs/"):
        page.goto(live_server.url + url)
        text = page.inner_text("main")
        assert "climbs out of the folder" in text
        assert "Traceback" not in text and "/work/main" not in text
