"""The browser code's two builds (frontend/build.mjs): the production bundles carry no test hooks."""
from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests.support import FRONTEND, frontend_build

#: The window.__* objects the browser tests and benchmarks/annotation_redraw.py drive, by bundle.
HOOKS = {
    "annotate.js": {"__annotator", "__annotatorStats"},
    "compare.js": {"__compare"},
    "leaderboard.js": {"__compare"},
    "preview.js": {"__preview"},
}


def hooks_in(bundle) -> set[str]:
    return set(re.findall(r"window\.(__\w+)", bundle.read_text()))


def test_the_tests_are_served_the_test_build():
    assert settings.FRONTEND_DIST == FRONTEND / "dist-test"


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_only_the_test_build_has_the_hooks(name):
    # given both builds, current
    production, test = frontend_build(FRONTEND / "dist"), frontend_build(FRONTEND / "dist-test")
    # then the test build puts the hooks on window, and the production build neither sets them
    # nor keeps the flag that guards them
    assert hooks_in(test / name) == HOOKS[name]
    assert hooks_in(production / name) == set()
    assert "TEST_HOOKS" not in (production / name).read_text()


def test_no_production_bundle_sets_a_window_hook():
    production = frontend_build(FRONTEND / "dist")
    assert {b.name: hooks_in(b) for b in production.glob("*.js") if hooks_in(b)} == {}


def test_the_browser_code_never_builds_a_stored_files_address():
    # the viewers open the addresses the page or the API gives (views that check who asks), never a name of the
    # storage under /media/ or /files/
    sources = [p for p in (FRONTEND / "src").rglob("*") if p.suffix in (".js", ".mjs", ".css")]
    assert sources
    offenders = [str(p.relative_to(FRONTEND)) for p in sources if re.search(r"/media/|/files/", p.read_text())]
    assert offenders == []
