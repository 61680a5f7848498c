"""Small helpers shared by the apps' REST APIs: one error shape, ``{"detail": "...", "code": "..."}``.

Every API error answers a JSON object whose ``detail`` is one readable sentence, with a machine ``code``
(``invalid``, ``not_authenticated``, ``permission_denied``, ``not_found``, ``method_not_allowed``, ``throttled``,
``parse_error``... or an app's own, such as the surveys' ``closed``); a few add fields of their own beside them (a
refused submission's ``errors``). ``exception_handler`` makes that shape for every DRF error.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler as drf_exception_handler


def flat_errors(errors) -> str:
    """DRF's nested validation errors as one readable sentence."""
    if isinstance(errors, dict):
        return "; ".join(f"{k}: {flat_errors(v)}" if k != "non_field_errors" else flat_errors(v)
                         for k, v in errors.items())
    if isinstance(errors, list):
        return "; ".join(flat_errors(e) for e in errors)
    return str(errors)


def validated(serializer_class, data, **kwargs):
    """Validate ``data`` or raise HTTP 400 ``{"detail": what is wrong}``."""
    serializer = serializer_class(data=data, **kwargs)
    if not serializer.is_valid():
        raise ValidationError({"detail": flat_errors(serializer.errors)})
    return serializer.validated_data


def _code(exc) -> str:
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    if isinstance(codes, str):
        return codes
    return getattr(exc, "default_code", "error")


def exception_handler(exc, context):
    """DRF's handler, then the one shape: ``{"detail": sentence, "code": code, ...}`` (``EXCEPTION_HANDLER``).

    A refusal of someone not logged in (a view's ``PermissionDenied`` included) asks them to authenticate: HTTP 401
    with ``WWW-Authenticate``, as DRF does for its own permission checks.
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    request, view = context.get("request"), context.get("view")
    if (isinstance(exc, exceptions.PermissionDenied) and request is not None and view is not None
            and not getattr(request.user, "is_authenticated", False)):
        header = view.get_authenticate_header(request)
        if header:
            exc = exceptions.NotAuthenticated(f"{exc.detail} Authentication credentials were not provided.")
            exc.auth_header = header
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data:
        body = {**data, "detail": flat_errors(data["detail"])}
    else:  # a ValidationError of fields, or of a list of sentences
        body = {"detail": flat_errors(data)}
    body.setdefault("code", _code(exc))
    response.data = body
    return response


#: Fields a browser form may add to any body; never an unknown field.
IGNORED_FIELDS = frozenset({"csrfmiddlewaretoken"})


class StrictSerializer(serializers.Serializer):
    """Base of every API input: unknown fields are refused by name, and a bad choice lists the allowed ones."""

    def to_internal_value(self, data):
        keys = set(data.keys()) if hasattr(data, "keys") else set()
        unknown = sorted(keys - set(self.fields) - IGNORED_FIELDS)
        if unknown:
            allowed = ", ".join(sorted(n for n, f in self.fields.items() if not f.read_only))
            raise ValidationError({"non_field_errors": [
                f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; allowed: {allowed}"]})
        return super().to_internal_value(data)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, serializers.ChoiceField):
                allowed = ", ".join(str(c) for c in field.choices)
                field.error_messages["invalid_choice"] = '"{input}" is not one of: ' + allowed.replace("{", "{{") \
                    .replace("}", "}}") + "."


#: The largest offset and limit a list takes (a larger offset is a mistake, not a page).
MAX_OFFSET, MAX_LIMIT = 1_000_000_000, 10_000


def list_window(request, queryset, *, max_limit: int = MAX_LIMIT, default_limit: int | None = None):
    """``queryset`` cut to ``?offset=`` and ``?limit=`` (both optional; no limit: ``default_limit``, None for all)
    after checking them: HTTP 400 with what is allowed otherwise."""
    def number(name: str, low: int, high: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return None
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ValidationError({"detail": f"{name} must be a whole number from {low:,} to {high:,}, "
                                             f"got {raw[:40]!r}."})
        return int(raw)
    offset = number("offset", 0, MAX_OFFSET) or 0
    limit = number("limit", 1, max_limit) or default_limit
    return queryset[offset:offset + limit] if limit is not None else queryset[offset:]


# --- the OpenAPI schema (drf-spectacular) ---------------------------------------------------------------------


class ApiErrorSerializer(serializers.Serializer):
    """The body of every API error (``exception_handler``): ``{"detail": sentence, "code": code}``."""

    detail = serializers.CharField(help_text="One readable sentence: what is wrong.")
    code = serializers.CharField(help_text="invalid, not_authenticated, permission_denied, not_found, "
                                           "method_not_allowed, throttled, parse_error...")


class ConflictSerializer(serializers.Serializer):
    """A 409 a view answers itself (a job in another state, a stale polygon version): ``{"detail": sentence}``."""

    detail = serializers.CharField(help_text="One readable sentence: why the request conflicts.")


def error_responses(*status_codes: int) -> dict:
    """``{status: ApiErrorSerializer}`` for ``extend_schema(responses=...)``: the 4xx a view answers."""
    return dict.fromkeys(status_codes, ApiErrorSerializer)


def list_window_parameters(*, max_limit: int = MAX_LIMIT, default_limit: int | None = None) -> list:
    """The ``?offset=`` and ``?limit=`` query parameters of ``list_window``, for ``extend_schema(parameters=...)``."""
    default = f"default {default_limit:,}" if default_limit is not None else "default all"
    return [OpenApiParameter("offset", int, description=f"Items to skip (0 to {MAX_OFFSET:,}; default 0)."),
            OpenApiParameter("limit", int, description=f"At most this many (1 to {max_limit:,}; {default}).")]
