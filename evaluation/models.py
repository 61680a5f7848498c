"""Benchmarks of authentic damage with expert ground truth, submissions to them, and their scores.

Storage: a benchmark's damaged inputs are public media (``benchmarks/<id>/...``); its expert
restorations, ground-truth masks and their previews live under ``private/`` and are served only by
views that check the user is an organiser. Submitted restorations are public once submitted.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models

PRIVATE_PREFIX = "private/"


class Benchmark(models.Model):
    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True, help_text="Where the pairs came from (folder, DOI).")
    layout = models.CharField(max_length=64, blank=True, help_text="The folder layout it was imported from.")
    threshold = models.FloatField(help_text="Binarisation threshold of the normalised damaged/restored difference "
                                            "that made the ground-truth masks (0.02 is about 5 levels of 255).")
    dilation = models.PositiveSmallIntegerField(help_text="Pixels around the ground-truth damage counted as damage "
                                                          "by the damage-region scores.")
    baseline_report = models.JSONField(default=dict, blank=True,
                                       help_text="Methods of the last baseline run: computed and skipped (why).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class BenchmarkImage(models.Model):
    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="images")
    name = models.CharField(max_length=200)
    damaged = models.FileField(max_length=500, help_text="The authentic damaged scan (public).")
    restored = models.FileField(max_length=500, help_text="The expert restoration (private ground truth).")
    gt_mask = models.FileField(max_length=500, help_text="Ground-truth damage mask, 255 where damaged (private).")
    damaged_display = models.FileField(max_length=500, blank=True, help_text="8-bit PNG of the input (public).")
    restored_display = models.FileField(max_length=500, blank=True, help_text="8-bit PNG of the ground truth "
                                                                              "(private).")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    channels = models.PositiveSmallIntegerField()
    bit_depth = models.PositiveSmallIntegerField()
    damage_fraction = models.FloatField(help_text="Share of pixels in the (undilated) ground-truth mask.")

    class Meta:
        ordering = ("benchmark", "name")
        constraints = [models.UniqueConstraint(fields=("benchmark", "name"), name="unique_benchmark_image_name")]

    def __str__(self) -> str:
        return f"{self.benchmark.name}/{self.name}"

    @property
    def shape(self) -> tuple[int, ...]:
        return (self.height, self.width) if self.channels == 1 else (self.height, self.width, self.channels)

    @property
    def dtype(self) -> str:
        return "uint16" if self.bit_depth == 16 else "uint8"


class Submission(models.Model):
    """One version of a method's restorations of a benchmark (a resubmission is a new version)."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft (images being uploaded)"
        PENDING = "pending", "Waiting to be scored"
        SCORING = "scoring", "Scoring"
        SCORED = "scored", "Scored"
        FAILED = "failed", "Failed"

    class Masks(models.TextChoices):
        NONE = "none", "None (blind method)"
        OWN = "own", "The method's own masks"
        SITE = "site", "The site's segmentation U-Net"
        OTHER = "other", "Other (see notes)"

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="submissions")
    method_name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    paper_url = models.URLField(max_length=500, blank=True)
    code_url = models.URLField(max_length=500, blank=True)
    patch_wise = models.BooleanField(default=False)
    masks_used = models.CharField(max_length=16, choices=Masks.choices, default=Masks.NONE)
    notes = models.TextField(blank=True)
    is_baseline = models.BooleanField(default=False, help_text="Computed by the site with its own methods.")
    baseline_method = models.CharField(max_length=64, blank=True, help_text="Registry name, or 'do-nothing'.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="submissions")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    error = models.TextField(blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("benchmark", "method_name", "-version")
        constraints = [models.UniqueConstraint(fields=("benchmark", "created_by", "is_baseline", "method_name",
                                                       "version"), name="unique_submission_version")]

    def __str__(self) -> str:
        return f"{self.method_name} v{self.version} on {self.benchmark.name}"

    @property
    def label(self) -> str:
        return f"{self.method_name} v{self.version}"


class SubmissionImage(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="images")
    name = models.CharField(max_length=200)
    file = models.FileField(max_length=500)
    mask = models.FileField(max_length=500, blank=True, help_text="Predicted damage mask (255 where damaged).")
    display = models.FileField(max_length=500, blank=True, help_text="8-bit PNG for the comparison viewer.")

    class Meta:
        ordering = ("submission", "name")
        constraints = [models.UniqueConstraint(fields=("submission", "name"), name="unique_submission_image_name")]


class Score(models.Model):
    """Scores of one submission on one benchmark image, or its summary (``image`` null: mean and std)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="scores")
    image = models.ForeignKey(BenchmarkImage, null=True, blank=True, on_delete=models.CASCADE, related_name="scores")
    values = models.JSONField(help_text="Per image: metric -> value, non-finite values as the strings 'inf', "
                                        "'-inf' and 'nan'; summary: {'mean': {...}, 'std': {...}, 'count': n}.")
    card_version = models.CharField(max_length=16, help_text="Metric-card version that produced these values.")
    scored_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("submission", "image")
        constraints = [models.UniqueConstraint(fields=("submission", "image"), name="unique_score_per_image"),
                       models.UniqueConstraint(fields=("submission",), condition=models.Q(image__isnull=True),
                                               name="unique_summary_score")]
