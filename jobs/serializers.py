from rest_framework import serializers

from . import presentation
from .models import Job


class JobSerializer(serializers.ModelSerializer):
    """A job as pages and clients see it: ``error`` is the sentence for a person (the traceback stays in the
    admin and the log), ``result_links`` the pages of what it made."""

    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    is_terminal = serializers.BooleanField(read_only=True)
    cancel_requested = serializers.BooleanField(read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    error = serializers.SerializerMethodField()
    result_links = serializers.SerializerMethodField()
    result_facts = serializers.SerializerMethodField()
    can_cancel = serializers.SerializerMethodField()
    can_retry = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = (
            "id", "kind", "created_by", "state", "state_display", "queue", "progress", "current", "total", "message",
            "error", "params", "result", "result_links", "result_facts", "device", "attempts", "created_at",
            "started_at", "finished_at", "duration_seconds", "is_terminal", "can_cancel", "can_retry",
            "cancel_requested", "worker", "heartbeat_at", "lease_expires_at",
        )
        read_only_fields = fields

    def get_error(self, job: Job) -> str:
        return presentation.public_error(job.error)

    def get_result_links(self, job: Job) -> list[dict[str, str]]:
        return presentation.result_links(job.result)

    def get_result_facts(self, job: Job) -> list[dict[str, str]]:
        return presentation.result_facts(job.result)

    def get_can_cancel(self, job: Job) -> bool:
        return not job.is_terminal

    def get_can_retry(self, job: Job) -> bool:
        return presentation.can_retry(job)
