"""Perceptual surveys of synthetic damage: the survey, its pairs, participants and their responses."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

#: Crop sizes offered (the paper uses 128 to 2048 px).
CROP_SIZES = (128, 256, 512, 1024, 2048)


class Familiarity(models.TextChoices):
    NOT = "not", "Not familiar at all"
    SOMEWHAT = "somewhat", "Somewhat familiar"
    VERY = "very", "Very familiar"


class Survey(models.Model):
    class Kind(models.IntegerChoices):
        REAL_OR_SYNTHETIC = 1, "Survey 1: real or synthetic damage"
        MORE_REALISTIC = 2, "Survey 2: which damage is more realistic"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        BUILDING = "building", "Building pairs"
        READY = "ready", "Ready to publish"
        PUBLISHED = "published", "Published"
        CLOSED = "closed", "Closed"

    class MethodB(models.TextChoices):
        MODEL = "model", "A second damage model"
        UNIFORM = "uniform", "Uniform overlay (bank appearances placed uniformly)"
        OVERLAY_IMAGES = "overlay_images", "Overlay images from a folder"

    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="The public link's key.")
    instructions = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT, db_index=True)
    source_dir = models.CharField(max_length=500, help_text="Image-pair set (survey 1) or image set (survey 2).")
    um_per_px = models.FloatField(null=True, blank=True,
                                  help_text="Pixel pitch of the source scans; empty: each image is a 35 mm frame.")
    damage_model = models.ForeignKey("synthesis.DamageModel", on_delete=models.PROTECT, related_name="+",
                                     help_text="Synthetic damage (survey 1) or method A (survey 2).")
    method_b = models.CharField(max_length=16, choices=MethodB.choices, blank=True)
    damage_model_b = models.ForeignKey("synthesis.DamageModel", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    overlay_dir = models.CharField(max_length=500, blank=True)
    damage_level = models.FloatField(default=1.0)
    crop_sizes = models.JSONField(default=list)
    pairs_per_size = models.PositiveIntegerField(default=4)
    catch_trials = models.PositiveIntegerField(default=2, help_text="Attention checks; 0 turns them off.")
    exclude_flagged = models.BooleanField(default=True, help_text="Leave participants who fail a catch trial out.")
    seed = models.BigIntegerField(default=0)
    build_job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    build_summary = models.JSONField(default=dict, blank=True)
    build_error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def question(self) -> str:
        if self.kind == self.Kind.REAL_OR_SYNTHETIC:
            return "Which image shows real analogue film damage?"
        return "Which image shows more realistic film damage?"

    @property
    def score_name(self) -> str:
        return "Score (share correct)" if self.kind == self.Kind.REAL_OR_SYNTHETIC else "Preference for A"


def pair_upload_to(instance: Pair, filename: str) -> str:
    # private/: never served by path; the survey views check who asks.
    return f"private/surveys/{instance.survey_id}/{filename}"


class Pair(models.Model):
    """Two images of one crop. Survey 1: A authentic, B synthetic. Survey 2: A method A, B method B.

    In a catch pair B carries obviously artificial marks, so A is the right answer.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="pairs")
    index = models.PositiveIntegerField()
    is_catch = models.BooleanField(default=False)
    source = models.CharField(max_length=200)
    crop_size = models.PositiveIntegerField()
    crop_x = models.PositiveIntegerField()
    crop_y = models.PositiveIntegerField()
    polarity = models.CharField(max_length=16)
    seed = models.BigIntegerField()
    image_a = models.FileField(upload_to=pair_upload_to, max_length=500)
    image_b = models.FileField(upload_to=pair_upload_to, max_length=500)
    meta = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("survey", "index")
        constraints = [models.UniqueConstraint(fields=("survey", "index"), name="unique_pair_index")]

    def __str__(self) -> str:
        return f"{self.survey} pair {self.index}"


class Participant(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="participants")
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slot = models.PositiveIntegerField(help_text="Arrival number: picks the balanced order and sides.")
    familiarity = models.CharField(max_length=16, choices=Familiarity.choices, blank=True)
    plan = models.JSONField(default=list, help_text="[{pair, a_left, catch}, ...] in the order shown.")
    consent_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("survey", "slot")
        constraints = [models.UniqueConstraint(fields=("survey", "slot"), name="unique_participant_slot")]

    def __str__(self) -> str:
        return f"participant {self.slot} of {self.survey}"


class Response(models.Model):
    class Side(models.TextChoices):
        LEFT = "left", "Left"
        RIGHT = "right", "Right"

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="responses")
    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="responses")
    position = models.PositiveIntegerField(help_text="Place of the trial in the participant's order, from 0.")
    a_left = models.BooleanField(help_text="A was shown on the left.")
    choice = models.CharField(max_length=8, choices=Side.choices)
    chose_a = models.BooleanField()
    correct = models.BooleanField(null=True, help_text="Survey 1 and catch trials: A is the right answer.")
    response_ms = models.PositiveIntegerField()
    blur_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("participant", "position")
        constraints = [
            models.UniqueConstraint(fields=("participant", "pair"), name="unique_response_per_pair"),
            models.UniqueConstraint(fields=("participant", "position"), name="unique_response_per_position"),
        ]
