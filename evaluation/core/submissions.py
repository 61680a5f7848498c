"""Checking leaderboard submissions: per-file validation of a folder of restorations.

A submission is a folder (or a zip archive of one, unpacked by :func:`imaging.archives.safe_extract_zip`)
holding one restored image per benchmark image, named by the same stem. Every problem is reported per
file with a code and a sentence, and all of them are collected before anything is refused, so a
submitter fixes everything in one go.

Error codes: ``missing``, ``extra``, ``duplicate``, ``nested``, ``unsupported``, ``unreadable``,
``size``, ``channels``, ``bit_depth``, ``unsafe_path``, and those of the archive rules
(:mod:`imaging.archives`). Images of the wrong size are rejected, never resized.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from imaging.archives import ArchiveError, FileError, is_ignored
from imaging.files import list_images
from imaging.io import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, ImageError, image_size, read_image

__all__ = [
    "FileError",
    "SubmissionError",
    "SubmissionReport",
    "expected_from_folder",
    "validate_submission_dir",
]

Expected = dict[str, tuple[tuple[int, ...], "np.dtype | str"]]


class SubmissionError(ArchiveError):
    """Raised when a submission is refused; ``errors`` lists every problem found."""

    what = "the submission"


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


def expected_from_folder(gt_dir: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Expected:
    """``{stem: (shape, dtype)}`` of the ground-truth images a submission must match."""
    expected: Expected = {}
    for stem, path in list_images(gt_dir).items():
        image = read_image(path, max_pixels=max_pixels, single_image=True)
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
        image = read_image(path, max_pixels=max_pixels, single_image=True)
    except ImageError as exc:
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
        if is_ignored(rel.parts) or (path.is_dir() and not path.is_symlink()):
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
