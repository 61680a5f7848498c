"""Restoration requests (a scan, a method, the result) and the registry of trained networks."""
from __future__ import annotations

from django.conf import settings
from django.db import models


def restoration_upload_to(instance: Restoration, filename: str) -> str:
    # Under private/: only the owner (and staff) download it, through a view that checks.
    return f"private/restorations/{instance.created_by_id or 'anon'}/{filename}"


class Roll(models.Model):
    """A batch of scans uploaded together (a roll of film): one restoration per scan, defaults chosen once."""

    name = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="rolls")
    method = models.CharField(max_length=64)
    polarity = models.CharField(max_length=16, default="auto")
    film_format = models.CharField(max_length=32, default="35mm")
    frame_long_mm = models.FloatField(help_text="The frame's long edge: each scan's scale is its long side over it.")
    options = models.JSONField(default=dict, blank=True, help_text="Method options every scan of the roll gets.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.name


class Restoration(models.Model):
    """One scan submitted for restoration with a method; results keep the input's format and bit depth."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="restorations")
    input = models.FileField(upload_to=restoration_upload_to, max_length=500)
    original_name = models.CharField(max_length=300)
    image_format = models.CharField(max_length=8)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    channels = models.PositiveSmallIntegerField()
    bit_depth = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=64)
    options = models.JSONField(default=dict, blank=True)
    output = models.FileField(upload_to=restoration_upload_to, blank=True, max_length=500)
    mask = models.FileField(upload_to=restoration_upload_to, blank=True, max_length=500)
    components = models.FileField(upload_to=restoration_upload_to, blank=True, max_length=500,
                                  help_text="The repaired mask's components as JSON (restoration.core.components).")
    viewer = models.JSONField(default=dict, blank=True, help_text="Media paths of the before/after deep-zoom tiles.")
    info = models.JSONField(default=dict, blank=True, help_text="Method, device, model cards, damaged share.")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    review_scan = models.ForeignKey("annotation.Scan", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", help_text="Its components as polygons of a review dataset.")
    roll = models.ForeignKey(Roll, null=True, blank=True, on_delete=models.CASCADE, related_name="scans")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.original_name} ({self.method})"


class Network(models.Model):
    """A trained network registered with its weights file and model card."""

    class Kind(models.TextChoices):
        SEGMENTATION = "segmentation", "Damage segmentation"
        RESTORATION = "restoration", "Direct restoration"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    weights_path = models.CharField(max_length=500)
    card = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    is_default = models.BooleanField(default=False, help_text="The promoted detector: the one the detecting "
                                                              "methods use instead of the shipped file.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        constraints = [models.UniqueConstraint(fields=("kind",), condition=models.Q(is_default=True),
                                               name="one_default_network_per_kind")]

    def __str__(self) -> str:
        return self.name
