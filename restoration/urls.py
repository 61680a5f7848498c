from django.urls import path

from . import views

app_name = "restoration"

urlpatterns = [
    path("", views.index, name="index"),
    path("networks/", views.networks, name="networks"),
    path("networks/<int:network_id>/promote/", views.network_promote, name="network-promote"),
    path("rolls/", views.rolls, name="rolls"),
    path("rolls/<int:roll_id>/", views.roll, name="roll"),
    path("rolls/<int:roll_id>/download/", views.roll_download, name="roll-download"),
    path("networks/<int:network_id>/weights/", views.network_weights, name="network-weights"),
    path("<int:restoration_id>/", views.detail, name="detail"),
    path("<int:restoration_id>/review/", views.review, name="review"),
    path("<int:restoration_id>/download/<str:what>/", views.download, name="download"),
    path("<int:restoration_id>/viewer/<path:name>", views.viewer, name="viewer"),
]
