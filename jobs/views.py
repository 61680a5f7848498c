"""Pages of jobs: the list, one job followed live, and its cancel and retry buttons."""
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from webapp.permissions import permission_required

from . import presentation, services
from .selectors import job_list_visible


@permission_required("jobs.list")
def job_list(request):
    return render(request, "jobs/list.html", {"jobs": job_list_visible(user=request.user)[:100]})


@permission_required("jobs.list")
def job_detail(request, job_id: int):
    job = get_object_or_404(job_list_visible(user=request.user), pk=job_id)
    return render(request, "jobs/detail.html", {"job": job, "can_retry": presentation.can_retry(job)})


def _back(request, job):
    """Where a button's form asked to go back to (a page of this site), else the job's page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect("jobs:detail", job_id=job.pk)


@permission_required("jobs.list")
@require_POST
def job_cancel(request, job_id: int):
    job = get_object_or_404(job_list_visible(user=request.user), pk=job_id)
    services.job_cancel(job=job)
    messages.success(request, f"Job {job.pk} cancelled." if job.is_terminal else
                     f"Job {job.pk} stops at its next step.")
    return _back(request, job)


@permission_required("jobs.list")
@require_POST
def job_retry(request, job_id: int):
    job = get_object_or_404(job_list_visible(user=request.user), pk=job_id)
    try:
        services.job_retry(job=job)
    except ValueError as exc:
        messages.error(request, f"Retry refused: {exc}")
    else:
        messages.success(request, f"Job {job.pk} sent again.")
    return _back(request, job)
