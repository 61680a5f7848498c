from django.urls import path

from . import apis

urlpatterns = [
    path("sets/", apis.AnnotationSetListApi.as_view(), name="annotation-api-sets"),
    path("sets/<int:set_id>/stats/", apis.AnnotationSetStatsApi.as_view(), name="annotation-api-set-stats"),
    path("sets/<int:set_id>/export/", apis.AnnotationSetExportApi.as_view(), name="annotation-api-set-export"),
    path("scans/", apis.ScanListApi.as_view(), name="annotation-api-scans"),
    path("scans/<int:scan_id>/", apis.ScanDetailApi.as_view(), name="annotation-api-scan"),
    path("scans/<int:scan_id>/polygons/", apis.ScanPolygonsApi.as_view(), name="annotation-api-scan-polygons"),
    path("scans/<int:scan_id>/done/", apis.ScanDoneApi.as_view(), name="annotation-api-scan-done"),
    path("polygons/<int:polygon_id>/", apis.PolygonDetailApi.as_view(), name="annotation-api-polygon"),
    path("bank/", apis.BankListApi.as_view(), name="annotation-api-bank"),
]
