"""Fitted damage models, overlay previews and synthetic dataset builds."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class DamageModel(models.Model):
    """A fitted, versioned statistical damage model (``params`` is ``core.model.DamageModel.to_dict()``)."""

    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    dataset = models.ForeignKey("annotation.AnnotationSet", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="damage_models")
    scan_names = models.JSONField(default=list, blank=True, help_text="Scans fitted on (empty: all of the dataset).")
    params = models.JSONField()
    notes = models.TextField(blank=True, help_text="Fallbacks and warnings of the fit.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name", "-version")
        constraints = [models.UniqueConstraint(fields=("name", "version"), name="unique_damage_model_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"


class OverlayPreview(models.Model):
    """An overlay rendered from a damage model, optionally applied to an image, in both polarities."""

    damage_model = models.ForeignKey(DamageModel, on_delete=models.CASCADE, related_name="previews")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    seed = models.BigIntegerField(default=0)
    damage_level = models.FloatField(default=1.0)
    source_image = models.FileField(upload_to="previews/sources/", blank=True, max_length=500)
    result = models.JSONField(default=dict, blank=True, help_text="Media paths and counts of the rendered files.")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)


class SyntheticDataset(models.Model):
    """A synthetic training set: damaged images, masks and clean targets with a manifest."""

    name = models.CharField(max_length=200, unique=True)
    damage_model = models.ForeignKey(DamageModel, on_delete=models.PROTECT, related_name="datasets")
    clean_dir = models.CharField(max_length=500, help_text="Folder of clean images on the server.")
    out_dir = models.CharField(max_length=500, help_text="Folder the dataset is written to.")
    count = models.PositiveIntegerField(null=True, blank=True)
    seed = models.BigIntegerField(default=0)
    options = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.name
