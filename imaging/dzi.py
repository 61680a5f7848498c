"""Deep Zoom (DZI) tile pyramids, the format OpenSeadragon reads.

Layout (Microsoft Deep Zoom, as written by libvips ``dzsave`` and
``deepzoom.py``)::

    NAME.dzi                      XML: tile size, overlap, format, full size
    NAME_files/<level>/<col>_<row>.<fmt>

Level ``L`` runs from 0 (1 x 1 px) to ``max_level = ceil(log2(max(w, h)))``
(full size); level ``L`` measures ``ceil(w / 2**(max_level - L))`` by
``ceil(h / 2**(max_level - L))``. Tiles are ``tile_size`` px plus ``overlap``
px on each side that has a neighbour. Each level is made from the one above
it by halving with area interpolation, so only two levels are in memory.
"""
from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import quoteattr

import cv2
import numpy as np

from imaging.io import encode_image, to_display_8bit
from imaging.progress import ProgressFn


def dzi_levels(width: int, height: int) -> list[tuple[int, int]]:
    """``(w, h)`` of every level, level 0 (1 x 1) first, full size last."""
    if width < 1 or height < 1:
        raise ValueError(f"image size must be positive, got {width} x {height}")
    max_level = math.ceil(math.log2(max(width, height)))
    return [(math.ceil(width / 2 ** (max_level - lv)), math.ceil(height / 2 ** (max_level - lv)))
            for lv in range(max_level + 1)]


def tile_grid(width: int, height: int, tile_size: int) -> tuple[int, int]:
    """``(cols, rows)`` of tiles over a level of ``width`` x ``height``."""
    return math.ceil(width / tile_size), math.ceil(height / tile_size)


def tile_bounds(col: int, row: int, width: int, height: int, *, tile_size: int,
                overlap: int) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` pixel box of tile ``(col, row)`` including its overlap."""
    x0 = max(col * tile_size - overlap, 0)
    y0 = max(row * tile_size - overlap, 0)
    x1 = min((col + 1) * tile_size + overlap, width)
    y1 = min((row + 1) * tile_size + overlap, height)
    return x0, y0, x1, y1


def dzi_xml(width: int, height: int, *, tile_size: int, overlap: int, fmt: str) -> str:
    """The ``.dzi`` descriptor."""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" Format={quoteattr(fmt)} '
            f'Overlap="{overlap}" TileSize="{tile_size}">\n'
            f'  <Size Width="{width}" Height="{height}"/>\n'
            '</Image>\n')


def build_dzi(
    image: np.ndarray,
    out_dir: str | os.PathLike,
    *,
    name: str = "scan",
    tile_size: int = 254,
    overlap: int = 1,
    fmt: Literal["jpg", "png"] = "jpg",
    quality: int = 90,
    display: Literal["full", "percentile"] = "full",
    progress: ProgressFn | None = None,
) -> Path:
    """Write a Deep Zoom pyramid of ``image`` into ``out_dir``.

    Parameters
    ----------
    image : np.ndarray
        ``(H, W)`` or ``(H, W, 3|4)`` ``uint8`` or ``uint16``; 16-bit images are
        tiled through :func:`imaging.io.to_display_8bit` with ``display``.
    out_dir : path
        Folder that receives ``NAME.dzi`` and ``NAME_files/``; an existing
        pyramid of that name is replaced. Tiles are written to a temporary
        folder first and the ``.dzi`` last, so a half-built pyramid is never seen.
    name : str
        Base name of the pyramid (letters, digits, ``-`` and ``_``).
    tile_size, overlap : int
        Tile edge and overlap in pixels (254 and 1 make 256 px interior tiles).
    fmt : {"jpg", "png"}
        Tile format; JPEG tiles cannot hold alpha.
    quality : int
        JPEG quality.
    progress : callable, optional
        ``progress(tiles_done, tiles_total)``, called about a hundred times.

    Returns
    -------
    Path of the ``.dzi`` file.
    """
    image = _check_inputs(image, name, tile_size, overlap, fmt)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = out_dir / f"{name}_files"
    partial = out_dir / f".{name}_files.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    descriptor = ""
    for rel, data in dzi_files(image, name=name, tile_size=tile_size, overlap=overlap, fmt=fmt, quality=quality,
                               display=display, progress=progress):
        if rel.endswith(".dzi"):
            descriptor = data.decode()
            continue
        target = partial / rel.split("/", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    dzi = out_dir / f"{name}.dzi"
    dzi.unlink(missing_ok=True)
    shutil.rmtree(files, ignore_errors=True)
    partial.rename(files)
    dzi.write_text(descriptor)
    return dzi


def dzi_files(
    image: np.ndarray,
    *,
    name: str = "scan",
    tile_size: int = 254,
    overlap: int = 1,
    fmt: Literal["jpg", "png"] = "jpg",
    quality: int = 90,
    display: Literal["full", "percentile"] = "full",
    progress: ProgressFn | None = None,
) -> Iterator[tuple[str, bytes]]:
    """The files of a Deep Zoom pyramid of ``image``, as ``(relative name, bytes)``, the ``.dzi`` last.

    Names are ``NAME_files/<level>/<col>_<row>.<fmt>`` and finally ``NAME.dzi``, so a writer that
    stores them in order (to a folder, or to any storage) publishes the descriptor only once every tile
    is there. Options as :func:`build_dzi`; only two levels are in memory at once.
    """
    image = _check_inputs(image, name, tile_size, overlap, fmt)
    height, width = image.shape[:2]
    levels = dzi_levels(width, height)
    total = sum(math.prod(tile_grid(w, h, tile_size)) for w, h in levels)
    step = max(1, total // 100)
    level = to_display_8bit(image, mode=display)
    done = 0
    for lv in range(len(levels) - 1, -1, -1):
        w, h = levels[lv]
        if level.shape[1] != w or level.shape[0] != h:
            level = cv2.resize(level, (w, h), interpolation=cv2.INTER_AREA)
        cols, rows = tile_grid(w, h, tile_size)
        for row in range(rows):
            for col in range(cols):
                x0, y0, x1, y1 = tile_bounds(col, row, w, h, tile_size=tile_size, overlap=overlap)
                yield f"{name}_files/{lv}/{col}_{row}.{fmt}", encode_image(level[y0:y1, x0:x1], fmt=fmt,
                                                                             quality=quality)
                done += 1
                if progress is not None and (done % step == 0 or done == total):
                    progress(done, total)
    yield f"{name}.dzi", dzi_xml(width, height, tile_size=tile_size, overlap=overlap, fmt=fmt).encode()


def _check_inputs(image, name: str, tile_size: int, overlap: int, fmt: str) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"image must be uint8 or uint16, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
        raise ValueError(f"image must be (H, W) or (H, W, 3|4), got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image has no pixels: shape {image.shape}")
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise ValueError(f"name must be letters, digits, '-' or '_', got {name!r}")
    if tile_size < 1 or overlap < 0 or overlap >= tile_size:
        raise ValueError(f"need tile_size >= 1 and 0 <= overlap < tile_size, got {tile_size}, {overlap}")
    if fmt not in ("jpg", "png"):
        raise ValueError(f"fmt must be 'jpg' or 'png', got {fmt!r}")
    if fmt == "jpg" and image.ndim == 3 and image.shape[2] == 4:
        raise ValueError("JPEG tiles cannot hold alpha: use fmt='png' for an RGBA image")
    return image
