from django.urls import path

from . import apis

urlpatterns = [
    path("damage-models/", apis.DamageModelListApi.as_view(), name="synthesis-api-damage-models"),
    path("damage-models/fit/", apis.DamageModelFitApi.as_view(), name="synthesis-api-fit"),
    path("damage-models/<int:model_id>/", apis.DamageModelDetailApi.as_view(), name="synthesis-api-damage-model"),
    path("damage-models/<int:model_id>/previews/", apis.PreviewCreateApi.as_view(), name="synthesis-api-preview"),
    path("datasets/", apis.SyntheticDatasetCreateApi.as_view(), name="synthesis-api-datasets"),
]
