from django.urls import path

from . import apis

urlpatterns = [
    path("", apis.SurveyListApi.as_view(), name="surveys-api-list"),
    path("answers/", apis.AnswerApi.as_view(), name="surveys-api-answer"),
    path("<int:survey_id>/responses.csv", apis.SurveyResponsesCsvApi.as_view(), name="surveys-api-responses-csv"),
    path("<int:survey_id>/results/", apis.SurveyResultsApi.as_view(), name="surveys-api-results"),
]
