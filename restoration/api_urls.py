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
]
