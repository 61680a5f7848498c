from django.urls import path

from . import apis

urlpatterns = [
    path("benchmarks/", apis.BenchmarkListApi.as_view(), name="evaluation-api-benchmarks"),
    path("benchmarks/<int:benchmark_id>/", apis.BenchmarkDetailApi.as_view(), name="evaluation-api-benchmark"),
    path("benchmarks/<int:benchmark_id>/leaderboard/", apis.LeaderboardApi.as_view(),
         name="evaluation-api-leaderboard"),
    path("benchmarks/<int:benchmark_id>/scores/", apis.ScoresExportApi.as_view(), name="evaluation-api-scores"),
    path("benchmarks/<int:benchmark_id>/baselines/", apis.BaselinesApi.as_view(), name="evaluation-api-baselines"),
    path("benchmarks/<int:benchmark_id>/submissions/", apis.SubmissionListApi.as_view(),
         name="evaluation-api-submissions"),
    path("benchmarks/<int:benchmark_id>/images/<str:name>/input/", apis.InputDownloadApi.as_view(),
         name="evaluation-api-input"),
    path("benchmarks/<int:benchmark_id>/images/<str:name>/ground-truth/", apis.GroundTruthDownloadApi.as_view(),
         name="evaluation-api-ground-truth"),
    path("submissions/<int:submission_id>/", apis.SubmissionDetailApi.as_view(), name="evaluation-api-submission"),
    path("submissions/<int:submission_id>/images/<str:name>/", apis.SubmissionImageApi.as_view(),
         name="evaluation-api-submission-image"),
    path("submissions/<int:submission_id>/finalise/", apis.SubmissionFinaliseApi.as_view(),
         name="evaluation-api-submission-finalise"),
]
