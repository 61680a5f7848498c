"""Demo content for the one-command start. Idempotent: a second run changes nothing.

Each app may contribute a ``<app>/demo.py`` with ``load_demo(*, log) -> None``;
they run in the order of DEMO_APPS after the users and roles exist.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .roles import ADMINISTRATOR, ANNOTATOR, RESEARCHER, ensure_roles

DEMO_APPS = ("annotation", "synthesis", "restoration", "evaluation", "surveys")

#: username, password, role, is_staff, is_superuser
DEMO_USERS = (
    ("admin", "admin", ADMINISTRATOR, True, True),
    ("researcher", "researcher", RESEARCHER, False, False),
    ("annotator", "annotator", ANNOTATOR, False, False),
    ("annotator2", "annotator2", ANNOTATOR, False, False),
)


def demo_users_ensure() -> list[tuple[str, str, str]]:
    User = get_user_model()
    ensure_roles()
    made = []
    for username, password, role, staff, superuser in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": staff, "is_superuser": superuser}
        )
        if created:
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get(name=role))
        made.append((username, password, role))
    return made


def demo_load(*, log: Callable[[str], None] = print, apps: tuple[str, ...] = DEMO_APPS) -> None:
    users = demo_users_ensure()
    log("Demo users: " + ", ".join(f"{u}/{p} ({r})" for u, p, r in users))
    for app in apps:
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError as exc:
            if exc.name == f"{app}.demo":
                continue
            raise
        log(f"Demo content: {app}")
        module.load_demo(log=log)
