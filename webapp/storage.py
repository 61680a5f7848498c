"""Media: the one module through which services write, read, list, delete and link stored files.

Every file the application keeps (scans, deep-zoom pyramids, overlay previews, restorations, benchmark
files, synthetic datasets) goes through Django's storage API (``default_storage``: the local folder
``MEDIA_ROOT``, or an S3 bucket when ``S3_BUCKET`` is set), by name. The pure cores never see a storage:
they take and return bytes, arrays and local paths, and the services store what they make here.

Only names under ``PUBLIC_PREFIXES`` (the leaderboard's damaged inputs and their previews, which anyone
may read) are served by name, and :func:`url` is the address a page or the API gives for them:
``/media/<name>`` on a local folder, on S3 ``/files/<name>`` (the site streams it, so that the viewers'
images stay on the site's origin). Every other name is private (scans and their tiles, the artefact bank,
overlay previews, synthetic datasets, restorations, ground truth, submissions, survey pairs, network
weights): a view that checks who asks (``webapp.permissions``) calls :func:`serve` (on S3 a download,
or with ``redirect`` a tile or image, is a redirect to a signed URL that expires after
``S3_URL_SECONDS``). A deep-zoom pyramid is linked by its ``.dzi`` (a view's own address); its tiles
lie beside it under the names OpenSeadragon asks for (:func:`member` checks such a relative name).
"""
from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse

PRIVATE_PREFIX = "private/"
#: The only names served by name (``/media/``, ``/files/``): the benchmarks' public inputs and their previews
#: (``benchmarks/<id>/inputs/``, ``benchmarks/<id>/display/``); their ground truth lies under ``private/``.
PUBLIC_PREFIXES = ("benchmarks/",)

__all__ = [
    "PRIVATE_PREFIX", "PUBLIC_PREFIXES", "delete", "delete_names", "delete_tree", "exists", "is_local", "is_private",
    "list_tree", "local_copy", "member", "open_file", "read_bytes", "save_bytes", "save_dzi", "save_file", "save_tree",
    "serve", "signed_url", "url",
]


def is_private(name: str) -> bool:
    """True for every name outside ``PUBLIC_PREFIXES`` (and any with a ``private`` folder in it): never served by
    name, only by a view that checks who asks."""
    name = str(name)
    return not name.startswith(PUBLIC_PREFIXES) or name.startswith(PRIVATE_PREFIX) or "/private/" in name


def is_local() -> bool:
    """True when media lie in a folder of this machine (``FileSystemStorage``), False on S3."""
    return isinstance(default_storage, FileSystemStorage)  # the lazy object passes isinstance


def _check_name(name: str) -> str:
    name = str(name).replace("\\", "/")
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or ".." in parts or any(p.startswith(".") and p != "." for p in parts):
        raise ValueError(f"Not a storage name: {name!r}.")
    return name


# ---------------------------------------------------------------- writing

def save_bytes(name: str, data: bytes) -> str:
    """Store ``data`` as ``name`` exactly (a file of that name is replaced); returns the name."""
    return save_file(name, ContentFile(data))


def save_file(name: str, source: str | os.PathLike | BinaryIO | File) -> str:
    """Store a local file (a path) or an open binary file as ``name`` exactly, replacing one there."""
    name = _check_name(name)
    if is_local() and default_storage.exists(name):  # S3 (file_overwrite) replaces it anyway
        default_storage.delete(name)
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            saved = default_storage.save(name, File(fh))
    else:
        saved = default_storage.save(name, source if isinstance(source, File) else File(source))
    if saved != name:  # another writer took the name between the delete and the save
        default_storage.delete(saved)
        raise OSError(f"Could not store {name!r}: the name was taken while writing.")
    return saved


def save_tree(prefix: str, folder: str | os.PathLike) -> list[str]:
    """Store every file under the local ``folder`` as ``prefix/<relative path>``; returns the names.

    On a local storage whose folder already is ``folder`` nothing is copied.
    """
    folder = Path(folder)
    prefix = _check_name(prefix).rstrip("/")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(folder).parts))
    names = [f"{prefix}/{p.relative_to(folder).as_posix()}" for p in files]
    if is_local() and Path(default_storage.path(prefix)).resolve() == folder.resolve():
        return names
    for path, name in zip(files, names, strict=True):
        save_file(name, path)
    return names


def save_dzi(prefix: str, image, *, name: str = "scan", progress=None, **options) -> str:
    """Store the deep-zoom pyramid of ``image`` under ``prefix``; returns the ``.dzi``'s name.

    The tiles are stored first and the descriptor last (a pyramid is never seen half-built), over
    a pyramid of that name stored before (whose tiles are deleted first). ``options`` go to
    :func:`imaging.dzi.dzi_files`.
    """
    from imaging.dzi import dzi_files

    prefix = _check_name(prefix).rstrip("/")
    delete(f"{prefix}/{name}.dzi")
    delete_tree(f"{prefix}/{name}_files")
    descriptor = ""
    for rel, data in dzi_files(image, name=name, progress=progress, **options):
        descriptor = save_bytes(f"{prefix}/{rel}", data)
    return descriptor


# ---------------------------------------------------------------- reading and listing

def member(folder: str, relative: str) -> str:
    """The name of ``relative`` (a path a browser asked for, e.g. a tile ``scan_files/12/3_4.jpeg``) inside the
    stored ``folder``; ``Http404`` for anything that would leave it (``..``, absolute, hidden parts)."""
    parts = PurePosixPath(str(relative)).parts
    if not parts or str(relative).startswith("/") or "\\" in str(relative) or any(
            p == ".." or p.startswith(".") for p in parts):
        raise Http404("No such file.")
    try:
        return _check_name(f"{folder.rstrip('/')}/{relative}")
    except ValueError as exc:
        raise Http404("No such file.") from exc


def exists(name: str) -> bool:
    return bool(name) and default_storage.exists(name)


def open_file(name: str) -> File:
    """The stored file ``name``, open for reading bytes (the caller closes it)."""
    return default_storage.open(_check_name(name), "rb")


def read_bytes(name: str) -> bytes:
    with open_file(name) as fh:
        return fh.read()


def local_copy(name: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """A path of this machine holding the stored file ``name``, for code that opens files by path (torch).

    On a local folder, the stored file itself. On S3, a copy under ``cache_dir`` (``STORAGE_CACHE_DIR``) by the
    same name, fetched when it is missing or its size differs from the stored object's (written to a temporary
    file and renamed, so a reader never sees half a file; the names written are never rewritten in place).
    """
    name = _check_name(name)
    if not default_storage.exists(name):
        raise FileNotFoundError(f"No stored file {name!r}.")
    if is_local():
        return Path(default_storage.path(name))
    from django.conf import settings

    target = Path(cache_dir or settings.STORAGE_CACHE_DIR) / name
    size = default_storage.size(name)
    if target.is_file() and target.stat().st_size == size:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    import shutil
    import tempfile

    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as out, \
            open_file(name) as source:
        shutil.copyfileobj(source, out, 1 << 20)
    os.replace(out.name, target)
    return target


def list_tree(prefix: str) -> list[str]:
    """The names of every file under ``prefix`` (a folder), sorted; empty when there is none."""
    prefix = _check_name(prefix).rstrip("/")
    try:
        folders, files = default_storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return []
    names = [f"{prefix}/{f}" for f in files]
    for folder in folders:
        names += list_tree(f"{prefix}/{folder}")
    return sorted(names)


# ---------------------------------------------------------------- deleting

def delete(name: str) -> None:
    """Delete ``name``; nothing happens when it is not there."""
    if name and default_storage.exists(name):
        default_storage.delete(name)


def delete_names(names: Iterable[str]) -> None:
    for name in names:
        delete(name)


def delete_tree(prefix: str) -> int:
    """Delete every file under ``prefix`` (and, on a local folder, the folders); returns how many files."""
    names = list_tree(prefix)
    for name in names:
        default_storage.delete(name)
    if is_local():
        import shutil

        shutil.rmtree(default_storage.path(prefix.rstrip("/")), ignore_errors=True)
    return len(names)


# ---------------------------------------------------------------- links and responses

def url(name: str) -> str:
    """The address of a public stored file, for pages and the API (never for a ``private/`` name)."""
    name = _check_name(name)
    if is_private(name):
        raise ValueError(f"{name!r} is private: link it through a view that checks who asks.")
    if is_local():
        return default_storage.url(name)
    return reverse("stored-file", args=[name])


def signed_url(name: str, *, filename: str | None = None, seconds: int | None = None) -> str:
    """On S3, an expiring signed address of ``name`` (a download named ``filename``); on a local folder, none."""
    from django.conf import settings

    params = {"ResponseContentDisposition": f'attachment; filename="{filename}"'} if filename else None
    return default_storage.url(name, parameters=params, expire=seconds or settings.S3_URL_SECONDS)


def serve(name: str, *, filename: str | None = None, as_attachment: bool = False, redirect: bool = False,
          cache: str = "private, max-age=3600") -> HttpResponse:
    """The response of a view that has checked who asks: the stored file ``name``.

    On a local folder the file is streamed. On S3 a download (``as_attachment``), or a file the browser loads
    itself (``redirect``: a scan's tiles, an image in an ``<img>``), is a redirect to a signed URL that expires
    after ``S3_URL_SECONDS``; anything else (descriptors and images a viewer reads with a script) is streamed from
    the bucket, on the site's origin.
    """
    name = _check_name(name)
    if not default_storage.exists(name):
        raise Http404("No such file.")
    filename = filename or PurePosixPath(name).name
    if (as_attachment or redirect) and not is_local():
        response: HttpResponse = HttpResponseRedirect(
            signed_url(name, filename=filename if as_attachment else None))
    else:
        content_type = "application/xml" if name.endswith(".dzi") else (
            mimetypes.guess_type(name)[0] or "application/octet-stream")
        response = FileResponse(default_storage.open(name, "rb"), as_attachment=as_attachment, filename=filename,
                                content_type=content_type)
    response["Cache-Control"] = cache
    return response
