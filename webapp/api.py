"""Small helpers shared by the apps' REST APIs: one error shape, ``{"detail": "..."}``."""
from __future__ import annotations

from rest_framework.exceptions import PermissionDenied, ValidationError

from .roles import RESEARCHER, has_role


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


def require_researcher(user) -> None:
    if not has_role(user, RESEARCHER):
        raise PermissionDenied("Only researchers and administrators may do this.")
