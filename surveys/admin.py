from django.contrib import admin

from .models import Pair, Participant, Response, Survey


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "kind", "state", "damage_model", "created_at", "published_at")
    list_filter = ("kind", "state")
    search_fields = ("title", "slug")
    readonly_fields = ("token", "build_job", "build_summary", "created_at", "published_at", "closed_at")


@admin.register(Pair)
class PairAdmin(admin.ModelAdmin):
    list_display = ("id", "survey", "index", "is_catch", "crop_size", "polarity", "source")
    list_filter = ("survey", "is_catch", "crop_size", "polarity")


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ("id", "survey", "slot", "familiarity", "consent_at", "finished_at")
    list_filter = ("survey", "familiarity")
    readonly_fields = ("token", "plan")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ("id", "participant", "pair", "position", "choice", "chose_a", "correct", "response_ms",
                    "blur_count", "created_at")
    list_filter = ("participant__survey",)
