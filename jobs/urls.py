from django.urls import path

from . import apis, views

app_name = "jobs"

urlpatterns = [
    path("jobs/", views.job_list, name="list"),
    path("jobs/<int:job_id>/", views.job_detail, name="detail"),
    path("jobs/<int:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("jobs/<int:job_id>/retry/", views.job_retry, name="retry"),
    path("api/jobs/", apis.JobListApi.as_view(), name="api-list"),
    path("api/jobs/diagnostic/", apis.DiagnosticJobApi.as_view(), name="api-diagnostic"),
    path("api/jobs/<int:job_id>/", apis.JobDetailApi.as_view(), name="api-detail"),
    path("api/jobs/<int:job_id>/cancel/", apis.JobCancelApi.as_view(), name="api-cancel"),
    path("api/jobs/<int:job_id>/retry/", apis.JobRetryApi.as_view(), name="api-retry"),
]
