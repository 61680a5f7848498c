from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "created_by", "state", "progress", "queue", "device", "created_at", "finished_at")
    list_filter = ("state", "kind", "queue")
    search_fields = ("kind", "message", "error")
    readonly_fields = ("created_at", "started_at", "finished_at", "celery_task_id", "attempts", "worker", "lease_token",
                       "lease_expires_at", "heartbeat_at", "stop_requested")
