from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from .selectors import job_list_visible


@login_required
def job_list(request):
    return render(request, "jobs/list.html", {"jobs": job_list_visible(user=request.user)[:100]})


@login_required
def job_detail(request, job_id: int):
    job = get_object_or_404(job_list_visible(user=request.user), pk=job_id)
    return render(request, "jobs/detail.html", {"job": job})
