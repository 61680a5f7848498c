"""REST endpoints for jobs: list, poll one, cancel, start again, and start a diagnostic job."""
from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.api import ConflictSerializer, StrictSerializer, error_responses, list_window, list_window_parameters
from webapp.permissions import Allowed

from . import services
from .selectors import job_list_visible
from .serializers import JobSerializer


class JobListApi(APIView):
    permission_classes = (Allowed("jobs.list"),)

    @extend_schema(parameters=list_window_parameters(default_limit=200),
                   responses={200: JobSerializer(many=True), **error_responses(400, 401, 403)})
    def get(self, request):
        qs = list_window(request, job_list_visible(user=request.user), default_limit=200)
        return Response(JobSerializer(qs, many=True).data)


class JobDetailApi(APIView):
    permission_classes = (Allowed("jobs.list"),)

    @extend_schema(responses={200: JobSerializer, **error_responses(401, 403, 404)})
    def get(self, request, job_id: int):
        job = get_object_or_404(job_list_visible(user=request.user), pk=job_id)
        return Response(JobSerializer(job).data)


class JobCancelApi(APIView):
    """Cancel a job: a pending one at once; a running one stops at its next step (``cancel_requested``)."""

    permission_classes = (Allowed("jobs.list"),)

    @extend_schema(request=None, responses={200: JobSerializer, **error_responses(401, 403, 404)})
    def post(self, request, job_id: int):
        job = get_object_or_404(job_list_visible(user=request.user), pk=job_id)
        services.job_cancel(job=job)
        return Response(JobSerializer(job).data)


class JobRetryApi(APIView):
    """Start a failed, cancelled or interrupted job again (409 for a job in another state)."""

    permission_classes = (Allowed("jobs.list"),)

    @extend_schema(request=None, responses={202: JobSerializer, **error_responses(401, 403, 404),
                                            409: ConflictSerializer})
    def post(self, request, job_id: int):
        job = get_object_or_404(job_list_visible(user=request.user), pk=job_id)
        try:
            services.job_retry(job=job)
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class DiagnosticJobApi(APIView):
    permission_classes = (Allowed("jobs.diagnostic"),)

    @extend_schema_serializer(component_name="DiagnosticJobInput")
    class InputSerializer(StrictSerializer):
        steps = serializers.IntegerField(min_value=1, max_value=1000, default=5)
        queue = serializers.ChoiceField(choices=["cpu", "gpu"], default="cpu")

    @extend_schema(request=InputSerializer, responses={201: JobSerializer, **error_responses(400, 401, 403)})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queue = data.validated_data["queue"]
        job = services.job_submit(kind="diagnostic.gpu" if queue == "gpu" else "diagnostic", user=request.user,
                                  params={"steps": data.validated_data["steps"]})
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED)
