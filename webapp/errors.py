"""The site's own error pages (403, 404, 500) in the site layout, with its navigation.

Django calls these instead of its plain pages when ``DEBUG`` is off (the default). Under ``/api/`` they answer
JSON in the API's error shape (``{"detail": ...}``). The 500 page renders without touching anything that may be
what failed; if even that fails, a plain page is sent.
"""
from __future__ import annotations

import logging

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.template import loader

log = logging.getLogger(__name__)

TITLES = {403: "You may not see this page", 404: "Page not found", 500: "Something went wrong"}
CODES = {403: "permission_denied", 404: "not_found", 500: "server_error"}  # as webapp.api's
FALLBACK_500 = ("<!doctype html><title>Server error · Film artefact lab</title><h1>Something went wrong</h1>"
                "<p>The error has been logged. <a href=\"/\">Back to the home page</a>.</p>")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _user_message(exception) -> str:
    """The exception's own sentence when a view wrote one for people; Django's generic ones are left out."""
    text = str(exception or "").strip()
    if not text or "matches the given query" in text or text.startswith(("Resolver404", "{")):
        return ""
    return text


def _render(request, status: int, message: str) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": message or TITLES[status], "code": CODES[status]}, status=status)
    html = loader.render_to_string(f"errors/{status}.html", {"title": TITLES[status], "message": message,
                                                             "status": status}, request=request)
    return HttpResponse(html, status=status)


def permission_denied(request, exception=None):
    """The 403 page; someone not logged in is sent to log in first (an API caller gets 401 from DRF)."""
    user = getattr(request, "user", None)
    if not _is_api(request) and user is not None and not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _render(request, 403, _user_message(exception))


def page_not_found(request, exception=None):
    return _render(request, 404, _user_message(exception))


def csrf_failure(request, reason: str = ""):
    """A form sent without its CSRF token (cookies off, or a page kept open across a log-in): the 403 page."""
    log.warning("CSRF check failed on %s: %s", request.path, reason)
    return _render(request, 403, "The form could not be accepted: reload the page and send it again (the site "
                                 "needs its cookies).")


def server_error(request):
    try:
        return _render(request, 500, "")
    except Exception:  # the layout itself failed (database down, broken template): a plain page still answers
        log.exception("The 500 page could not be rendered in the site layout")
        return HttpResponse(FALLBACK_500, status=500)
