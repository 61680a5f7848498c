from django.contrib import admin

from .models import Benchmark, BenchmarkImage, Score, Submission, SubmissionImage


class BenchmarkImageInline(admin.TabularInline):
    model = BenchmarkImage
    extra = 0
    fields = ("name", "width", "height", "channels", "bit_depth", "damage_fraction")
    readonly_fields = fields


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ("name", "threshold", "dilation", "layout", "created_by", "created_at")
    inlines = [BenchmarkImageInline]


class SubmissionImageInline(admin.TabularInline):
    model = SubmissionImage
    extra = 0
    fields = ("name", "file", "mask")
    readonly_fields = fields


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("method_name", "version", "benchmark", "created_by", "is_baseline", "state", "created_at")
    list_filter = ("benchmark", "state", "is_baseline")
    search_fields = ("method_name", "notes")
    inlines = [SubmissionImageInline]


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ("submission", "image", "card_version", "scored_at")
    list_filter = ("card_version",)
