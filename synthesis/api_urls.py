from django.urls import path

from . import apis

urlpatterns = [
    path("models/", apis.DamageModelListApi.as_view(), name="synthesis-api-models"),
    path("models/fit/", apis.DamageModelFitApi.as_view(), name="synthesis-api-fit"),
    path("models/<int:model_id>/", apis.DamageModelDetailApi.as_view(), name="synthesis-api-model"),
    path("models/<int:model_id>/previews/", apis.PreviewCreateApi.as_view(), name="synthesis-api-preview"),
    path("datasets/", apis.SyntheticDatasetCreateApi.as_view(), name="synthesis-api-datasets"),
]
