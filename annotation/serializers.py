from pathlib import PurePosixPath

from django.urls import reverse
from rest_framework import serializers

from annotation.core.film import FILM_FORMATS
from annotation.core.types import CLASSES
from webapp.api import StrictSerializer

from .models import AnnotationSet, BankEntry, Polygon, Scan


class AnnotationSetSerializer(serializers.ModelSerializer):
    scan_count = serializers.IntegerField(read_only=True)
    polygon_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = AnnotationSet
        fields = ("id", "name", "kind", "description", "created_at", "scan_count", "polygon_count")
        read_only_fields = ("id", "kind", "created_at", "scan_count", "polygon_count")


class ScanSerializer(serializers.ModelSerializer):
    dataset = serializers.CharField(source="dataset.name")
    dzi_url = serializers.SerializerMethodField()
    image_url = serializers.SerializerMethodField()
    polygon_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Scan
        fields = ("id", "dataset", "name", "width", "height", "channels", "bit_depth", "image_format",
                  "film_format", "frame_long_mm", "frame_short_mm", "polarity", "emulsion", "notes", "source",
                  "tiles_state", "dzi_url", "image_url", "polygon_count", "created_at")
        read_only_fields = fields

    def get_dzi_url(self, scan: Scan) -> str | None:
        """The pyramid's descriptor, through the view that checks who may open the scan (its tiles beside it)."""
        if scan.tiles_state != Scan.TilesState.READY or not scan.tiles_path:
            return None
        return reverse("annotation:scan-tiles", args=[scan.pk, PurePosixPath(scan.tiles_path).name])

    def get_image_url(self, scan: Scan) -> str | None:
        """The scan's image file (a download), through the view that checks (``annotation.scan.image``)."""
        return reverse("annotation:scan-image", args=[scan.pk]) if scan.image else None


class ScanCreateSerializer(StrictSerializer):
    dataset = serializers.CharField(max_length=200)
    name = serializers.CharField(max_length=200, required=False)
    image = serializers.FileField(required=False)
    width = serializers.IntegerField(min_value=1, required=False)
    height = serializers.IntegerField(min_value=1, required=False)
    film_format = serializers.ChoiceField(choices=list(FILM_FORMATS) + ["custom"], default="35mm")
    frame_mm = serializers.RegexField(r"^\s*\d+(\.\d+)?\s*x\s*\d+(\.\d+)?\s*$", required=False,
                                      help_text="Physical frame, long x short edge in mm, e.g. 35x24.")
    polarity = serializers.ChoiceField(choices=Scan.Polarity.values, default=Scan.Polarity.NEGATIVE)
    emulsion = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    notes = serializers.CharField(required=False, default="", allow_blank=True)

    def validate_name(self, value: str) -> str:
        bad = sorted({c for c in value if c in "/\\" or ord(c) < 32 or ord(c) == 127})
        if bad:
            raise serializers.ValidationError(
                f"a scan name may not hold {', '.join(repr(c) for c in bad)} (slashes or control characters); "
                "letters of any language, digits, spaces and punctuation are fine")
        return value

    def validate(self, data):
        if "image" not in data and not ("width" in data and "height" in data):
            raise serializers.ValidationError("Give an image file, or width and height for a scan without pixels.")
        if data.get("film_format") == "custom" and "frame_mm" not in data:
            raise serializers.ValidationError("A custom film format needs frame_mm, e.g. 35x24.")
        if "name" not in data:
            if "image" not in data:
                raise serializers.ValidationError("A scan without pixels needs a name.")
            data["name"] = data["image"].name.rsplit(".", 1)[0]
        return data


class PolygonSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)

    class Meta:
        model = Polygon
        fields = ("id", "cls", "points", "created_by", "area_px", "area_um2", "bbox_xmin", "bbox_ymin", "bbox_xmax",
                  "bbox_ymax", "centroid_x", "centroid_y", "patch_col", "patch_row", "notes", "source", "version",
                  "score", "status", "updated_at")
        read_only_fields = fields


def points_field(**kwargs) -> serializers.ListField:
    """[[x, y], ...] in full-resolution pixels; geometry is checked by the service."""
    point = serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2)
    return serializers.ListField(child=point, min_length=1, max_length=20000, **kwargs)


class PolygonInputSerializer(StrictSerializer):
    cls = serializers.ChoiceField(choices=CLASSES)
    points = points_field()
    client_key = serializers.UUIDField(required=False, help_text=(
        "Any UUID the client picks for this polygon: a repeated POST with the same key returns the stored "
        "polygon (200) instead of creating another."))


class PolygonPatchSerializer(StrictSerializer):
    cls = serializers.ChoiceField(choices=CLASSES, required=False)
    points = points_field(required=False)
    version = serializers.IntegerField(min_value=1, required=False)
    status = serializers.ChoiceField(choices=Polygon.Status.values, required=False, help_text=(
        "Review sets only: proposed, kept, rejected (not repaired) or added."))


class BankEntrySerializer(serializers.ModelSerializer):
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = BankEntry
        fields = ("id", "cls", "kind", "image_url", "width", "height", "area_px", "area_um2", "source_scan",
                  "source_path")
        read_only_fields = fields

    def get_image_url(self, entry: BankEntry) -> str:
        return reverse("annotation:bank-image", args=[entry.pk])
