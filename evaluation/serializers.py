"""Shapes of the evaluation API: they validate input and shape output, they never compute."""
from __future__ import annotations

from rest_framework import serializers

from evaluation.core.ranking import to_public
from webapp import storage
from webapp.api import StrictSerializer

from .models import Benchmark, BenchmarkImage, Submission


class BenchmarkSerializer(serializers.ModelSerializer):
    image_count = serializers.IntegerField(read_only=True, default=None)
    scored_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Benchmark
        fields = ("id", "name", "description", "source", "layout", "threshold", "dilation", "image_count",
                  "scored_count", "created_at")
        read_only_fields = fields


class BenchmarkImageSerializer(serializers.ModelSerializer):
    input_url = serializers.SerializerMethodField()

    class Meta:
        model = BenchmarkImage
        fields = ("name", "width", "height", "channels", "bit_depth", "damage_fraction", "input_url")
        read_only_fields = fields

    def get_input_url(self, image: BenchmarkImage) -> str:
        """The damaged input (public), as ``webapp.storage.url`` gives it."""
        return storage.url(image.damaged.name)


class SubmissionSerializer(serializers.ModelSerializer):
    benchmark = serializers.CharField(source="benchmark.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    images = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    job_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Submission
        fields = ("id", "benchmark", "method_name", "version", "paper_url", "code_url", "patch_wise", "masks_used",
                  "notes", "is_baseline", "baseline_method", "created_by", "state", "error", "job_id", "images",
                  "summary", "created_at", "scored_at")
        read_only_fields = fields

    def get_images(self, submission: Submission) -> list[dict]:
        return [{"name": i.name, "has_mask": bool(i.mask)} for i in submission.images.all()]

    def get_summary(self, submission: Submission) -> dict | None:
        score = submission.scores.filter(image__isnull=True).first()
        if score is None:
            return None
        return {"card_version": score.card_version, **to_public(score.values)}


class SubmissionCreateSerializer(StrictSerializer):
    method_name = serializers.CharField(max_length=200)
    paper_url = serializers.URLField(max_length=500, required=False, default="", allow_blank=True)
    code_url = serializers.URLField(max_length=500, required=False, default="", allow_blank=True)
    patch_wise = serializers.BooleanField(required=False, default=False)
    masks_used = serializers.ChoiceField(choices=Submission.Masks.values, default=Submission.Masks.NONE)
    notes = serializers.CharField(required=False, default="", allow_blank=True)
    archive = serializers.FileField(required=False, help_text="Zip of one restoration per benchmark image, named "
                                                              "by the image's name; omit it to start a draft.")
    masks = serializers.FileField(required=False, help_text="Optional zip of 8-bit grey damage masks.")


def leaderboard_json(board: dict) -> dict:
    """A ranked table (``selectors.leaderboard`` or ``segmentation_leaderboard``) as strict JSON."""
    keep = ("id", "position", "method", "version", "versions", "submitter", "is_baseline", "baseline_method",
            "patch_wise", "masks_used", "paper_url", "code_url", "notes", "card_version", "stale", "metrics",
            "average_rank")
    body = {key: value for key, value in board.items() if key not in ("rows", "metrics")}
    body["metrics"] = [{"key": m.key, "label": m.label, "higher_is_better": m.higher_is_better, "group": m.group}
                       for m in board["metrics"]]
    body["rows"] = [{key: row[key] for key in keep} for row in board["rows"]]
    return to_public(body)
