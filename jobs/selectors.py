"""Reads on jobs."""
from __future__ import annotations

from django.db.models import QuerySet

from .models import Job


def job_list_visible(*, user) -> QuerySet[Job]:
    """Staff see every job; others see their own."""
    qs = Job.objects.select_related("owner")
    if user.is_staff:
        return qs
    return qs.filter(owner=user)
