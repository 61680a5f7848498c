"""Permanent redirects from the addresses used before the naming of issue 15 (item 5, ``docs/GLOSSARY.md``).

Kept for one release, then removed: every old page prefix (``/annotate/``, ``/models/``, ``/restore/``,
``/leaderboard/``) answers a permanent redirect to the same rest of the path and query under its new prefix
(301 for GET and HEAD, 308 otherwise, so that a form's POST is sent again as a POST), with the few paths that
were renamed inside a prefix rewritten; the old API paths (``/api/annotation/datasets/``,
``/api/synthesis/models/``, ``/api/restoration/jobs/``) answer 308 to their new paths, whatever the method.
"""
from __future__ import annotations

import re

from django.http import HttpResponsePermanentRedirect
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt


class HttpResponsePreservingRedirect(HttpResponsePermanentRedirect):
    """308 Permanent Redirect: the client repeats the same method and body at the new address."""

    status_code = 308


#: (route name, old prefix, new prefix, rewrites of the rest of the path applied in turn, first match only)
PAGES: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("legacy-annotate", "annotate/", "annotation/", ((r"^datasets/", "sets/"),)),
    ("legacy-models", "models/", "synthesis/", ((r"^(fit|compare|\d+)/", r"damage-models/\1/"),)),
    ("legacy-restore", "restore/", "restoration/", ((r"^models/", "networks/"),)),
    ("legacy-leaderboard", "leaderboard/", "evaluation/", ()),
)

#: (route name, old API prefix, new API prefix): 308 for every method
APIS: tuple[tuple[str, str, str], ...] = (
    ("legacy-api-annotation-datasets", "api/annotation/datasets/", "api/annotation/sets/"),
    ("legacy-api-synthesis-models", "api/synthesis/models/", "api/synthesis/damage-models/"),
    ("legacy-api-restoration-jobs", "api/restoration/jobs/", "api/restoration/restorations/"),
)


def new_path(old_prefix: str, new_prefix: str, rest: str, rewrites=()) -> str:
    """The new address of ``/<old_prefix><rest>``."""
    for pattern, replacement in rewrites:
        rewritten, count = re.subn(pattern, replacement, rest, count=1)
        if count:
            rest = rewritten
            break
    return f"/{new_prefix}{rest}"


def _target(request, path: str) -> str:
    query = request.META.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


def _page_view(old_prefix: str, new_prefix: str, rewrites):
    @csrf_exempt
    def view(request, rest: str = ""):
        target = _target(request, new_path(old_prefix, new_prefix, rest, rewrites))
        if request.method in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(target)
        return HttpResponsePreservingRedirect(target)

    return view


def _api_view(old_prefix: str, new_prefix: str):
    @csrf_exempt
    def view(request, rest: str = ""):
        return HttpResponsePreservingRedirect(_target(request, new_path(old_prefix, new_prefix, rest)))

    return view


def urlpatterns() -> list:
    """The redirect routes, one per old prefix (``rest``: the rest of the path, possibly empty)."""
    routes = [re_path(rf"^{re.escape(old)}(?P<rest>.*)$", _api_view(old, new), name=name) for name, old, new in APIS]
    routes += [re_path(rf"^{re.escape(old)}(?P<rest>.*)$", _page_view(old, new, rewrites), name=name)
               for name, old, new, rewrites in PAGES]
    return routes
