"""One job record for all long work: what runs, for whom, how far it got and what it made."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class Job(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        #: Its worker stopped while it ran and it cannot safely resume: start it again.
        INTERRUPTED = "interrupted", "Interrupted"

    class Stop(models.TextChoices):
        """Why the running job was asked to stop (its worker sees this at the next heartbeat or progress step)."""

        NONE = "", "No"
        CANCEL = "cancel", "Cancel requested"
        SHUTDOWN = "shutdown", "Its worker is shutting down"

    TERMINAL_STATES = (State.SUCCEEDED, State.FAILED, State.CANCELLED, State.INTERRUPTED)
    #: Finished states a job can be started again from (``jobs.services.job_retry``).
    RETRYABLE_STATES = (State.FAILED, State.CANCELLED, State.INTERRUPTED)

    kind = models.CharField(max_length=64, db_index=True, help_text="What the job does, e.g. 'scan.tiles'.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    queue = models.CharField(max_length=16, default="cpu")
    progress = models.PositiveSmallIntegerField(default=0, help_text="0 to 100.")
    current = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="Links and numbers the job produced.")
    device = models.CharField(max_length=32, blank=True, help_text="Where the work ran: cpu, cuda:0, ...")
    worker = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_token = models.CharField(
        max_length=200, blank=True,
        help_text="Who runs the job now (worker, process, attempt): only its holder may write its progress and end.",
    )
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Renewed by the running worker's heartbeat; past it, the job is taken over."
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="The running worker's last heartbeat.")
    stop_requested = models.CharField(max_length=16, choices=Stop.choices, default=Stop.NONE, blank=True)
    celery_task_id = models.CharField(max_length=64, blank=True)
    task_name = models.CharField(max_length=200, blank=True, help_text="The Celery task that runs the job.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def is_terminal(self) -> bool:
        return self.state in self.TERMINAL_STATES

    @property
    def cancel_requested(self) -> bool:
        return self.stop_requested == self.Stop.CANCEL

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
