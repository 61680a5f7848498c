"""Reads on jobs."""
from __future__ import annotations

from django.db.models import QuerySet

from webapp.permissions import visible

from .models import Job


def job_list_visible(*, user) -> QuerySet[Job]:
    """Jobs a user may see (``webapp.permissions``): their own; administrators every one."""
    return visible(user, "job", Job.objects.select_related("created_by"))
