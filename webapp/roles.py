"""Roles as Django groups: annotator, researcher, administrator.

Permissions are granted by pattern over app labels and codenames so that a
new model's permissions join the right roles on the next migrate.
"""
from __future__ import annotations

from fnmatch import fnmatch

ANNOTATOR, RESEARCHER, ADMINISTRATOR = "annotator", "researcher", "administrator"

#: role -> list of (app_label pattern, codename pattern)
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    ANNOTATOR: [
        ("annotation", "view_*"),
        ("annotation", "*_polygon"),
        ("jobs", "view_job"),
    ],
    RESEARCHER: [
        ("annotation", "*"),
        ("synthesis", "*"),
        ("restoration", "*"),
        ("evaluation", "*"),
        ("surveys", "*"),
        ("jobs", "*"),
    ],
    ADMINISTRATOR: [("*", "*")],
}


def ensure_roles() -> dict[str, int]:
    """Create the groups and set their permissions; returns the permission count per role."""
    from django.contrib.auth.models import Group, Permission

    perms = list(Permission.objects.select_related("content_type"))
    counts = {}
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        chosen = [
            p for p in perms
            if any(fnmatch(p.content_type.app_label, a) and fnmatch(p.codename, c) for a, c in patterns)
        ]
        group.permissions.set(chosen)
        counts[role] = len(chosen)
    return counts


def ensure_roles_after_migrate(**kwargs) -> None:
    ensure_roles()


def user_roles(user) -> set[str]:
    if not user.is_authenticated:
        return set()
    roles = set(user.groups.values_list("name", flat=True))
    if user.is_superuser:
        roles.add(ADMINISTRATOR)
    return roles


def has_role(user, *roles: str) -> bool:
    have = user_roles(user)
    return ADMINISTRATOR in have or any(r in have for r in roles)
