from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.benchmark_import, name="import"),
    path("<int:benchmark_id>/", views.benchmark_detail, name="benchmark"),
    path("<int:benchmark_id>/submit/", views.submission_create, name="submit"),
    path("<int:benchmark_id>/baselines/", views.baselines_start, name="baselines"),
    path("<int:benchmark_id>/images/<str:name>/", views.image_detail, name="image"),
    path("<int:benchmark_id>/images/<str:name>/ground-truth/", views.ground_truth, name="ground-truth"),
    path("submissions/<int:submission_id>/", views.submission_detail, name="submission"),
    path("submissions/<int:submission_id>/images/<str:name>/", views.submission_image, name="submission-image"),
]
