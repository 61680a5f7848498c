from django.urls import path

from webapp.views import coming

app_name = "surveys"

urlpatterns = [
    path("", coming, {"section": "Surveys", "description": "Run perceptual studies of the realism of synthetic damage."}, name="index"),
]
