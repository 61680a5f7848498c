from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

from . import legacy, views

# The site's own error pages (webapp/errors.py), used when DEBUG is off.
handler403 = "webapp.errors.permission_denied"
handler404 = "webapp.errors.page_not_found"
handler500 = "webapp.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/token/", obtain_auth_token, name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("jobs.urls")),
    # each app's pages under the prefix of its API (the names: docs/GLOSSARY.md)
    path("annotation/", include("annotation.urls")),
    path("api/annotation/", include("annotation.api_urls")),
    path("synthesis/", include("synthesis.urls")),
    path("api/synthesis/", include("synthesis.api_urls")),
    path("restoration/", include("restoration.urls")),
    path("api/restoration/", include("restoration.api_urls")),
    path("evaluation/", include("evaluation.urls")),
    path("api/evaluation/", include("evaluation.api_urls")),
    path("surveys/", include("surveys.urls")),
    path("api/surveys/", include("surveys.api_urls")),
    # public stored files, streamed from the storage (the address webapp.storage.url gives on S3)
    path("files/<path:name>", views.stored_file, name="stored-file"),
    # the addresses before issue 15's naming, as permanent redirects: kept for one release (webapp/legacy.py)
    *legacy.urlpatterns(),
]

# Media on local disk (the view answers 404 when the storage is S3, whose files are linked through
# ``files/``). Files under ``private/`` (benchmark ground truth, restorations, unpublished survey material)
# are never served here: their own views check permissions. Behind a real web server map MEDIA_URL there instead.
urlpatterns.append(path(f"{settings.MEDIA_URL.lstrip('/')}<path:path>", views.media, name="media"))
