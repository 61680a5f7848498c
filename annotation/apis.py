"""REST API of the annotation app: one class per operation, validate -> service -> response."""
from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.core.formats import export_coco, export_public_json, parse_frame_mm
from annotation.core.geometry import PolygonError
from annotation.core.stats import damage_stats
from imaging.io import ImageError
from webapp.api import (  # noqa: F401 (flat_errors re-exported)
    ConflictSerializer,
    error_responses,
    flat_errors,
    list_window,
    list_window_parameters,
    validated,
)
from webapp.permissions import Allowed, require

from . import selectors, services
from .models import AnnotationSet, BankEntry, Polygon, Scan
from .serializers import (
    AnnotationSetSerializer,
    BankEntrySerializer,
    PolygonInputSerializer,
    PolygonPatchSerializer,
    PolygonSerializer,
    ScanCreateSerializer,
    ScanSerializer,
)


def editable_scan(request, scan_id: int) -> Scan:
    scan = get_object_or_404(selectors.scan_list_for(user=request.user), pk=scan_id)
    if request.method not in ("GET", "HEAD"):
        require(request.user, "annotation.scan.edit", scan)
    return scan


# Documentation only (drf-spectacular): the bodies the views below build as dicts.
class _AreaSerializer(serializers.Serializer):
    mean = serializers.FloatField(allow_null=True)
    std = serializers.FloatField(allow_null=True, help_text="Population standard deviation (ddof=0).")


class _ClassStatsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    area_um2 = _AreaSerializer()


class AnnotationSetStatsSerializer(serializers.Serializer):
    dataset = serializers.CharField()
    scans = serializers.IntegerField()
    classes = serializers.DictField(child=_ClassStatsSerializer(), help_text="Every damage class, in order.")


class _AnnotatorProgressSerializer(serializers.Serializer):
    username = serializers.CharField()
    done = serializers.BooleanField()


class _AssignmentSerializer(serializers.Serializer):
    done = serializers.BooleanField()


class _ScanProgressSerializer(serializers.Serializer):
    polygons = serializers.IntegerField()
    by_class = serializers.DictField(child=serializers.IntegerField())
    assignment = _AssignmentSerializer(allow_null=True, help_text="The caller's assignment, or null.")
    annotators = _AnnotatorProgressSerializer(many=True)


class ScanDetailSerializer(ScanSerializer):
    progress = _ScanProgressSerializer()
    assignment = _AssignmentSerializer(allow_null=True, help_text="progress.assignment again.")

    class Meta(ScanSerializer.Meta):
        fields = (*ScanSerializer.Meta.fields, "progress", "assignment")
        read_only_fields = fields


ScanDoneSerializer = inline_serializer("ScanDone", {"done": serializers.BooleanField(default=True)})


class AnnotationSetListApi(APIView):
    permission_classes = (Allowed("annotation.set.create", read="annotation.view"),)

    @extend_schema(parameters=list_window_parameters(),
                   responses={200: AnnotationSetSerializer(many=True), **error_responses(400, 401, 403)})
    def get(self, request):
        return Response(AnnotationSetSerializer(list_window(request, selectors.annotation_set_list(user=request.user)),
                                                many=True).data)

    @extend_schema(request=AnnotationSetSerializer,
                   responses={201: AnnotationSetSerializer, **error_responses(400, 401, 403)})
    def post(self, request):
        data = validated(AnnotationSetSerializer, request.data)
        if AnnotationSet.objects.filter(name=data["name"]).exists():
            raise ValidationError({"detail": f"An annotation set named {data['name']!r} exists already."})
        dataset = services.annotation_set_get_or_create(name=data["name"], description=data.get("description", ""),
                                                 user=request.user)
        return Response(AnnotationSetSerializer(dataset).data, status=status.HTTP_201_CREATED)


class AnnotationSetStatsApi(APIView):
    @extend_schema(responses={200: AnnotationSetStatsSerializer, **error_responses(401, 403, 404)})
    def get(self, request, set_id: int):
        dataset, _, scans = selectors.annotation_set_open_for(user=request.user, dataset_id=set_id)
        return Response(damage_stats(scans, name=dataset.name))


class AnnotationSetExportApi(APIView):
    """The dataset's annotations as COCO (``?as=coco``) or as public-format JSON per scan (``?as=json``).

    (``format`` is taken by DRF's content negotiation, hence ``as``.)
    """

    @extend_schema(
        parameters=[OpenApiParameter("as", str, enum=["json", "coco"],
                                     description="json (default): public format per scan; coco: one COCO dataset.")],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, **error_responses(400, 401, 403, 404)})
    def get(self, request, set_id: int):
        import json

        dataset, _, scans = selectors.annotation_set_open_for(user=request.user, dataset_id=set_id)
        fmt = request.query_params.get("as", "json")
        if fmt == "coco":
            body = export_coco(scans, dataset=dataset.name)
        elif fmt == "json":
            body = {"dataset": dataset.name, "scans": [
                {"name": s.name, "width": s.frame.width_px, "height": s.frame.height_px,
                 "frame_mm": [max(s.frame.frame_w_mm, s.frame.frame_h_mm), min(s.frame.frame_w_mm, s.frame.frame_h_mm)],
                 "annotations": export_public_json(s)} for s in scans]}
        else:
            raise ValidationError({"detail": f"Unknown export format {fmt!r}; use json or coco."})
        response = HttpResponse(json.dumps(body), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{dataset.name}-{fmt}.json"'
        return response


class ScanListApi(APIView):
    parser_classes = (MultiPartParser, FormParser, JSONParser)

    @extend_schema(parameters=[OpenApiParameter("dataset", str, description="Only the scans of this annotation set."),
                               *list_window_parameters()],
                   responses={200: ScanSerializer(many=True), **error_responses(400, 401, 403)})
    def get(self, request):
        qs = selectors.scan_list_for(user=request.user)
        if "dataset" in request.query_params:
            qs = qs.filter(dataset__name=request.query_params["dataset"])
        return Response(ScanSerializer(list_window(request, qs), many=True).data)

    @extend_schema(request={"multipart/form-data": ScanCreateSerializer, "application/json": ScanCreateSerializer},
                   responses={201: ScanSerializer, **error_responses(400, 401, 403)})
    def post(self, request):
        require(request.user, "annotation.scan.upload")
        data = validated(ScanCreateSerializer, request.data)
        upload = data.get("image")
        image = None
        if upload is not None:
            image = upload.temporary_file_path() if hasattr(upload, "temporary_file_path") else upload.read()
        try:
            scan = services.scan_upload(
                dataset_name=data["dataset"], name=data["name"], image=image,
                filename=upload.name if upload else None,
                width=data.get("width"), height=data.get("height"), film_format=data["film_format"],
                frame_mm=parse_frame_mm(data["frame_mm"]) if data.get("frame_mm") else None,
                polarity=data["polarity"], emulsion=data["emulsion"], notes=data["notes"], user=request.user,
            )
        except (ImageError, ValueError) as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(ScanSerializer(scan).data, status=status.HTTP_201_CREATED)


class ScanDetailApi(APIView):
    @extend_schema(responses={200: ScanDetailSerializer, **error_responses(401, 403, 404)})
    def get(self, request, scan_id: int):
        scan = editable_scan(request, scan_id)
        body = ScanSerializer(scan).data
        body["progress"] = selectors.scan_progress(scan=scan, user=request.user)
        body["assignment"] = body["progress"]["assignment"]
        return Response(body)


class ScanPolygonsApi(APIView):
    @extend_schema(parameters=list_window_parameters(), responses=PolygonSerializer(many=True))
    def get(self, request, scan_id: int):
        scan = editable_scan(request, scan_id)
        polygons = list_window(request, scan.polygons.select_related("created_by"))
        return Response(PolygonSerializer(polygons, many=True).data)

    @extend_schema(request=PolygonInputSerializer, responses={200: PolygonSerializer, 201: PolygonSerializer})
    def post(self, request, scan_id: int):
        scan = editable_scan(request, scan_id)
        data = validated(PolygonInputSerializer, request.data)
        try:
            polygon = services.polygon_create(scan=scan, cls=data["cls"], points=data["points"],
                                              user=request.user, client_key=data.get("client_key"))
        except PolygonError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(PolygonSerializer(polygon).data,
                        status=status.HTTP_201_CREATED if polygon.created else status.HTTP_200_OK)


class PolygonDetailApi(APIView):
    def _polygon(self, request, polygon_id: int) -> Polygon:
        polygon = get_object_or_404(Polygon.objects.select_related("scan"), pk=polygon_id)
        editable_scan(request, polygon.scan_id)
        return polygon

    @extend_schema(responses=PolygonSerializer)
    def get(self, request, polygon_id: int):
        return Response(PolygonSerializer(self._polygon(request, polygon_id)).data)

    @extend_schema(request=PolygonPatchSerializer, responses={200: PolygonSerializer, 409: ConflictSerializer})
    def patch(self, request, polygon_id: int):
        polygon = self._polygon(request, polygon_id)
        data = validated(PolygonPatchSerializer, request.data)
        try:
            polygon = services.polygon_update(polygon=polygon, version=data.get("version"), cls=data.get("cls"),
                                              points=data.get("points"), status=data.get("status"),
                                              user=request.user)
        except PolygonError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        except services.ConflictError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(PolygonSerializer(polygon).data)

    @extend_schema(responses={204: None})
    def delete(self, request, polygon_id: int):
        services.polygon_delete(polygon=self._polygon(request, polygon_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScanDoneApi(APIView):
    @extend_schema(request=ScanDoneSerializer,
                   responses={200: ScanDoneSerializer, **error_responses(400, 401, 403, 404)})
    def post(self, request, scan_id: int):
        scan = editable_scan(request, scan_id)
        done = request.data.get("done", True)
        if not isinstance(done, bool):
            raise ValidationError({"detail": "done must be true or false."})
        assignment = services.assignment_set_done(scan=scan, annotator=request.user, done=done)
        return Response({"done": assignment.done})


class BankListApi(APIView):
    permission_classes = (Allowed("annotation.bank.view"),)

    @extend_schema(parameters=[OpenApiParameter("cls", str, description="Only this damage class."),
                               OpenApiParameter("min_area", float, description="Area in pixels at least this."),
                               OpenApiParameter("max_area", float, description="Area in pixels at most this."),
                               *list_window_parameters(default_limit=500)],
                   responses={200: BankEntrySerializer(many=True), **error_responses(400, 401, 403)})
    def get(self, request):
        qs = BankEntry.objects.all()
        params = request.query_params
        if "cls" in params:
            qs = qs.filter(cls=params["cls"])
        try:
            if "min_area" in params:
                qs = qs.filter(area_px__gte=float(params["min_area"]))
            if "max_area" in params:
                qs = qs.filter(area_px__lte=float(params["max_area"]))
        except ValueError as exc:
            raise ValidationError({"detail": "min_area and max_area must be numbers."}) from exc
        return Response(BankEntrySerializer(list_window(request, qs, default_limit=500), many=True).data)
