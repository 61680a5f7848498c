from django.urls import path

from webapp.views import coming

app_name = "synthesis"

urlpatterns = [
    path("", coming, {"section": "Damage models", "description": "Fit the statistical damage model from stored annotations, render overlays and build synthetic datasets."}, name="index"),
]
