"""REST API of the synthesis app."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.models import AnnotationSet
from jobs.serializers import JobSerializer
from webapp.api import StrictSerializer, error_responses, list_window, list_window_parameters, validated
from webapp.paths import server_folder
from webapp.permissions import Allowed

from . import services
from .models import DamageModel, SyntheticDataset


class DamageModelSerializer(serializers.ModelSerializer):
    dataset = serializers.CharField(source="dataset.name", default=None)

    class Meta:
        model = DamageModel
        fields = ("id", "name", "version", "dataset", "scan_names", "notes", "created_at", "params")
        read_only_fields = fields


# Documentation only (drf-spectacular): the bodies the views below build as dicts.
class DamageModelSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    dataset = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class PreviewStartedSerializer(serializers.Serializer):
    preview_id = serializers.IntegerField()
    job = JobSerializer()


class SyntheticDatasetSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    model = serializers.IntegerField(help_text="The damage model's id.")
    count = serializers.IntegerField(allow_null=True)
    summary = serializers.DictField()
    job = serializers.IntegerField(allow_null=True, help_text="The building job's id.")


class SyntheticDatasetStartedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    job = JobSerializer()


class DamageModelListApi(APIView):
    permission_classes = (Allowed("synthesis.view"),)

    @extend_schema(parameters=list_window_parameters(),
                   responses={200: DamageModelSummarySerializer(many=True), **error_responses(400, 401, 403)})
    def get(self, request):
        qs = DamageModel.objects.select_related("dataset").defer("params")
        return Response([{"id": m.id, "name": m.name, "version": m.version,
                          "dataset": m.dataset.name if m.dataset else None, "created_at": m.created_at}
                         for m in list_window(request, qs)])


class DamageModelDetailApi(APIView):
    permission_classes = (Allowed("synthesis.view"),)

    @extend_schema(responses={200: DamageModelSerializer, **error_responses(401, 403, 404)})
    def get(self, request, model_id: int):
        return Response(DamageModelSerializer(get_object_or_404(DamageModel, pk=model_id)).data)


class DamageModelFitApi(APIView):
    permission_classes = (Allowed("synthesis.model.fit"),)

    @extend_schema_serializer(component_name="DamageModelFitInput")
    class InputSerializer(StrictSerializer):
        dataset = serializers.CharField()
        name = serializers.CharField(max_length=200)
        scans = serializers.ListField(child=serializers.CharField(), required=False, default=list)

    @extend_schema(request=InputSerializer, responses={202: JobSerializer, **error_responses(400, 401, 403)})
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        dataset = AnnotationSet.objects.filter(name=data["dataset"]).first()
        if dataset is None:
            raise ValidationError({"detail": f"No dataset named {data['dataset']!r}."})
        job = services.damage_model_fit_enqueue(dataset=dataset, name=data["name"], scan_names=data["scans"],
                                                user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class PreviewCreateApi(APIView):
    permission_classes = (Allowed("synthesis.preview.create"),)

    @extend_schema_serializer(component_name="PreviewInput")
    class InputSerializer(StrictSerializer):
        width = serializers.IntegerField(min_value=16, max_value=20000, default=1024)
        height = serializers.IntegerField(min_value=16, max_value=20000, default=704)
        seed = serializers.IntegerField(default=0)
        damage_level = serializers.FloatField(min_value=0.01, max_value=20, default=1.0)
        image = serializers.FileField(required=False)

    @extend_schema(request={"application/json": InputSerializer, "multipart/form-data": InputSerializer},
                   responses={202: PreviewStartedSerializer, **error_responses(400, 401, 403, 404)})
    def post(self, request, model_id: int):
        record = get_object_or_404(DamageModel, pk=model_id)
        data = validated(self.InputSerializer, request.data)
        try:
            preview = services.preview_create(record=record, width=data["width"], height=data["height"],
                                              seed=data["seed"], damage_level=data["damage_level"],
                                              source_image=data.get("image"), user=request.user)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response({"preview_id": preview.pk, "job": JobSerializer(preview.job).data},
                        status=status.HTTP_202_ACCEPTED)


class SyntheticDatasetCreateApi(APIView):
    permission_classes = (Allowed("synthesis.dataset.create", read="synthesis.view"),)
    parser_classes = (MultiPartParser, FormParser, JSONParser)

    @extend_schema_serializer(component_name="SyntheticDatasetInput")
    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=200)
        model = serializers.IntegerField()
        clean_dir = serializers.CharField(required=False, help_text="A folder of clean images on the server.")
        clean_zip = serializers.FileField(required=False, help_text="Or a zip of clean images.")
        count = serializers.IntegerField(min_value=1, required=False)
        seed = serializers.IntegerField(default=0)
        crop = serializers.ListField(child=serializers.IntegerField(min_value=16), min_length=2, max_length=2,
                                     required=False)
        grain = serializers.BooleanField(default=True)
        px_per_mm = serializers.FloatField(min_value=0.01, required=False,
                                           help_text="With crop: crops are parts of a scan of this resolution.")
        damage_level = serializers.FloatField(min_value=0.01, max_value=20, default=1.0)
        allow_empty = serializers.BooleanField(default=False,
                                               help_text="Build even when most items would hold no damage.")

    @extend_schema(parameters=list_window_parameters(),
                   responses={200: SyntheticDatasetSummarySerializer(many=True), **error_responses(400, 401, 403)})
    def get(self, request):
        return Response([{"id": d.id, "name": d.name, "model": d.damage_model_id, "count": d.count,
                          "summary": d.summary, "job": d.job_id}
                         for d in list_window(request, SyntheticDataset.objects.order_by("pk"))])

    @extend_schema(request={"multipart/form-data": InputSerializer, "application/json": InputSerializer},
                   responses={202: SyntheticDatasetStartedSerializer, **error_responses(400, 401, 403, 404)})
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        record = get_object_or_404(DamageModel, pk=data["model"])
        options = {"grain": data["grain"], "damage_level": data["damage_level"],
                   **({"crop": data["crop"]} if data.get("crop") else {}),
                   **({"px_per_mm": data["px_per_mm"]} if data.get("px_per_mm") else {})}
        try:
            upload = data.get("clean_zip")
            clean_dir = "" if upload is not None else server_folder(data.get("clean_dir", ""), what="clean_dir")
            if upload is None and not clean_dir:
                raise ValueError("Give clean_dir (a folder on the server) or clean_zip (a zip of clean images).")
            dataset = services.synthetic_dataset_submit(
                name=data["name"], record=record, clean_dir=clean_dir, clean_zip=upload, count=data.get("count"),
                seed=data["seed"], options=options, allow_empty=data["allow_empty"], user=request.user)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response({"id": dataset.pk, "job": JobSerializer(dataset.job).data}, status=status.HTTP_202_ACCEPTED)
