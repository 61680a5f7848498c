from django.urls import path

from . import apis, views

app_name = "jobs"

urlpatterns = [
    path("jobs/", views.job_list, name="list"),
    path("jobs/<int:job_id>/", views.job_detail, name="detail"),
    path("api/jobs/", apis.JobListApi.as_view(), name="api-list"),
    path("api/jobs/diagnostic/", apis.DiagnosticJobApi.as_view(), name="api-diagnostic"),
    path("api/jobs/<int:job_id>/", apis.JobDetailApi.as_view(), name="api-detail"),
    path("api/jobs/<int:job_id>/cancel/", apis.JobCancelApi.as_view(), name="api-cancel"),
]
