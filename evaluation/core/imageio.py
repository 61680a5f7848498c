"""Reading benchmark and submission images at their own bit depth, and listing folders by stem.

A thin layer over the project's one image reader, :mod:`imaging.io`: it adds what the leaderboard
needs on top, the file name in every message, a suffix check, a pixel limit of its own, refusal
of multi-image TIFFs, and folder listing by file stem. Nothing is converted, rescaled or resized;
the pixel count is read from the header first, so a decompression bomb is refused before it is
decoded; truncated PNG, JPEG and TIFF files are refused by :mod:`imaging.io`'s structure checks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from imaging import io as imio
from imaging.probe import open_tiff

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_SUFFIXES",
    "ImageReadError",
    "image_size",
    "list_images",
    "read_image",
]

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")
DEFAULT_MAX_PIXELS = 120_000_000  # a 16-bit 8000 x 5000 scan is 40 Mpx; this leaves room, not bombs
_TIFF_SUFFIXES = (".tif", ".tiff")


class ImageReadError(imio.ImageError):
    """Raised when an image cannot be read: unsupported, corrupt, truncated or too large.

    A subclass of :class:`imaging.io.ImageError` (itself a ``ValueError``), so callers of either
    module catch it.
    """


def image_size(path: str | Path) -> tuple[int, int]:
    """``(height, width)`` from the file header, without decoding the pixels."""
    path = Path(path)
    try:
        info = imio.probe_image(path)
    except (imio.ImageError, OSError) as exc:
        raise ImageReadError(f"{path.name}: cannot read the image header ({exc})") from exc
    return info.height, info.width


def read_image(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image as ``(H, W)`` or ``(H, W, C)`` RGB(A) at its own dtype (uint8 or uint16).

    Parameters
    ----------
    path : str or Path
        A .png, .tif, .tiff, .jpg or .jpeg file.
    max_pixels : int
        Refuse images with more pixels than this (checked on the header, before decoding).

    Raises
    ------
    ImageReadError
        Unsupported suffix, unreadable, corrupt or truncated file, multi-image TIFF, or too large.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ImageReadError(f"{path.name}: unsupported file type {suffix!r}; allowed: {', '.join(IMAGE_SUFFIXES)}")
    height, width = image_size(path)
    if height * width > max_pixels:
        raise ImageReadError(f"{path.name}: {width} x {height} px is over the limit of {max_pixels} pixels")
    if suffix in _TIFF_SUFFIXES:
        _check_single_tiff(path)
    try:
        image = imio.read_image(path, max_pixels=None)
    except (imio.ImageError, OSError) as exc:
        raise ImageReadError(f"{path.name}: {exc}") from exc
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or image.shape[:2] != (height, width):
        raise ImageReadError(f"{path.name}: decoded shape {image.shape} is not a single {width} x {height} image")
    return image


def _check_single_tiff(path: Path) -> None:
    try:
        with open_tiff(path) as tif:
            several = len(tif.series) != 1 or len(tif.series[0].shape) > 3
    except (imio.ImageError, OSError) as exc:
        raise ImageReadError(f"{path.name}: {exc}") from exc
    if several:
        raise ImageReadError(f"{path.name}: holds several images; one image per file is allowed")


def list_images(folder: str | Path) -> dict[str, Path]:
    """Map file stem to path for the images directly in ``folder`` (hidden files are skipped).

    Raises
    ------
    ImageReadError
        When ``folder`` is not a directory or two images share a stem (``a.png`` and ``a.tif``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageReadError(f"{folder} is not a directory")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if path.stem in found:
            raise ImageReadError(f"{folder}: {found[path.stem].name} and {path.name} share the name {path.stem!r}")
        found[path.stem] = path
    return found
