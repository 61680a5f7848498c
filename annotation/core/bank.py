"""The artefact bank: cut-outs of annotated artefacts and imported artefact images.

Rasterisation convention: pixel ``(i, j)`` covers ``[i, i + 1] x [j, j + 1]``
(see :mod:`annotation.core.geometry`). ``alpha="binary"`` sets a pixel opaque
when its centre lies inside the polygon; ``alpha="coverage"`` (anti-aliased)
sets alpha to the share of the pixel the polygon covers, estimated on a
4 x 4 grid of sample points per pixel. Self-intersecting rings are filled
even-odd, as ``shapely.make_valid`` repairs them.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from skimage.draw import polygon as fill_polygon

from annotation.core.types import CLASSES

#: Folder -> class map of the public synthetic artefacts (data README and the paper's loader).
DEFAULT_PUBLIC_MAPPING: dict[str, str] = {
    "sprinkles": "dust",
    "dirt": "dirt", "dots": "dirt", "smut": "dirt", "spots": "dirt", "stain": "dirt",
    "scratches": "dirt",
    "hair-short": "short hair", "lint": "short hair",
    "hair": "long hair",
}

_SUPERSAMPLE = 4


def rasterise(polygon, shape: tuple[int, int], *,
              alpha: Literal["binary", "coverage"] = "binary") -> np.ndarray:
    """Mask of ``polygon`` (N, 2 x/y) on a ``shape`` = (H, W) grid, float64 in [0, 1]."""
    pts = np.asarray(polygon, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
        raise ValueError(f"polygon must be an (N >= 3, 2) array of x, y, got shape {pts.shape}")
    h, w = shape
    if alpha == "binary":
        mask = np.zeros((h, w), dtype=np.float64)
        rr, cc = fill_polygon(pts[:, 1] - 0.5, pts[:, 0] - 0.5, shape=(h, w))
        mask[rr, cc] = 1.0
        return mask
    if alpha != "coverage":
        raise ValueError(f"alpha must be 'binary' or 'coverage', got {alpha!r}")
    s = _SUPERSAMPLE
    fine = np.zeros((h * s, w * s), dtype=np.float64)
    rr, cc = fill_polygon(pts[:, 1] * s - 0.5, pts[:, 0] * s - 0.5, shape=fine.shape)
    fine[rr, cc] = 1.0
    return fine.reshape(h, s, w, s).mean(axis=(1, 3))


def cut_out(image: np.ndarray, polygon, *,
            alpha: Literal["binary", "coverage"] = "binary") -> np.ndarray:
    """Cut an artefact out of a scan into a zero-padded square RGBA image.

    Parameters
    ----------
    image : np.ndarray
        ``(H, W)`` grey, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA, ``uint8`` or ``uint16``.
    polygon : array_like
        (N, 2) outline in the scan's pixel coordinates (must lie in the image).
    alpha : {"binary", "coverage"}
        Alpha from the polygon: hard (pixel centre inside) or anti-aliased.

    Returns
    -------
    np.ndarray
        ``(S, S, 4)`` of the image's dtype, ``S = max(bbox width, bbox height)``
        with the bounding box ``floor(min) .. ceil(max)`` centred (extra padding
        goes right / down). Colour holds the scan's pixels where alpha > 0 and
        zero elsewhere; alpha is scaled to the dtype's maximum (255 or 65535).
        A grey scan gives equal R, G and B; an RGBA scan's own alpha is
        multiplied into the polygon's.
    """
    image = np.asarray(image)
    if image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"image must be uint8 or uint16, got {image.dtype}")
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        raise ValueError(f"image must be (H, W) or (H, W, 3|4), got shape {image.shape}")
    pts = np.asarray(polygon, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3 or not np.isfinite(pts).all():
        raise ValueError(f"polygon must be a finite (N >= 3, 2) array of x, y, got shape {pts.shape}")
    height, width = image.shape[:2]
    x0, y0 = (int(math.floor(v)) for v in pts.min(axis=0))
    x1, y1 = (int(math.ceil(v)) for v in pts.max(axis=0))
    if x0 < 0 or y0 < 0 or x1 > width or y1 > height or x1 <= x0 or y1 <= y0:
        raise ValueError(f"polygon box ({x0}, {y0}) - ({x1}, {y1}) must lie inside the "
                         f"{width} x {height} image and have an area")
    crop = image[y0:y1, x0:x1]
    if crop.ndim == 2:
        crop = np.repeat(crop[:, :, None], 3, axis=2)
    mask = rasterise(pts - [x0, y0], (y1 - y0, x1 - x0), alpha=alpha)
    if crop.shape[2] == 4:
        mask = mask * (crop[:, :, 3] / np.iinfo(image.dtype).max)
    top = np.iinfo(image.dtype).max
    a = np.rint(mask * top).astype(image.dtype)
    rgba = np.concatenate([np.where(a[:, :, None] > 0, crop[:, :, :3], 0), a[:, :, None]], axis=2)
    side = max(x1 - x0, y1 - y0)
    out = np.zeros((side, side, 4), dtype=image.dtype)
    oy, ox = (side - (y1 - y0)) // 2, (side - (x1 - x0)) // 2
    out[oy:oy + rgba.shape[0], ox:ox + rgba.shape[1]] = rgba
    return out


def load_artefact_image(path) -> tuple[np.ndarray, float]:
    """Read an RGBA artefact image (the shared 400 x 400 PNGs).

    Returns
    -------
    (rgba, area_px)
        ``rgba`` as ``(H, W, 4) uint8``; ``area_px`` is the alpha-weighted area,
        ``sum(alpha) / 255`` (partly transparent pixels count in part).

    Raises
    ------
    imaging.io.ImageError
        Unreadable file. ``ValueError`` when it has no alpha, is not 8-bit or
        is fully transparent.
    """
    from imaging.io import read_image

    rgba = read_image(path)
    if rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"{path}: an artefact image needs an alpha channel (RGBA), "
                         f"got shape {rgba.shape}")
    if rgba.dtype != np.uint8:
        raise ValueError(f"{path}: artefact images must be 8-bit, got {rgba.dtype}")
    area = float(rgba[:, :, 3].sum(dtype=np.int64)) / 255.0
    if area <= 0:
        raise ValueError(f"{path}: the alpha channel is empty (fully transparent image)")
    return rgba, area


def parse_mapping(text: str) -> dict[str, str]:
    """Parse ``"sprinkles=dust,hair-short=short hair,..."`` into ``{folder: class}``.

    Class names are matched without regard to case, and ``_`` may stand for a
    space (``short_hair``). Unknown classes, empty or repeated folders and
    pieces without ``=`` are refused.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the mapping is empty; expected 'folder=class,folder=class,...'")
    mapping: dict[str, str] = {}
    for piece in text.split(","):
        folder, sep, cls = piece.partition("=")
        folder = folder.strip()
        cls = " ".join(cls.replace("_", " ").split()).lower()
        if not sep or not folder:
            raise ValueError(f"mapping piece {piece.strip()!r} must look like 'folder=class'")
        if cls not in CLASSES:
            raise ValueError(f"mapping {folder!r}: unknown class {cls!r}; allowed: {', '.join(CLASSES)}")
        if folder in mapping:
            raise ValueError(f"mapping names folder {folder!r} twice")
        if "/" in folder or "\\" in folder or folder in (".", ".."):
            raise ValueError(f"mapping folder {folder!r} must be a plain folder name")
        mapping[folder] = cls
    return mapping


@dataclass(frozen=True)
class BankSource:
    """One artefact image to import: its file, folder and class."""

    path: Path
    folder: str
    cls: str


def iter_artefact_folder(root, mapping: Mapping[str, str], *,
                         ignore_unmapped: bool = False) -> Iterator[BankSource]:
    """The PNG files of each mapped sub-folder of ``root``, sorted by folder then name.

    Raises ``ValueError`` at once (before iterating) when a mapped folder is
    missing or, unless ``ignore_unmapped``, when ``root`` holds a folder the
    mapping does not name.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder")
    for cls in mapping.values():
        if cls not in CLASSES:
            raise ValueError(f"unknown class {cls!r}; allowed: {', '.join(CLASSES)}")
    present = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    missing = sorted(set(mapping) - present)
    if missing:
        raise ValueError(f"{root} has no folder(s) {', '.join(missing)}")
    unmapped = sorted(present - set(mapping))
    if unmapped and not ignore_unmapped:
        raise ValueError(f"{root} has folder(s) {', '.join(unmapped)} that the mapping does not "
                         "name; map them or ignore them explicitly")
    return _iter_sources(root, dict(mapping))


def _iter_sources(root: Path, mapping: dict[str, str]) -> Iterator[BankSource]:
    for folder in sorted(mapping):
        for path in sorted((root / folder).iterdir()):
            if path.is_file() and path.suffix.lower() == ".png":
                yield BankSource(path=path, folder=folder, cls=mapping[folder])
