"""Image files in folders: listing them by stem, and writing PNGs atomically.

An atomic write goes to a temporary file next to its target (``NAME.tmp.png``) and is moved in
place with ``os.replace``, so a reader, or a build resumed after its worker was killed, never sees
half a file; :func:`remove_temporaries` deletes what an interrupted write left behind.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from imaging.io import IMAGE_SUFFIXES, ImageError, encode_image

__all__ = ["PNG_FAST_LEVEL", "TMP_SUFFIX", "list_images", "remove_temporaries", "write_png_atomic"]

#: Suffix of the temporary files; a reader of a folder ignores them.
TMP_SUFFIX = ".tmp.png"
#: PNG compression level of :func:`write_png_atomic`: fast, the files are written once and read by training.
PNG_FAST_LEVEL = 1


def list_images(folder: str | os.PathLike) -> dict[str, Path]:
    """Map file stem to path for the images directly in ``folder`` (hidden files are skipped).

    Raises
    ------
    ImageError
        When ``folder`` is not a directory or two images share a stem (``a.png`` and ``a.tif``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageError(f"{folder} is not a directory")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if path.stem in found:
            raise ImageError(f"{folder}: {found[path.stem].name} and {path.name} share the name {path.stem!r}")
        found[path.stem] = path
    return found


def write_png_atomic(path: str | os.PathLike, image: np.ndarray, *, sparse: bool = False) -> None:
    """Write ``image`` (uint8 / uint16; grey, RGB or RGBA) to ``path`` as PNG, atomically.

    ``sparse=True`` picks encoder settings for images that are mostly zero (overlays, masks).
    """
    path = Path(path)
    if image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"a PNG holds uint8 or uint16, got {image.dtype}")
    tmp = path.with_name(path.stem + TMP_SUFFIX)
    tmp.write_bytes(encode_image(image, fmt="PNG", png_level=PNG_FAST_LEVEL, sparse=sparse))
    os.replace(tmp, path)


def remove_temporaries(folder: str | os.PathLike) -> int:
    """Delete leftover temporary files (of an interrupted write) in ``folder``; returns how many."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    stale = list(folder.glob("*" + TMP_SUFFIX))
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)
