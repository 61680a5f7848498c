from django.urls import path

from . import views

app_name = "synthesis"

urlpatterns = [
    path("", views.index, name="index"),
    path("damage-models/fit/", views.damage_model_fit, name="fit"),
    path("damage-models/compare/", views.damage_model_compare, name="compare"),
    path("damage-models/<int:model_id>/", views.damage_model_detail, name="damage-model"),
    path("damage-models/<int:model_id>/preview/", views.preview_create, name="preview-create"),
    path("previews/<int:preview_id>/", views.preview_detail, name="preview"),
    path("previews/<int:preview_id>/files/<str:key>.png", views.preview_file, name="preview-file"),
    path("previews/<int:preview_id>/download/", views.preview_download, name="preview-download"),
    path("datasets/new/", views.dataset_create, name="dataset-create"),
    path("datasets/<int:dataset_id>/", views.dataset_detail, name="dataset"),
    path("datasets/<int:dataset_id>/files/<path:name>", views.dataset_file, name="dataset-file"),
    path("datasets/<int:dataset_id>/delete/", views.dataset_delete, name="dataset-delete"),
    path("datasets/<int:dataset_id>/download/", views.dataset_download, name="dataset-download"),
]
