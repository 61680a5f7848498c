"""Which server folders the web pages and the API may read: ``settings.SERVER_FOLDER_ROOTS``.

Researchers name folders on the server for clean training images, training
datasets and survey sources. Through the web, such a name must lie inside one of
the allowed roots (after resolving ``..`` and symbolic links), so that a web user
cannot point a job at any folder the server can read. Management commands run by
someone with a shell on the server are not limited.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings


class FolderNotAllowed(ValueError):
    """A folder named through the web lies outside ``SERVER_FOLDER_ROOTS``."""


def allowed_roots() -> list[Path]:
    """The resolved roots under which the web may name server folders."""
    return [Path(root).resolve() for root in settings.SERVER_FOLDER_ROOTS]


def server_folder(name: str, *, what: str = "Folder") -> str:
    """``name`` resolved, if it lies inside an allowed root; raises :class:`FolderNotAllowed` otherwise.

    Existence is not checked here: the service that reads the folder says clearly
    when it is missing or empty.
    """
    name = (name or "").strip()
    if not name:
        return name
    path = Path(name).expanduser()
    if not path.is_absolute():
        raise FolderNotAllowed(f"{what} must be an absolute path on the server, got {name!r}.")
    resolved = path.resolve()
    roots = allowed_roots()
    if not any(resolved == root or root in resolved.parents for root in roots):
        raise FolderNotAllowed(f"{what} {name} is outside the folders this server lets the web read "
                               f"(SERVER_FOLDER_ROOTS: {', '.join(str(r) for r in roots) or 'none'}).")
    return str(resolved)
