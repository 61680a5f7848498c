"""Safe extraction of zip archives (uploads of submissions, benchmarks and clean image sets).

Rules: no absolute paths, drive letters, ``..`` components, backslashes, NUL bytes, symlinks or
special files; no encrypted or duplicated members; at most ``max_files`` files, each at most
``max_file_bytes`` and all together at most ``max_bytes`` uncompressed (checked on the declared
sizes before extracting and again on the bytes actually written, which stops zip bombs). macOS
metadata (``__MACOSX/``, ``.DS_Store``) is skipped. Every member is checked before anything is
written, and on any problem nothing is left behind.

Error codes of :class:`FileError`: ``unsafe_path``, ``encrypted``, ``duplicate``, ``too_large``,
``too_many_files``, ``unreadable``.
"""
from __future__ import annotations

import re
import shutil
import stat
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import BinaryIO

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_FILES",
    "DEFAULT_MAX_FILE_BYTES",
    "IGNORED_NAMES",
    "ArchiveError",
    "FileError",
    "is_ignored",
    "safe_extract_zip",
    "stream_zip",
]

DEFAULT_MAX_FILES = 1000
DEFAULT_MAX_FILE_BYTES = 512 * 2**20  # a 16-bit RGB 8000 x 5000 TIFF is 240 MB uncompressed
DEFAULT_MAX_BYTES = 16 * 2**30
IGNORED_NAMES = ("__MACOSX", ".DS_Store")
_CHUNK = 2**20


@dataclass(frozen=True)
class FileError:
    """One problem with one file (or with the whole archive, named by the archive)."""

    name: str
    code: str
    message: str


class ArchiveError(ValueError):
    """Raised when an archive is refused; ``errors`` lists every problem found.

    ``what`` names what was refused in the message ("the zip of clean images has 2 problems: ...").
    """

    what = "the archive"

    def __init__(self, errors: list[FileError], *, what: str | None = None) -> None:
        self.errors = list(errors)
        if what is not None:
            self.what = what
        lines = [f"{e.name}: {e.message}" for e in self.errors]
        n = len(lines)
        super().__init__(f"{self.what} has {n} problem{'' if n == 1 else 's'}:\n" + "\n".join(lines))

    def named(self, what: str) -> ArchiveError:
        """The same problems, said of ``what`` (the caller knows what the archive was)."""
        return type(self)(self.errors, what=what)


def is_ignored(parts: tuple[str, ...]) -> bool:
    """Whether a path (as its parts) is macOS metadata that archives and folders skip."""
    return any(part in IGNORED_NAMES for part in parts)


def _unsafe_reason(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    mode = info.external_attr >> 16
    if "\x00" in name:
        return "contains a NUL byte"
    if "\\" in name:
        return "contains a backslash; archive paths use '/'"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "is an absolute path"
    if ".." in PurePosixPath(name).parts:
        return "climbs out of the folder with '..'"
    if mode and stat.S_ISLNK(mode):
        return "is a symbolic link"
    if mode and stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return "is not a regular file"
    return None


def _plan_zip(archive: zipfile.ZipFile, label: str, *, max_files: int, max_bytes: int, max_file_bytes: int):
    errors: list[FileError] = []
    plan: list[zipfile.ZipInfo] = []
    seen: set[str] = set()
    total = 0
    for info in archive.infolist():
        reason = _unsafe_reason(info)
        if reason:
            errors.append(FileError(info.filename, "unsafe_path", reason))
            continue
        if is_ignored(PurePosixPath(info.filename).parts) or info.is_dir():
            continue
        if info.flag_bits & 0x1:
            errors.append(FileError(info.filename, "encrypted", "is encrypted; submit an unencrypted archive"))
        elif info.filename in seen:
            errors.append(FileError(info.filename, "duplicate", "appears twice in the archive"))
        elif info.file_size > max_file_bytes:
            errors.append(
                FileError(info.filename, "too_large", f"unpacks to {info.file_size} bytes; limit {max_file_bytes}")
            )
        seen.add(info.filename)
        total += info.file_size
        plan.append(info)
    if len(plan) > max_files:
        errors.append(FileError(label, "too_many_files", f"holds {len(plan)} files; limit {max_files}"))
    if total > max_bytes:
        errors.append(FileError(label, "too_large", f"unpacks to {total} bytes; limit {max_bytes} (zip bomb?)"))
    return plan, errors


def _extract_one(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int) -> int:
    """Copy one member, refusing more bytes than declared or than ``budget``; returns bytes written."""
    limit = min(info.file_size, budget)
    written = 0
    with archive.open(info) as source, target.open("wb") as sink:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise ArchiveError([FileError(info.filename, "too_large", "unpacks to more than it declares")])
            sink.write(chunk)
    return written


def safe_extract_zip(
    zip_path: str | Path,
    dest: str | Path,
    *,
    max_files: int = DEFAULT_MAX_FILES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> list[Path]:
    """Extract a zip archive into the new or empty folder ``dest``, refusing unsafe content.

    Every member is checked before anything is written; on any problem nothing is left behind.

    Returns
    -------
    list of Path
        The extracted files.

    Raises
    ------
    ArchiveError
        With one ``FileError`` per problem (see the module docstring for the rules).
    """
    zip_path, dest = Path(zip_path), Path(dest)
    label = zip_path.name
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ValueError(f"{dest} must be a new or empty folder")
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError([FileError(label, "unreadable", f"is not a readable zip archive ({exc})")]) from exc
    with archive:
        plan, errors = _plan_zip(
            archive, label, max_files=max_files, max_bytes=max_bytes, max_file_bytes=max_file_bytes
        )
        if errors:
            raise ArchiveError(errors)
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        written: list[Path] = []
        try:
            budget = max_bytes
            for info in plan:
                target = (root / PurePosixPath(info.filename)).resolve()
                if not target.is_relative_to(root) or target == root:
                    raise ArchiveError([FileError(info.filename, "unsafe_path", "resolves outside the folder")])
                target.parent.mkdir(parents=True, exist_ok=True)
                budget -= _extract_one(archive, info, target, min(budget, max_file_bytes))
                written.append(target)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
            _remove_contents(root)
            raise ArchiveError([FileError(label, "unreadable", f"cannot be extracted ({exc})")]) from exc
        except ArchiveError:
            _remove_contents(root)
            raise
    return written


def _remove_contents(root: Path) -> None:
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


class _Sink:
    """A write-only, unseekable file for ``zipfile`` that hands out what was written so far."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._offset = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def stream_zip(files: Iterable[tuple[str, str | Path | Callable[[], BinaryIO]]], *, chunk_size: int = _CHUNK,
               compress: bool = False) -> Iterator[bytes]:
    """The bytes of a zip archive of ``files`` (``(name in the archive, source)``), made as they are read.

    A source is a path, or a function that opens a binary file (a file in any storage). Nothing is held
    in memory beyond one chunk, so a dataset of any size streams to a download.
    Images are stored as they are (``compress=False``): PNG, TIFF and JPEG are compressed already.
    """
    sink = _Sink()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(sink, "w", compression=method, allowZip64=True) as archive:
        for name, source in files:
            if callable(source):
                info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                opener = source
            else:
                info = zipfile.ZipInfo.from_file(source, arcname=name)
                opener = partial(open, source, "rb")
            info.compress_type = method
            with opener() as src, archive.open(info, "w", force_zip64=True) as dst:
                while chunk := src.read(chunk_size):
                    dst.write(chunk)
                    data = sink.take()
                    if data:
                        yield data
            data = sink.take()
            if data:
                yield data
    yield sink.take()
