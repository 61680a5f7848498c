from django.contrib import admin

from .models import Restoration, TrainedModel


@admin.register(Restoration)
class RestorationAdmin(admin.ModelAdmin):
    list_display = ("id", "original_name", "owner", "method", "width", "height", "bit_depth", "created_at")
    list_filter = ("method", "image_format")
    raw_id_fields = ("owner", "job")


@admin.register(TrainedModel)
class TrainedModelAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "weights_path", "created_at")
    list_filter = ("kind",)
