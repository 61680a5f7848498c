from django.urls import path

from webapp.views import coming

app_name = "evaluation"

urlpatterns = [
    path("", coming, {"section": "Leaderboard", "description": "Score restoration and segmentation methods on authentic damage against expert ground truth."}, name="index"),
]
