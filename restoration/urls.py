from django.urls import path

from webapp.views import coming

app_name = "restoration"

urlpatterns = [
    path("", coming, {"section": "Restore", "description": "Upload a scan for tiled, full-resolution detection and repair of film damage."}, name="index"),
]
