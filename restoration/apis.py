"""REST API of the restoration app."""
from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from imaging.io import ImageError
from jobs.serializers import JobSerializer
from restoration.core.methods import MethodError
from webapp.api import StrictSerializer, error_responses, list_window, list_window_parameters, validated
from webapp.permissions import Allowed

from . import services
from .models import Restoration
from .selectors import restoration_list_for


def restoration_body(record: Restoration) -> dict:
    done = bool(record.output)
    links = {what: reverse("restoration:download", args=[record.pk, what]) for what in ("input", "restored", "mask")}
    return {
        "id": record.pk, "name": record.original_name, "method": record.method, "options": record.options,
        "width": record.width, "height": record.height, "channels": record.channels, "bit_depth": record.bit_depth,
        "format": record.image_format, "info": record.info, "created_at": record.created_at,
        "job": JobSerializer(record.job).data if record.job else None,
        "downloads": {k: v for k, v in links.items() if done or k == "input"},
        "page": reverse("restoration:detail", args=[record.pk]),
    }


# Documentation only (drf-spectacular): the bodies the views below build as dicts.
class MethodSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    needs_weights = serializers.BooleanField()
    needs_gpu = serializers.BooleanField()
    available = serializers.BooleanField()
    reason_unavailable = serializers.CharField(allow_null=True)
    defaults = serializers.DictField(help_text="Each option's default value.")
    limits = serializers.DictField(child=serializers.ListField(),
                                   help_text="Per option: [low, high] for a number, the allowed values for a string.")


class _RestorationDownloadsSerializer(serializers.Serializer):
    input = serializers.CharField()
    restored = serializers.CharField(required=False, help_text="Once the restoration has finished.")
    mask = serializers.CharField(required=False, help_text="Once the restoration has finished.")


class RestorationSerializer(serializers.Serializer):
    """``restoration_body``."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    method = serializers.CharField()
    options = serializers.DictField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    channels = serializers.IntegerField()
    bit_depth = serializers.IntegerField()
    format = serializers.CharField()
    info = serializers.DictField()
    created_at = serializers.DateTimeField()
    job = JobSerializer(allow_null=True)
    downloads = _RestorationDownloadsSerializer()
    page = serializers.CharField()


class MethodListApi(APIView):
    permission_classes = (Allowed("restoration.create"),)

    @extend_schema(responses={200: MethodSerializer(many=True), **error_responses(401, 403)})
    def get(self, request):
        return Response(services.methods_describe())


class RestorationListApi(APIView):
    permission_classes = (Allowed("restoration.create"),)
    parser_classes = (MultiPartParser, FormParser, JSONParser)

    @extend_schema_serializer(component_name="RestorationInput")
    class InputSerializer(StrictSerializer):
        image = serializers.FileField()
        method = serializers.CharField(required=False, allow_blank=True)
        options = serializers.CharField(required=False, default="{}", help_text="A JSON object of method options.")

    @extend_schema(parameters=list_window_parameters(default_limit=200),
                   responses={200: RestorationSerializer(many=True), **error_responses(400, 401, 403)})
    def get(self, request):
        records = list_window(request, restoration_list_for(user=request.user), default_limit=200)
        return Response([restoration_body(r) for r in records])

    @extend_schema(request={"multipart/form-data": InputSerializer},
                   responses={202: RestorationSerializer, **error_responses(400, 401, 403)})
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        try:
            try:
                options = json.loads(data["options"])
            except ValueError as exc:
                raise ValueError(f"options is not valid JSON ({exc}); give a JSON object such as "
                                 '{"threshold": 0.9}') from None
            if not isinstance(options, dict):
                raise ValueError("options must be a JSON object")
            upload = data["image"]
            image = upload.temporary_file_path() if hasattr(upload, "temporary_file_path") else upload.read()
            record = services.restoration_create(user=request.user, image=image, filename=upload.name,
                                                 method=data.get("method") or None, options=options)
        except (ImageError, MethodError, ValueError) as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(restoration_body(record), status=status.HTTP_202_ACCEPTED)


class RestorationDetailApi(APIView):
    permission_classes = (Allowed("restoration.create"),)

    @extend_schema(responses={200: RestorationSerializer, **error_responses(401, 403, 404)})
    def get(self, request, restoration_id: int):
        return Response(restoration_body(get_object_or_404(restoration_list_for(user=request.user),
                                                           pk=restoration_id)))


class RestorationComponentsApi(APIView):
    """The repaired mask's components (polygons, class, score, area, bbox, review status) as JSON."""

    permission_classes = (Allowed("restoration.create"),)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, restoration_id: int):
        record = get_object_or_404(restoration_list_for(user=request.user), pk=restoration_id)
        if not record.components:
            raise ValidationError({"detail": "This restoration has no component list yet: it has not finished."})
        with record.components.open("rb") as fh:
            return Response(json.loads(fh.read()))


class RestorationRepairApi(APIView):
    """Repair exactly the reviewed mask: the kept, proposed and added components, not the rejected ones."""

    permission_classes = (Allowed("restoration.create"),)

    class RepairInputSerializer(StrictSerializer):
        components = serializers.ListField(
            child=serializers.DictField(), allow_empty=True, required=False,
            help_text="The component list (GET components/) with each status kept, rejected or added; "
                      "an added component needs points [[x, y], ...] in full-resolution pixels. Left out: "
                      "the polygons of the restoration's review scan (POST review/), as reviewed there.")

    @extend_schema(request=RepairInputSerializer, responses={202: JobSerializer})
    def post(self, request, restoration_id: int):
        record = get_object_or_404(restoration_list_for(user=request.user), pk=restoration_id)
        data = validated(self.RepairInputSerializer, request.data)
        try:
            job = services.restoration_repair_start(record=record, components=data.get("components"),
                                                    user=request.user)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class RestorationReviewApi(APIView):
    """Put the restoration's components on a scan of its creator's review set, as proposed polygons."""

    permission_classes = (Allowed("restoration.create"),)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, restoration_id: int):
        record = get_object_or_404(restoration_list_for(user=request.user), pk=restoration_id)
        try:
            scan = services.restoration_review_create(record=record)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response({"scan": scan.pk, "dataset": scan.dataset_id, "polygons": scan.polygons.count()},
                        status=status.HTTP_201_CREATED)


# ----------------------------------------------------------------------------- rolls


def roll_body(roll, *, scans: bool = True) -> dict:
    from collections import Counter

    from .selectors import SCAN_STATUSES, roll_scans

    listed = roll_scans(roll=roll)
    counts = Counter(status for _, status in listed)
    body = {"id": roll.pk, "name": roll.name, "method": roll.method, "polarity": roll.polarity,
            "film_format": roll.film_format, "frame_long_mm": roll.frame_long_mm, "options": roll.options,
            "created_at": roll.created_at, "count": len(listed),
            "statuses": {s: counts.get(s, 0) for s in SCAN_STATUSES},
            "page": reverse("restoration:roll", args=[roll.pk]),
            "download": reverse("restoration-api-roll-download", args=[roll.pk])}
    if scans:
        body["scans"] = [{**restoration_body(r), "status": status, "review_scan": r.review_scan_id}
                         for r, status in listed]
    return body


class RollListApi(APIView):
    """Rolls: many scans at once (files and/or a zip), one restoration job per scan with the roll's defaults."""

    permission_classes = (Allowed("restoration.create"),)
    parser_classes = (MultiPartParser, FormParser)

    class RollInputSerializer(StrictSerializer):
        images = serializers.ListField(child=serializers.FileField(), required=False, allow_empty=True,
                                       help_text="Scans (TIFF 8/16-bit, PNG or JPEG); repeat the field for each.")
        archive = serializers.FileField(required=False, help_text="A zip of scans (images only).")
        name = serializers.CharField(required=False, allow_blank=True, max_length=200)
        method = serializers.CharField(required=False, allow_blank=True)
        polarity = serializers.ChoiceField(choices=("auto", "negative", "positive"), required=False, default="auto")
        film_format = serializers.CharField(required=False, default="35mm",
                                            help_text="A film format (its frame's long edge gives each scan's scale).")
        frame_long_mm = serializers.FloatField(required=False, min_value=1.0, max_value=1000.0,
                                               help_text="The frame's long edge in mm (instead of the format's).")
        options = serializers.CharField(required=False, default="{}", help_text="A JSON object of method options.")

    @extend_schema(operation_id="restoration_rolls_list", responses=OpenApiTypes.OBJECT)
    def get(self, request):
        from .selectors import roll_list_for

        records = list_window(request, roll_list_for(user=request.user), default_limit=100)
        return Response([roll_body(r, scans=False) for r in records])

    @extend_schema(operation_id="restoration_rolls_create", request={"multipart/form-data": RollInputSerializer},
                   responses={202: OpenApiTypes.OBJECT})
    def post(self, request):
        data = validated(self.RollInputSerializer, request.data)
        try:
            try:
                options = json.loads(data["options"])
            except ValueError as exc:
                raise ValueError(f"options is not valid JSON ({exc}); give a JSON object") from None
            if not isinstance(options, dict):
                raise ValueError("options must be a JSON object")
            with _upload_path(data.get("archive")) as archive:
                roll = services.roll_create(
                    created_by=request.user, scans=[(f.name, _upload_source(f)) for f in data.get("images") or []],
                    archive=archive, name=data.get("name", ""), method=data.get("method") or None,
                    polarity=data["polarity"], film_format=data["film_format"],
                    frame_long_mm=data.get("frame_long_mm"), options=options)
        except (ImageError, MethodError, ValueError) as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(roll_body(roll), status=status.HTTP_202_ACCEPTED)


def _upload_source(upload):
    return upload.temporary_file_path() if hasattr(upload, "temporary_file_path") else upload.read()


@contextlib.contextmanager
def _upload_path(upload):
    """An uploaded archive as a path: the upload's temporary file, or one written here and removed after."""
    if upload is None or hasattr(upload, "temporary_file_path"):
        yield upload.temporary_file_path() if upload is not None else None
        return
    with tempfile.TemporaryDirectory(prefix="roll-upload-") as tmp:
        path = Path(tmp) / "scans.zip"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        yield path


class RollDetailApi(APIView):
    permission_classes = (Allowed("restoration.create"),)

    @extend_schema(operation_id="restoration_roll_retrieve", responses=OpenApiTypes.OBJECT)
    def get(self, request, roll_id: int):
        from .selectors import roll_list_for

        return Response(roll_body(get_object_or_404(roll_list_for(user=request.user), pk=roll_id)))


class RollDownloadApi(APIView):
    """A streamed zip of every finished scan of the roll (restored file and mask) and roll.json."""

    permission_classes = (Allowed("restoration.create"),)

    @extend_schema(operation_id="restoration_roll_download", responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request, roll_id: int):
        from django.http import StreamingHttpResponse

        from imaging.archives import stream_zip

        from .selectors import roll_list_for

        roll = get_object_or_404(roll_list_for(user=request.user), pk=roll_id)
        try:
            files = services.roll_files(roll=roll)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        response = StreamingHttpResponse(stream_zip(files), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="roll-{roll.pk}.zip"'
        return response


# ----------------------------------------------------------------------------- fine-tuning and promotion


class DetectorFinetuneApi(APIView):
    """Fine-tune the default detector from every reviewed scan (a ``train.finetune`` job on the gpu queue)."""

    permission_classes = (Allowed("restoration.train"),)

    class FinetuneInputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=200)
        steps = serializers.IntegerField(min_value=1, max_value=1_000_000, default=300)
        lr = serializers.FloatField(min_value=1e-7, max_value=1.0, default=2e-4)
        seed = serializers.IntegerField(min_value=0, default=0)
        holdout = serializers.FloatField(min_value=0.0, max_value=0.9, default=0.2)
        promote = serializers.BooleanField(default=False)

    @extend_schema(request=FinetuneInputSerializer, responses={202: JobSerializer})
    def post(self, request):
        data = validated(self.FinetuneInputSerializer, request.data)
        try:
            job = services.detector_finetune_start(**data, corpus_dir=services.default_corpus_dir(), user=request.user)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class NetworkPromoteApi(APIView):
    """Make a trained detector the default (the detecting methods use it instead of the shipped file)."""

    permission_classes = (Allowed("restoration.promote"),)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, network_id: int):
        from .models import Network

        record = get_object_or_404(Network, pk=network_id)
        try:
            services.network_promote(record=record)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response({"id": record.pk, "name": record.name, "is_default": True,
                         "weights": record.weights_path})
