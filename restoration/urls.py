from django.urls import path

from . import views

app_name = "restoration"

urlpatterns = [
    path("", views.index, name="index"),
    path("networks/", views.networks, name="networks"),
    path("<int:restoration_id>/", views.detail, name="detail"),
    path("<int:restoration_id>/review/", views.review, name="review"),
    path("<int:restoration_id>/download/<str:what>/", views.download, name="download"),
    path("<int:restoration_id>/viewer/<path:name>", views.viewer, name="viewer"),
]
