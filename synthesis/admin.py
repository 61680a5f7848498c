from django.contrib import admin

from .models import DamageModel, OverlayPreview, SyntheticDataset


@admin.register(DamageModel)
class DamageModelAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "dataset", "created_by", "created_at")
    list_filter = ("name",)
    readonly_fields = ("params",)


@admin.register(OverlayPreview)
class OverlayPreviewAdmin(admin.ModelAdmin):
    list_display = ("id", "damage_model", "width", "height", "seed", "damage_level", "created_at")


@admin.register(SyntheticDataset)
class SyntheticDatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "damage_model", "count", "seed", "out_dir", "created_at")
