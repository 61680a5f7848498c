"""REST API of the annotation app: one class per operation, validate -> service -> response."""
from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.core.formats import export_coco, export_public_json, parse_frame_mm
from annotation.core.geometry import PolygonError
from annotation.core.stats import damage_stats
from imaging.io import ImageError
from webapp.api import flat_errors, list_window, validated  # noqa: F401 (re-exported)
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


class AnnotationSetListApi(APIView):
    permission_classes = (Allowed("annotation.set.create", read="annotation.view"),)

    def get(self, request):
        return Response(AnnotationSetSerializer(list_window(request, selectors.annotation_set_list(user=request.user)),
                                                many=True).data)

    def post(self, request):
        data = validated(AnnotationSetSerializer, request.data)
        if AnnotationSet.objects.filter(name=data["name"]).exists():
            raise ValidationError({"detail": f"An annotation set named {data['name']!r} exists already."})
        dataset = services.annotation_set_get_or_create(name=data["name"], description=data.get("description", ""),
                                                 user=request.user)
        return Response(AnnotationSetSerializer(dataset).data, status=status.HTTP_201_CREATED)


class AnnotationSetStatsApi(APIView):
    def get(self, request, set_id: int):
        dataset, _, scans = selectors.annotation_set_open_for(user=request.user, dataset_id=set_id)
        return Response(damage_stats(scans, name=dataset.name))


class AnnotationSetExportApi(APIView):
    """The dataset's annotations as COCO (``?as=coco``) or as public-format JSON per scan (``?as=json``).

    (``format`` is taken by DRF's content negotiation, hence ``as``.)
    """

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

    def get(self, request):
        qs = selectors.scan_list_for(user=request.user)
        if "dataset" in request.query_params:
            qs = qs.filter(dataset__name=request.query_params["dataset"])
        return Response(ScanSerializer(list_window(request, qs), many=True).data)

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
    def get(self, request, scan_id: int):
        scan = editable_scan(request, scan_id)
        body = ScanSerializer(scan).data
        body["progress"] = selectors.scan_progress(scan=scan, user=request.user)
        body["assignment"] = body["progress"]["assignment"]
        return Response(body)


class ScanPolygonsApi(APIView):
    @extend_schema(responses=PolygonSerializer(many=True))
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

    @extend_schema(request=PolygonPatchSerializer, responses={200: PolygonSerializer, 409: None})
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
    def post(self, request, scan_id: int):
        scan = editable_scan(request, scan_id)
        done = request.data.get("done", True)
        if not isinstance(done, bool):
            raise ValidationError({"detail": "done must be true or false."})
        assignment = services.assignment_set_done(scan=scan, annotator=request.user, done=done)
        return Response({"done": assignment.done})


class BankListApi(APIView):
    permission_classes = (Allowed("annotation.bank.view"),)

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
