"""Reading benchmark and submission images at their own bit depth, and listing folders by stem.

TIFF goes through tifffile, everything else through ``cv2.imread(..., IMREAD_UNCHANGED)`` with BGR(A)
turned into RGB(A). Nothing is converted, rescaled or resized. The pixel count is read from the
header first, so a decompression bomb is refused before it is decoded.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import tifffile
from PIL import Image

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


class ImageReadError(ValueError):
    """Raised when an image cannot be read: unsupported, corrupt, truncated or too large."""


def image_size(path: str | Path) -> tuple[int, int]:
    """``(height, width)`` from the file header, without decoding the pixels."""
    path = Path(path)
    try:
        if path.suffix.lower() in _TIFF_SUFFIXES:
            with tifffile.TiffFile(path) as tif:
                page = tif.pages.first
                return int(page.imagelength), int(page.imagewidth)
        with Image.open(path) as image:  # lazy: reads the header only
            width, height = image.size
            return int(height), int(width)
    except Exception as exc:  # any parser failure means the file is unreadable
        raise ImageReadError(f"{path.name}: cannot read the image header ({exc})") from exc


def read_image(path: str | Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image as ``(H, W)`` or ``(H, W, C)`` RGB(A) at its own dtype (uint8, uint16, ...).

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
    image = _read_tiff(path) if suffix in _TIFF_SUFFIXES else _read_cv2(path)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or image.shape[:2] != (height, width):
        raise ImageReadError(f"{path.name}: decoded shape {image.shape} is not a single {width} x {height} image")
    return image


def _read_tiff(path: Path) -> np.ndarray:
    try:
        with tifffile.TiffFile(path) as tif:
            if len(tif.series) != 1 or len(tif.series[0].shape) > 3:
                raise ImageReadError(f"{path.name}: holds several images; one image per file is allowed")
            return np.asarray(tif.series[0].asarray())
    except ImageReadError:
        raise
    except Exception as exc:
        raise ImageReadError(f"{path.name}: cannot decode the TIFF ({exc})") from exc


def _read_cv2(path: Path) -> np.ndarray:
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None:
        raise ImageReadError(f"{path.name}: cannot decode the image (corrupt or truncated?)")
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    return image


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
