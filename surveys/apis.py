"""REST API of the surveys app: one class per operation, validate -> service -> response."""
from __future__ import annotations

import csv

from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from webapp.api import StrictSerializer, flat_errors, list_window
from webapp.permissions import Allowed

from . import selectors, services
from .models import Participant, Survey


def rejected(message: str, *, code: str, status_code: int) -> Response:
    return Response({"detail": message, "code": code}, status=status_code)


class AnswerApi(APIView):
    """A participant's answer to their current trial. The participant token is the credential (no account)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    class InputSerializer(StrictSerializer):
        participant = serializers.UUIDField()
        position = serializers.IntegerField(min_value=0)
        pair = serializers.IntegerField(min_value=1)
        choice = serializers.ChoiceField(choices=["left", "right"])
        response_ms = serializers.IntegerField(min_value=0, max_value=services.MAX_RESPONSE_MS)
        blur_count = serializers.IntegerField(min_value=0, max_value=100_000, default=0)

    class OutputSerializer(serializers.Serializer):
        answered = serializers.IntegerField()
        total = serializers.IntegerField()
        done = serializers.BooleanField()
        next_url = serializers.CharField()

    class ErrorSerializer(serializers.Serializer):
        detail = serializers.CharField()
        code = serializers.CharField(help_text="invalid, unknown_participant, closed, familiarity_missing, "
                                               "wrong_pair, already_answered, not_current")

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, 400: ErrorSerializer,
                                                       403: ErrorSerializer, 404: ErrorSerializer,
                                                       409: ErrorSerializer})
    def post(self, request):
        try:
            body = request.data
        except ParseError as exc:
            return rejected(f"The answer is not valid JSON: {exc.detail}", code="invalid", status_code=400)
        serializer = self.InputSerializer(data=body)
        if not serializer.is_valid():
            return rejected(flat_errors(serializer.errors), code="invalid", status_code=400)
        data = serializer.validated_data
        participant = Participant.objects.select_related("survey").filter(token=data["participant"]).first()
        if participant is None:
            return rejected("Unknown participant; open the survey from its link again.", code="unknown_participant",
                            status_code=404)
        try:
            services.response_record(participant=participant, position=data["position"], pair_id=data["pair"],
                                     choice=data["choice"], response_ms=data["response_ms"],
                                     blur_count=data["blur_count"])
        except services.AnswerRejected as exc:
            return rejected(str(exc), code=exc.code, status_code=exc.status)
        trial = selectors.participant_trial(participant=participant)
        total = len(participant.plan)
        return Response({
            "answered": total if trial is None else trial["answered"], "total": total, "done": trial is None,
            "next_url": reverse("surveys:participant", args=[participant.token]),
        }, status=status.HTTP_201_CREATED)


def researcher_survey(request, survey_id: int) -> Survey:
    return get_object_or_404(Survey, pk=survey_id)  # the view's permission class: researchers only


class SurveyListApi(APIView):
    """The surveys researchers design and read (every survey, as on ``/surveys/``), newest first, with their
    counts of pairs, participants and finished participants; ``?offset=`` and ``?limit=`` (at most 1,000)."""

    permission_classes = (Allowed("surveys.manage"),)

    class SurveySerializer(serializers.Serializer):  # "Survey" in the schema
        id = serializers.IntegerField()
        slug = serializers.SlugField()
        title = serializers.CharField()
        kind = serializers.IntegerField(help_text="1: real or synthetic damage; 2: which damage is more realistic")
        kind_label = serializers.CharField(source="get_kind_display")
        state = serializers.ChoiceField(choices=Survey.State.choices)
        pair_count = serializers.IntegerField(help_text="Image pairs built, catch trials included.")
        participant_count = serializers.IntegerField(help_text="Participants who gave their consent.")
        finished_count = serializers.IntegerField(help_text="Participants who answered every trial.")
        created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)
        created_at = serializers.DateTimeField()
        published_at = serializers.DateTimeField(allow_null=True)
        closed_at = serializers.DateTimeField(allow_null=True)
        public_url = serializers.SerializerMethodField(help_text="The link participants take it by (published or "
                                                                 "closed surveys), else null.")
        page_url = serializers.SerializerMethodField()
        results_url = serializers.SerializerMethodField()
        responses_csv_url = serializers.SerializerMethodField()

        def _absolute(self, name: str, *args) -> str:
            return self.context["request"].build_absolute_uri(reverse(name, args=args))

        def get_public_url(self, survey) -> str | None:
            if survey.state not in (Survey.State.PUBLISHED, Survey.State.CLOSED):
                return None
            return self._absolute("surveys:take", survey.token)

        def get_page_url(self, survey) -> str:
            return self._absolute("surveys:detail", survey.pk)

        def get_results_url(self, survey) -> str:
            return self._absolute("surveys-api-results", survey.pk)

        def get_responses_csv_url(self, survey) -> str:
            return self._absolute("surveys-api-responses-csv", survey.pk)

    class RefusalSerializer(serializers.Serializer):
        detail = serializers.CharField()
        code = serializers.CharField(help_text="invalid (a bad offset or limit), not_authenticated, "
                                               "permission_denied")

    @extend_schema(
        parameters=[OpenApiParameter("offset", int, description="Surveys to skip (default 0)."),
                    OpenApiParameter("limit", int, description="At most this many (1 to 1,000; default all).")],
        responses={200: SurveySerializer(many=True), 400: RefusalSerializer, 401: RefusalSerializer,
                   403: RefusalSerializer})
    def get(self, request):
        surveys = selectors.survey_list().select_related("created_by").order_by("-created_at", "-id")
        surveys = list_window(request, surveys, max_limit=1000)
        return Response(self.SurveySerializer(surveys, many=True, context={"request": request}).data)


class _Echo:
    def write(self, value):
        return value


class SurveyResponsesCsvApi(APIView):
    """Every answered trial of a survey as CSV."""

    permission_classes = (Allowed("surveys.manage"),)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, survey_id: int):
        survey = researcher_survey(request, survey_id)
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse((writer.writerow(row) for row in selectors.survey_csv_rows(survey=survey)),
                                         content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{survey.slug}-trials.csv"'
        return response


class SurveyResultsApi(APIView):
    """The results of a survey as JSON: Table 2, tests per group and between groups, side bias, flags."""

    permission_classes = (Allowed("surveys.manage"),)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, survey_id: int):
        survey = researcher_survey(request, survey_id)
        results = selectors.survey_results(survey=survey)
        keep = ("table", "groups", "between", "side_bias", "flagged", "excluded", "participants", "started",
                "finished")
        body = {"survey": survey.slug, "kind": survey.kind, **{k: results[k] for k in keep}}
        return Response(body)
