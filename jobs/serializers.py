from rest_framework import serializers

from .models import Job


class JobSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", default=None, read_only=True)
    duration_seconds = serializers.FloatField(read_only=True, allow_null=True)
    is_terminal = serializers.BooleanField(read_only=True)

    class Meta:
        model = Job
        fields = (
            "id", "kind", "owner", "state", "queue", "progress", "current", "total", "message", "error",
            "params", "result", "device", "attempts", "created_at", "started_at", "finished_at",
            "duration_seconds", "is_terminal",
        )
        read_only_fields = fields
