"""The OpenAPI schema (drf-spectacular): generated without an error or a warning, valid OpenAPI 3, and every API
route of the URL configuration is in it, each of its methods with a response body (a 204 excepted)."""
from __future__ import annotations

import re

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.views import APIView

from webapp import legacy

#: /api/ routes that are not in the schema on purpose: the schema and its docs page, and the old API paths'
#: 308 redirects (plain Django views, webapp/legacy.py).
NOT_IN_SCHEMA = {"api-schema", "api-docs", *(name for name, _, _ in legacy.APIS)}

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def api_routes(resolver=None, route: str = ""):
    """(route name, OpenAPI path, view callback) of every route under /api/."""
    for entry in (resolver or get_resolver()).url_patterns:
        text = route + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from api_routes(entry, text)
        elif isinstance(entry, URLPattern) and text.lstrip("^").startswith("api/"):
            yield entry.name, "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text), entry.callback


@pytest.fixture
def schema():
    GENERATOR_STATS.reset()
    generated = SchemaGenerator().get_schema(request=None, public=True)
    problems = {"errors": dict(GENERATOR_STATS._error_cache), "warnings": dict(GENERATOR_STATS._warn_cache)}
    GENERATOR_STATS.reset()
    assert not problems["errors"] and not problems["warnings"], problems
    return generated


def test_the_schema_is_valid_openapi(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_every_api_route_is_in_the_schema_with_its_bodies(schema):
    routes = list(api_routes())
    assert len(routes) > 40, "the walk found the API routes"
    missing, bodiless, skipped = [], [], set()
    for name, path, callback in routes:
        view = getattr(callback, "cls", None)
        if name in NOT_IN_SCHEMA:
            skipped.add(name)
            continue
        assert view is not None and issubclass(view, APIView), f"{name} ({path}) is not a DRF view: list it or fix it"
        if path not in schema["paths"]:
            missing.append(f"{name}: {path}")
            continue
        for method in HTTP_METHODS:
            if not hasattr(view, method):
                continue
            operation = schema["paths"][path].get(method)
            if operation is None:
                missing.append(f"{name}: {method.upper()} {path}")
                continue
            success = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
            if not success or not all(r.get("content") for code, r in success.items() if code != "204"):
                bodiless.append(f"{method.upper()} {path}: {sorted(operation['responses'])}")
    assert not missing, f"API routes missing from the schema: {missing}"
    assert not bodiless, f"operations without a response body: {bodiless}"
    assert skipped == NOT_IN_SCHEMA, f"NOT_IN_SCHEMA lists routes that are gone: {NOT_IN_SCHEMA - skipped}"


def test_lists_document_their_window_and_errors_their_shape(schema):
    jobs = schema["paths"]["/api/jobs/"]["get"]
    assert {p["name"] for p in jobs["parameters"]} >= {"offset", "limit"}
    error = jobs["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][error]["required"]) == {"detail", "code"}
    retry = schema["paths"]["/api/jobs/{job_id}/retry/"]["post"]["responses"]
    assert set(retry) >= {"202", "404", "409"}


def test_the_spectacular_command_fails_on_no_warning(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/jobs/{job_id}/" in yaml.safe_load(out.read_text())["paths"]
