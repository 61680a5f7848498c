"""REST API of the evaluation app: one class per operation, validate -> service -> response.

Reading (benchmarks, leaderboards, per-image scores, inputs) is open to anyone; submitting needs a
researcher; hidden ground truth is served to administrators only. A refused submission
answers HTTP 400 ``{"detail": "...", "errors": [{"name", "code", "message"}, ...]}``.
"""
from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluation.core.submissions import SubmissionError
from jobs.serializers import JobSerializer
from webapp import storage
from webapp.api import list_window, validated
from webapp.permissions import Allowed, require, visible

from . import exports, selectors
from .models import Benchmark, BenchmarkImage, Submission
from .serializers import (
    BenchmarkImageSerializer,
    BenchmarkSerializer,
    SubmissionCreateSerializer,
    SubmissionSerializer,
    leaderboard_json,
)
from .services import baselines, submissions
from .services.scoring import card_version


def refused(exc: SubmissionError) -> ValidationError:
    return ValidationError({"detail": str(exc), "errors": [
        {"name": e.name, "code": e.code, "message": e.message} for e in exc.errors]})


def ground_truth_response(*, request, benchmark: Benchmark, image: BenchmarkImage, what: str) -> HttpResponse:
    """The expert restoration (``what="file"``), its 8-bit preview (``"display"``) or mask (``"mask"``)."""
    require(request.user, "evaluation.ground_truth.view", benchmark)
    field = {"file": image.restored, "display": image.restored_display, "mask": image.gt_mask}[what]
    return storage.serve(field.name, as_attachment=what != "display", cache="private, no-store")


class BenchmarkListApi(APIView):
    permission_classes = (Allowed("evaluation.view"),)

    @extend_schema(responses=BenchmarkSerializer(many=True))
    def get(self, request):
        return Response(BenchmarkSerializer(list_window(request, selectors.benchmark_list()), many=True).data)


class BenchmarkDetailApi(APIView):
    permission_classes = (Allowed("evaluation.view"),)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, benchmark_id: int):
        benchmark = get_object_or_404(selectors.benchmark_list(), pk=benchmark_id)
        body = BenchmarkSerializer(benchmark).data
        body["images"] = BenchmarkImageSerializer(benchmark.images.all(), many=True,
                                                  context={"request": request}).data
        body["ground_truth_visible"] = selectors.ground_truth_visible(benchmark=benchmark, user=request.user)
        return Response(body)


class LeaderboardApi(APIView):
    permission_classes = (Allowed("evaluation.view"),)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, benchmark_id: int):
        benchmark = get_object_or_404(Benchmark, pk=benchmark_id)
        return Response({
            "benchmark": benchmark.name,
            "restoration": leaderboard_json(selectors.leaderboard(benchmark=benchmark)),
            "segmentation": leaderboard_json(selectors.segmentation_leaderboard(benchmark=benchmark)),
        })


class ScoresExportApi(APIView):
    """Per-image scores of the leaderboard rows (or ``?submission=<id>``) as ``?as=csv`` or ``?as=json``."""

    permission_classes = (Allowed("evaluation.view"),)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/json"): OpenApiTypes.OBJECT})
    def get(self, request, benchmark_id: int):
        benchmark = get_object_or_404(Benchmark, pk=benchmark_id)
        submission = None
        if request.query_params.get("submission"):
            submission = get_object_or_404(benchmark.submissions.exclude(state=Submission.State.DRAFT),
                                           pk=request.query_params["submission"])
        rows = selectors.per_image_rows(benchmark=benchmark, submission=submission)
        fmt = request.query_params.get("as", "csv")
        if fmt == "csv":
            response = HttpResponse(exports.scores_csv(rows), content_type="text/csv; charset=utf-8")
        elif fmt == "json":
            response = HttpResponse(exports.scores_json(rows, benchmark=benchmark, card_version=card_version()),
                                    content_type="application/json")
        else:
            raise ValidationError({"detail": f"Unknown export format {fmt!r}; use csv or json."})
        suffix = f"-submission{submission.pk}" if submission else ""
        response["Content-Disposition"] = f'attachment; filename="scores-benchmark{benchmark.pk}{suffix}.{fmt}"'
        return response


class InputDownloadApi(APIView):
    permission_classes = (Allowed("evaluation.view"),)

    @extend_schema(responses=OpenApiTypes.BINARY)
    def get(self, request, benchmark_id: int, name: str):
        image = get_object_or_404(BenchmarkImage, benchmark_id=benchmark_id, name=name)
        return storage.serve(image.damaged.name, as_attachment=True)


class GroundTruthDownloadApi(APIView):
    permission_classes = (Allowed("evaluation.view"),)  # then administrators only (the ground truth is hidden)

    @extend_schema(responses=OpenApiTypes.BINARY)
    def get(self, request, benchmark_id: int, name: str):
        image = get_object_or_404(BenchmarkImage.objects.select_related("benchmark"), benchmark_id=benchmark_id,
                                  name=name)
        what = "mask" if request.query_params.get("mask") else "file"
        return ground_truth_response(request=request, benchmark=image.benchmark, image=image, what=what)


class SubmissionListApi(APIView):
    permission_classes = (Allowed("evaluation.submission.create", read="evaluation.view"),)
    parser_classes = (MultiPartParser, FormParser, JSONParser)

    @extend_schema(responses=SubmissionSerializer(many=True))
    def get(self, request, benchmark_id: int):
        benchmark = get_object_or_404(Benchmark, pk=benchmark_id)
        qs = visible(request.user, "submission",
                     benchmark.submissions.select_related("benchmark", "created_by").prefetch_related("images"))
        return Response(SubmissionSerializer(list_window(request, qs.order_by("-created_at")), many=True).data)

    @extend_schema(request=SubmissionCreateSerializer, responses={201: SubmissionSerializer, 202: SubmissionSerializer})
    def post(self, request, benchmark_id: int):
        benchmark = get_object_or_404(Benchmark, pk=benchmark_id)
        data = validated(SubmissionCreateSerializer, request.data)
        try:
            submission = submissions.submission_create(
                benchmark=benchmark, user=request.user, method_name=data["method_name"],
                archive=data.get("archive"), masks_archive=data.get("masks"), paper_url=data["paper_url"],
                code_url=data["code_url"], patch_wise=data["patch_wise"], masks_used=data["masks_used"],
                notes=data["notes"])
        except SubmissionError as exc:
            raise refused(exc) from exc
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        code = status.HTTP_202_ACCEPTED if submission.job_id else status.HTTP_201_CREATED
        return Response(SubmissionSerializer(submission).data, status=code)


def own_submission(request, submission_id: int) -> Submission:
    submission = get_object_or_404(Submission.objects.select_related("benchmark"), pk=submission_id)
    require(request.user, "evaluation.submission.edit", submission)
    return submission


class SubmissionDetailApi(APIView):
    permission_classes = (Allowed("account", read="evaluation.view"),)  # delete: then the rule
    serializer_class = SubmissionSerializer

    def get(self, request, submission_id: int):
        submission = get_object_or_404(Submission, pk=submission_id)
        require(request.user, "evaluation.submission.view", submission)
        return Response(SubmissionSerializer(submission).data)

    def delete(self, request, submission_id: int):
        submission = get_object_or_404(Submission.objects.select_related("benchmark"), pk=submission_id)
        require(request.user, "evaluation.submission.withdraw", submission)
        submissions.submission_delete(submission=submission)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubmissionImageApi(APIView):
    """PUT one restoration (multipart field ``image``; ``?mask=1`` for its mask) into a draft."""

    parser_classes = (MultiPartParser, FormParser)

    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {
        "image": {"type": "string", "format": "binary"}}}}, responses={201: OpenApiTypes.OBJECT})
    def put(self, request, submission_id: int, name: str):
        submission = own_submission(request, submission_id)
        upload = request.FILES.get("image")
        if upload is None:
            raise ValidationError({"detail": "Send the image as the multipart field 'image'."})
        try:
            item = submissions.submission_image_put(submission=submission, name=name, upload=upload,
                                                    filename=upload.name, mask=bool(request.query_params.get("mask")))
        except SubmissionError as exc:
            raise refused(exc) from exc
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response({"name": item.name, "has_mask": bool(item.mask)}, status=status.HTTP_201_CREATED)


class SubmissionFinaliseApi(APIView):
    @extend_schema(request=None, responses={202: SubmissionSerializer})
    def post(self, request, submission_id: int):
        submission = own_submission(request, submission_id)
        try:
            submissions.submission_finalise(submission=submission, user=request.user)
        except SubmissionError as exc:
            raise refused(exc) from exc
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(SubmissionSerializer(submission).data, status=status.HTTP_202_ACCEPTED)


class BaselinesApi(APIView):
    permission_classes = (Allowed("evaluation.baselines.run", read="evaluation.view"),)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, benchmark_id: int):
        benchmark = get_object_or_404(Benchmark, pk=benchmark_id)
        return Response({"methods": baselines.baseline_methods(), "last_run": benchmark.baseline_report})

    @extend_schema(request={"application/json": {"type": "object", "properties": {
        "methods": {"type": "array", "items": {"type": "string"}}}}}, responses={202: JobSerializer})
    def post(self, request, benchmark_id: int):
        benchmark = get_object_or_404(Benchmark, pk=benchmark_id)
        methods = request.data.get("methods") or None
        if methods is not None and not (isinstance(methods, list) and all(isinstance(m, str) for m in methods)):
            raise ValidationError({"detail": "methods must be a list of method names."})
        known = {m["name"] for m in baselines.baseline_methods()}
        unknown = sorted(set(methods or []) - known)
        if unknown:
            raise ValidationError({"detail": f"Unknown method(s) {unknown}; known: {sorted(known)}."})
        job = baselines.baselines_enqueue(benchmark=benchmark, methods=methods, user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
