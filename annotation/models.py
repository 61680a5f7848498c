"""Datasets of film scans, their artefact polygons, assignments and the artefact bank."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from annotation.core.film import DEFAULT_FILM_FORMAT, FILM_FORMATS
from annotation.core.types import CLASSES, FrameGeometry

CLASS_CHOICES = [(c, c.capitalize()) for c in CLASSES]
#: The class of a proposed component whose shape does not tell (restoration.core.components): review datasets only.
UNKNOWN_CLASS = "unknown"
#: A scan's film format: each of FILM_FORMATS by its label, or custom (``frame_mm`` given).
FILM_FORMAT_CHOICES = [(k, v[0]) for k, v in FILM_FORMATS.items()] + [("custom", "Custom")]
POLYGON_CLASS_CHOICES = [*CLASS_CHOICES, (UNKNOWN_CLASS, "Unknown (review only)")]


class AnnotationSet(models.Model):
    class Kind(models.TextChoices):
        ANNOTATION = "annotation", "Annotation"
        REVIEW = "review", "Review of restorations"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ANNOTATION,
                            help_text="review: a restorer's reviews of detected damage, one scan per restoration.")
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


def scan_upload_to(instance: Scan, filename: str) -> str:
    return f"scans/{instance.dataset_id}/{filename}"


class Scan(models.Model):
    class Polarity(models.TextChoices):
        NEGATIVE = "negative", "Negative"
        POSITIVE = "positive", "Positive / slide"

    class TilesState(models.TextChoices):
        NONE = "none", "No pixels"
        PENDING = "pending", "Building tiles"
        READY = "ready", "Tiles ready"
        FAILED = "failed", "Tile build failed"

    dataset = models.ForeignKey(AnnotationSet, on_delete=models.CASCADE, related_name="scans")
    name = models.CharField(max_length=200)
    image = models.FileField(upload_to=scan_upload_to, blank=True, max_length=500)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    channels = models.PositiveSmallIntegerField(default=0, help_text="0 when the scan has no pixels.")
    bit_depth = models.PositiveSmallIntegerField(default=0)
    image_format = models.CharField(max_length=16, blank=True)
    film_format = models.CharField(max_length=32, default=DEFAULT_FILM_FORMAT,
                                   choices=FILM_FORMAT_CHOICES)
    frame_long_mm = models.FloatField(default=35.0)
    frame_short_mm = models.FloatField(default=24.0)
    polarity = models.CharField(max_length=16, choices=Polarity.choices, default=Polarity.NEGATIVE)
    emulsion = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True, help_text="Where the scan or its annotations came from.")
    tiles_state = models.CharField(max_length=16, choices=TilesState.choices, default=TilesState.NONE)
    tiles_path = models.CharField(max_length=500, blank=True, help_text="Storage path of the .dzi file.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    annotators = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Assignment", related_name="assigned_scans")

    class Meta:
        ordering = ("dataset", "name")
        constraints = [models.UniqueConstraint(fields=("dataset", "name"), name="unique_scan_name_per_dataset")]

    def __str__(self) -> str:
        return f"{self.dataset.name}/{self.name}"

    @property
    def frame(self) -> FrameGeometry:
        return FrameGeometry.for_format(self.width, self.height, self.frame_long_mm, self.frame_short_mm)

    @property
    def has_pixels(self) -> bool:
        return bool(self.image)


class Assignment(models.Model):
    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    done = models.BooleanField(default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("scan", "annotator"), name="unique_assignment")]


class Polygon(models.Model):
    """One annotated artefact. Points are full-resolution pixel coordinates [[x, y], ...]."""

    class Source(models.TextChoices):
        DRAWN = "drawn", "Drawn"
        IMPORTED = "imported", "Imported"

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="polygons")
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed by the detector"
        KEPT = "kept", "Kept"
        REJECTED = "rejected", "Rejected"
        ADDED = "added", "Added by the reviewer"

    cls = models.CharField("class", max_length=16, choices=POLYGON_CLASS_CHOICES, db_index=True)
    points = models.JSONField()
    area_px = models.FloatField()
    area_um2 = models.FloatField()
    bbox_xmin = models.FloatField()
    bbox_ymin = models.FloatField()
    bbox_xmax = models.FloatField()
    bbox_ymax = models.FloatField()
    centroid_x = models.FloatField()
    centroid_y = models.FloatField()
    patch_col = models.PositiveIntegerField()
    patch_row = models.PositiveIntegerField()
    notes = models.TextField(blank=True, help_text="What validation repaired or changed.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="polygons")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.DRAWN)
    source_key = models.CharField(max_length=64, blank=True)
    #: Chosen by the editor for a polygon it draws, so that a retried POST (lost reply) creates nothing new.
    client_key = models.UUIDField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    #: Review datasets only: the detector's score (peak probability) and the review status; blank elsewhere.
    score = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("id",)
        indexes = [models.Index(fields=("scan", "cls"))]
        constraints = [models.UniqueConstraint(fields=("scan", "client_key"),
                                               condition=models.Q(client_key__isnull=False),
                                               name="polygon_client_key_once_per_scan")]

    def __str__(self) -> str:
        return f"{self.cls} #{self.pk} on {self.scan_id}"


def bank_upload_to(instance: BankEntry, filename: str) -> str:
    return f"bank/{instance.cls.replace(' ', '-')}/{filename}"


class BankEntry(models.Model):
    """One artefact appearance: an RGBA image whose alpha is the artefact."""

    class Kind(models.TextChoices):
        CUTOUT = "cutout", "Cut out of an annotated scan"
        IMPORTED = "imported", "Imported artefact image"

    cls = models.CharField("class", max_length=16, choices=CLASS_CHOICES, db_index=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    image = models.FileField(upload_to=bank_upload_to, max_length=500)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    area_px = models.FloatField(help_text="Alpha-weighted area in pixels of the stored image.")
    area_um2 = models.FloatField(null=True, blank=True, help_text="Physical area when the source scan is known.")
    source_scan = models.ForeignKey(Scan, null=True, blank=True, on_delete=models.SET_NULL, related_name="bank_entries")
    source_polygon = models.OneToOneField(Polygon, null=True, blank=True, on_delete=models.SET_NULL,
                                          related_name="bank_entry")
    source_path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("cls", "area_px")
        constraints = [
            models.UniqueConstraint(fields=("source_path",), condition=~models.Q(source_path=""),
                                    name="unique_bank_source_path"),
        ]
