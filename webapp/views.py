"""Site-wide pages: home, health check and media."""
from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.static import serve

from . import storage
from .celery import app as celery_app


def home(request):
    return render(request, "webapp/home.html")


def healthz(request):
    """Reachability of the database, the broker and the workers, as JSON (HTTP 503 if any is down)."""
    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "engine": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]}
    except Exception as exc:  # report, never raise
        checks["database"] = {"ok": False, "error": str(exc)}
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = {"ok": True, "transport": conn.transport_cls}
    except Exception as exc:
        checks["broker"] = {"ok": False, "error": str(exc)}
    workers: list[str] = []
    if checks["broker"]["ok"]:
        try:
            replies = celery_app.control.ping(timeout=float(request.GET.get("timeout", 1.0)))
            workers = sorted(name for reply in replies for name in reply)
        except Exception as exc:
            checks["workers"] = {"ok": False, "error": str(exc), "count": 0}
    checks.setdefault("workers", {"ok": bool(workers), "count": len(workers), "names": workers})
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"ok": ok, **checks}, status=200 if ok else 503)


def stored_file(request, name: str):
    """A public stored file, streamed from the storage (``storage.url`` on S3); ``private/`` names are never served."""
    if storage.is_private(name):
        raise Http404("Not found")
    try:
        return storage.serve(name, cache="public, max-age=3600")
    except ValueError as exc:
        raise Http404("Not found") from exc


def media(request, path: str):
    """Serve public media from MEDIA_ROOT (a local storage only); ``private/`` is never served by path."""
    if storage.is_private(path) or not storage.is_local():
        raise Http404("Not found")
    return serve(request, path, document_root=settings.MEDIA_ROOT)
