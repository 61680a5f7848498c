from django.contrib import admin

from .models import AnnotationSet, Assignment, BankEntry, Polygon, Scan


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0


@admin.register(AnnotationSet)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "created_by", "created_at")
    search_fields = ("name", "description")


@admin.register(Scan)
class ScanAdmin(admin.ModelAdmin):
    list_display = ("name", "dataset", "width", "height", "bit_depth", "film_format", "polarity", "tiles_state")
    list_filter = ("dataset", "polarity", "film_format", "tiles_state")
    search_fields = ("name", "emulsion", "notes")
    inlines = (AssignmentInline,)


@admin.register(Polygon)
class PolygonAdmin(admin.ModelAdmin):
    list_display = ("id", "scan", "cls", "area_px", "area_um2", "created_by", "source", "updated_at")
    list_filter = ("cls", "source", "scan__dataset")
    raw_id_fields = ("scan", "created_by")


@admin.register(BankEntry)
class BankEntryAdmin(admin.ModelAdmin):
    list_display = ("id", "cls", "kind", "width", "height", "area_px", "area_um2", "source_scan")
    list_filter = ("cls", "kind")
    raw_id_fields = ("source_scan", "source_polygon")
