"""REST API of the restoration app."""
from __future__ import annotations

import json

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from imaging.io import ImageError
from jobs.serializers import JobSerializer
from restoration.core.methods import MethodError
from webapp.api import StrictSerializer, list_window, validated
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


class MethodListApi(APIView):
    permission_classes = (Allowed("restoration.create"),)

    def get(self, request):
        return Response(services.methods_describe())


class RestorationListApi(APIView):
    permission_classes = (Allowed("restoration.create"),)
    parser_classes = (MultiPartParser, FormParser, JSONParser)

    class InputSerializer(StrictSerializer):
        image = serializers.FileField()
        method = serializers.CharField(required=False, allow_blank=True)
        options = serializers.CharField(required=False, default="{}", help_text="A JSON object of method options.")

    def get(self, request):
        records = list_window(request, restoration_list_for(user=request.user), default_limit=200)
        return Response([restoration_body(r) for r in records])

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
