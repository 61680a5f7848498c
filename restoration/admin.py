from django.contrib import admin

from .models import Network, Restoration


@admin.register(Restoration)
class RestorationAdmin(admin.ModelAdmin):
    list_display = ("id", "original_name", "created_by", "method", "width", "height", "bit_depth", "created_at")
    list_filter = ("method", "image_format")
    raw_id_fields = ("created_by", "job")


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "weights_path", "created_at")
    list_filter = ("kind",)
