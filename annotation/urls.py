from django.urls import path

from webapp.views import coming

app_name = "annotation"

urlpatterns = [
    path("", coming, {"section": "Annotate", "description": "Draw and classify artefact polygons on film scans; import and export annotations; browse the artefact bank and damage statistics."}, name="index"),
]
