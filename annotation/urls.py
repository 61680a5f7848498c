from django.urls import path

from . import views

app_name = "annotation"

urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.scan_upload, name="upload"),
    path("scans/<int:scan_id>/", views.scan_annotate, name="scan"),
    path("sets/<int:dataset_id>/", views.dataset_detail, name="set"),
    path("sets/<int:dataset_id>/assign/", views.dataset_assign, name="assign"),
    path("sets/<int:dataset_id>/statistics/", views.dataset_statistics, name="statistics"),
    path("bank/", views.bank, name="bank"),
]
