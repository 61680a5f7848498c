from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.survey_create, name="create"),
    path("<int:survey_id>/", views.survey_detail, name="detail"),
    path("<int:survey_id>/build/", views.survey_build, name="build"),
    path("<int:survey_id>/publish/", views.survey_publish, name="publish"),
    path("<int:survey_id>/close/", views.survey_close, name="close"),
    path("<int:survey_id>/results/", views.survey_results, name="results"),
    path("<int:survey_id>/pairs/<int:pair_id>/<str:side>.png", views.pair_image, name="pair-image"),
    # participants: no account, the token in the URL
    path("take/<uuid:token>/", views.take, name="take"),
    path("p/<uuid:token>/", views.participant, name="participant"),
    path("p/<uuid:token>/trial/<int:position>/<str:side>.png", views.trial_image, name="trial-image"),
]
