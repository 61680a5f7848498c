"""Reading clean images and writing PNGs atomically (temporary file, then ``os.replace``)."""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

#: Suffix of the temporary files; a reader of a folder ignores them.
TMP_SUFFIX = ".tmp.png"
#: Extensions of the clean images a dataset is built from.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
#: PNG compression level: fast, the files are written once and read by training.
PNG_COMPRESSION = 1
#: For overlays and masks (mostly zeros): run-length zlib strategy and the "sub" filter encode a
#: 4944 x 3396 RGBA overlay about 3x faster and 1.5x smaller than the defaults.
_SPARSE = [cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
if hasattr(cv2, "IMWRITE_PNG_FILTER"):
    _SPARSE += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_SUB]


def write_png_atomic(path: str | os.PathLike, image: np.ndarray, *, sparse: bool = False) -> None:
    """Write ``image`` (uint8 / uint16; 1, 3 or 4 channels, OpenCV order) to ``path`` atomically.

    ``sparse=True`` picks encoder settings for images that are mostly zero (overlays, masks).
    """
    path = Path(path)
    if image.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"a PNG holds uint8 or uint16, got {image.dtype}")
    tmp = path.with_name(path.stem + TMP_SUFFIX)
    params = [cv2.IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION] + (_SPARSE if sparse else [])
    ok = cv2.imwrite(str(tmp), image, params)
    if not ok:
        raise OSError(f"could not write {tmp}")
    os.replace(tmp, path)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """A clean image as uint8 / uint16, grey (H x W) or colour (H x W x 3, BGR); alpha dropped."""
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ValueError(f"cannot read image {path} (corrupt, truncated or not an image)")
    if img.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"{path}: images must be 8 or 16 bit, got {img.dtype}")
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[..., :3]
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    return np.ascontiguousarray(img)


def remove_temporaries(folder: str | os.PathLike) -> int:
    """Delete leftover temporary files (of an interrupted write) in ``folder``; returns how many."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    stale = list(folder.glob("*" + TMP_SUFFIX))
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)
