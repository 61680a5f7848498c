"""Checking leaderboard submissions: safe archive extraction and per-file validation.

A submission is a folder (or a zip archive of one) holding one restored image per benchmark image,
named by the same stem. Every problem is reported per file with a code and a sentence, and all of
them are collected before anything is refused, so a submitter fixes everything in one go.

Error codes: ``missing``, ``extra``, ``duplicate``, ``nested``, ``unsupported``, ``unreadable``,
``size``, ``channels``, ``bit_depth``, ``unsafe_path``, ``encrypted``, ``too_large``,
``too_many_files``. Images of the wrong size are rejected, never resized.

Archive rules (``safe_extract_zip``): no absolute paths, drive letters, ``..`` components,
backslashes, NUL bytes, symlinks or special files; at most ``max_files`` files, each at most
``max_file_bytes`` and all together at most ``max_bytes`` uncompressed (checked on the declared
sizes before extracting and again on the bytes actually written, which stops zip bombs). macOS
metadata (``__MACOSX/``, ``.DS_Store``) is skipped.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from .imageio import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, ImageReadError, image_size, list_images, read_image

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_FILES",
    "DEFAULT_MAX_FILE_BYTES",
    "FileError",
    "SubmissionError",
    "SubmissionReport",
    "expected_from_folder",
    "safe_extract_zip",
    "validate_submission_dir",
]

DEFAULT_MAX_FILES = 1000
DEFAULT_MAX_FILE_BYTES = 512 * 2**20  # a 16-bit RGB 8000 x 5000 TIFF is 240 MB uncompressed
DEFAULT_MAX_BYTES = 16 * 2**30
IGNORED_NAMES = ("__MACOSX", ".DS_Store")
_CHUNK = 2**20

Expected = dict[str, tuple[tuple[int, ...], "np.dtype | str"]]


@dataclass(frozen=True)
class FileError:
    """One problem with one file (or with the whole archive, named by the archive)."""

    name: str
    code: str
    message: str


class SubmissionError(ValueError):
    """Raised when a submission is refused; ``errors`` lists every problem found."""

    def __init__(self, errors: list[FileError]) -> None:
        self.errors = list(errors)
        lines = [f"{e.name}: {e.message}" for e in self.errors]
        super().__init__(f"submission refused ({len(lines)} problem(s)):\n" + "\n".join(lines))


@dataclass
class SubmissionReport:
    """Result of ``validate_submission_dir``: the valid files by stem and the errors."""

    files: dict[str, Path] = field(default_factory=dict)
    errors: list[FileError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self) -> None:
        """Raise ``SubmissionError`` when any error was found."""
        if self.errors:
            raise SubmissionError(self.errors)


def _ignored(parts: tuple[str, ...]) -> bool:
    return any(part in IGNORED_NAMES for part in parts)


def expected_from_folder(gt_dir: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Expected:
    """``{stem: (shape, dtype)}`` of the ground-truth images a submission must match."""
    expected: Expected = {}
    for stem, path in list_images(gt_dir).items():
        image = read_image(path, max_pixels=max_pixels)
        expected[stem] = (image.shape, image.dtype)
    return expected


def _check_image(path: Path, shape: tuple[int, ...], dtype: np.dtype, max_pixels: int) -> FileError | None:
    name = path.name
    try:
        height, width = image_size(path)
        if (height, width) != tuple(shape[:2]):
            return FileError(
                name, "size", f"is {width} x {height} px, expected {shape[1]} x {shape[0]} px (never resized)"
            )
        image = read_image(path, max_pixels=max_pixels)
    except ImageReadError as exc:
        return FileError(name, "unreadable", str(exc))
    channels = 1 if image.ndim == 2 else image.shape[2]
    wanted = 1 if len(shape) == 2 else shape[2]
    if channels != wanted:
        return FileError(name, "channels", f"has {channels} channel(s), expected {wanted}")
    if image.dtype != dtype:
        return FileError(name, "bit_depth", f"is {image.dtype}, expected {dtype} (same bit depth as the ground truth)")
    return None


def validate_submission_dir(
    expected: Expected, submitted_dir: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS
) -> SubmissionReport:
    """Check a folder of restorations against ``expected`` = ``{stem: (shape, dtype)}``.

    Every file is reported: symlinks and files in subfolders are refused, unknown types and stems
    are extra, two files with one stem are duplicates, and each expected image must read, have
    the expected size, channels and dtype. Expected stems with no file are missing.

    Returns
    -------
    SubmissionReport
        ``files`` holds the stems that passed; call ``raise_for_errors()`` to refuse on any error.
    """
    root = Path(submitted_dir)
    report = SubmissionReport()
    if not root.is_dir() or root.is_symlink():
        report.errors.append(FileError(str(root), "unreadable", "the submission is not a folder"))
        return report
    seen: dict[str, Path] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if _ignored(rel.parts) or (path.is_dir() and not path.is_symlink()):
            continue
        name = rel.as_posix()
        if path.is_symlink():
            report.errors.append(FileError(name, "unsafe_path", "is a symbolic link; only regular files are allowed"))
        elif len(rel.parts) > 1:
            report.errors.append(FileError(name, "nested", "is in a subfolder; put the images at the top level"))
        elif not path.is_file():
            report.errors.append(FileError(name, "unsafe_path", "is not a regular file"))
        elif path.suffix.lower() not in IMAGE_SUFFIXES:
            report.errors.append(FileError(name, "unsupported", f"is not an image ({', '.join(IMAGE_SUFFIXES)})"))
        elif path.stem in seen:
            report.errors.append(FileError(name, "duplicate", f"has the same name as {seen[path.stem].name}"))
        elif path.stem not in expected:
            report.errors.append(FileError(name, "extra", f"{path.stem!r} is not an image of this benchmark"))
        else:
            seen[path.stem] = path
    for stem, path in seen.items():
        shape, dtype = expected[stem]
        error = _check_image(path, tuple(shape), np.dtype(dtype), max_pixels)
        if error is None:
            report.files[stem] = path
        else:
            report.errors.append(error)
    for stem in sorted(set(expected) - set(seen)):
        report.errors.append(FileError(stem, "missing", "no file with this name was submitted"))
    return report


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
        if _ignored(PurePosixPath(info.filename).parts) or info.is_dir():
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
                raise SubmissionError([FileError(info.filename, "too_large", "unpacks to more than it declares")])
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
    """Extract a submission archive into the new or empty folder ``dest``, refusing unsafe content.

    Every member is checked before anything is written; on any problem nothing is left behind.

    Returns
    -------
    list of Path
        The extracted files.

    Raises
    ------
    SubmissionError
        With one ``FileError`` per problem (see the module docstring for the rules).
    """
    zip_path, dest = Path(zip_path), Path(dest)
    label = zip_path.name
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ValueError(f"{dest} must be a new or empty folder")
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError([FileError(label, "unreadable", f"is not a readable zip archive ({exc})")]) from exc
    with archive:
        plan, errors = _plan_zip(
            archive, label, max_files=max_files, max_bytes=max_bytes, max_file_bytes=max_file_bytes
        )
        if errors:
            raise SubmissionError(errors)
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        written: list[Path] = []
        try:
            budget = max_bytes
            for info in plan:
                target = (root / PurePosixPath(info.filename)).resolve()
                if not target.is_relative_to(root) or target == root:
                    raise SubmissionError([FileError(info.filename, "unsafe_path", "resolves outside the folder")])
                target.parent.mkdir(parents=True, exist_ok=True)
                budget -= _extract_one(archive, info, target, min(budget, max_file_bytes))
                written.append(target)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
            _remove_contents(root)
            raise SubmissionError([FileError(label, "unreadable", f"cannot be extracted ({exc})")]) from exc
        except SubmissionError:
            _remove_contents(root)
            raise
    return written


def _remove_contents(root: Path) -> None:
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
