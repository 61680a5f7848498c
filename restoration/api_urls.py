from django.urls import path

from . import apis

urlpatterns = [
    path("methods/", apis.MethodListApi.as_view(), name="restoration-api-methods"),
    path("restorations/", apis.RestorationListApi.as_view(), name="restoration-api-list"),
    path("restorations/<int:restoration_id>/", apis.RestorationDetailApi.as_view(), name="restoration-api-detail"),
    path("restorations/<int:restoration_id>/components/", apis.RestorationComponentsApi.as_view(),
         name="restoration-api-components"),
    path("restorations/<int:restoration_id>/review/", apis.RestorationReviewApi.as_view(),
         name="restoration-api-review"),
    path("restorations/<int:restoration_id>/repair/", apis.RestorationRepairApi.as_view(),
         name="restoration-api-repair"),
    path("rolls/", apis.RollListApi.as_view(), name="restoration-api-rolls"),
    path("rolls/<int:roll_id>/", apis.RollDetailApi.as_view(), name="restoration-api-roll"),
    path("rolls/<int:roll_id>/download/", apis.RollDownloadApi.as_view(), name="restoration-api-roll-download"),
    path("detectors/finetune/", apis.DetectorFinetuneApi.as_view(), name="restoration-api-finetune"),
    path("networks/<int:network_id>/promote/", apis.NetworkPromoteApi.as_view(),
         name="restoration-api-network-promote"),
]
