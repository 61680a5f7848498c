"""Celery tasks of the surveys app: thin wrappers of services."""
from __future__ import annotations

from django.db import DatabaseError, InterfaceError

from jobs.presentation import user_message
from jobs.tasking import job_task, torch_device

from . import services
from .models import Survey


@job_task(name="surveys.survey_build_pairs", kind="survey.build_pairs", queue="gpu", idempotent=True)
def survey_build_pairs(*, job, progress) -> dict:
    """Render the survey's missing pairs (on the GPU where the worker has one); back to draft on failure."""
    survey = Survey.objects.get(pk=job.params["survey_id"])
    if survey.state != Survey.State.BUILDING:
        return {"survey_id": survey.pk, "skipped": f"survey is {survey.state}, not building"}
    try:
        summary = services.survey_build_pairs(survey=survey, progress=progress, device=torch_device())
    except (DatabaseError, InterfaceError):
        raise  # retried by the job task; the pairs built so far are kept
    except Exception as exc:
        services.survey_build_failed(survey=survey, error=user_message(exc))  # the traceback: job row and log
        raise
    return {"survey_id": survey.pk, **summary}
