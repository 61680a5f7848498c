from django.urls import path

from . import views

app_name = "annotation"

urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.scan_upload, name="upload"),
    path("scans/<int:scan_id>/", views.scan_annotate, name="scan"),
    path("scans/<int:scan_id>/image/", views.scan_image, name="scan-image"),
    path("scans/<int:scan_id>/tiles/<path:name>", views.scan_tiles, name="scan-tiles"),
    path("sets/<int:set_id>/", views.set_detail, name="set"),
    path("sets/<int:set_id>/assign/", views.set_assign, name="assign"),
    path("sets/<int:set_id>/statistics/", views.set_statistics, name="statistics"),
    path("bank/", views.bank, name="bank"),
    path("bank/<int:entry_id>/image/", views.bank_image, name="bank-image"),
]
