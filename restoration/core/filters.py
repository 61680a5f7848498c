"""Classical restoration baseline: a Dust & Scratches filter like Photoshop's.

Each pixel is compared with the median of its neighbourhood; where the
difference exceeds a threshold the median replaces it, elsewhere the pixel is
kept bit-exact. The paper (Table 4) uses Photoshop's filter as the off-the-shelf
baseline; its two knobs are the same as here: ``radius`` and ``threshold`` (in
8-bit levels).
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

SHAPES = ("square", "disk")


class FilterError(ValueError):
    """Raised for invalid filter parameters or images."""


def _disk(radius: int) -> np.ndarray:
    yy, xx = np.mgrid[-radius: radius + 1, -radius: radius + 1]
    return (yy**2 + xx**2) <= radius**2 + radius  # the usual digital disk, a bit rounder


def median_filter(channel: np.ndarray, *, radius: int, shape: str = "square") -> np.ndarray:
    """Median of a ``(2 radius + 1)`` neighbourhood of one 2-D channel, borders replicated.

    Uses OpenCV's constant-time median where it supports the dtype and size
    (uint8 square of any size, uint16 square of side 3 or 5), SciPy elsewhere;
    both replicate the border pixels, so they give the same answer.
    """
    k = 2 * radius + 1
    if shape == "square":
        if channel.dtype == np.uint8 or (channel.dtype == np.uint16 and k <= 5):
            return cv2.medianBlur(np.ascontiguousarray(channel), k)
        return ndimage.median_filter(channel, size=k, mode="nearest")
    if shape == "disk":
        return ndimage.median_filter(channel, footprint=_disk(radius), mode="nearest")
    raise FilterError(f"shape {shape!r} is unknown; use one of {SHAPES}")


def dust_and_scratches(
    image: np.ndarray,
    *,
    radius: int = 2,
    threshold: float = 10.0,
    shape: str = "square",
) -> tuple[np.ndarray, np.ndarray]:
    """Replace pixels that differ from their local median by more than ``threshold``.

    Parameters
    ----------
    image : ndarray, uint8 or uint16, (H, W) or (H, W, C)
        The scan.
    radius : int
        Neighbourhood radius in pixels (1 to 100); the window side is ``2 radius + 1``.
    threshold : float
        Minimum absolute difference from the median, in 8-bit levels (0 to 255)
        as in Photoshop; multiplied by 257 for uint16 images. A pixel changes
        where ``|pixel - median| > threshold`` in a channel; each channel is
        decided on its own.
    shape : {"square", "disk"}
        Neighbourhood shape.

    Returns
    -------
    restored : ndarray
        Same shape and dtype as ``image``; unchanged pixels are bit-exact.
    mask : ndarray, bool, (H, W)
        True where any channel was replaced.
    """
    if not isinstance(image, np.ndarray) or image.dtype not in (np.uint8, np.uint16):
        got = image.dtype if isinstance(image, np.ndarray) else type(image).__name__
        raise FilterError(f"image must be a uint8 or uint16 array, got {got}")
    if image.ndim not in (2, 3) or image.size == 0:
        raise FilterError(f"image must be a non-empty (H, W) or (H, W, C) array, got {image.shape}")
    if not isinstance(radius, (int, np.integer)) or not 1 <= radius <= 100:
        raise FilterError(f"radius must be an integer from 1 to 100, got {radius!r}")
    if not 0 <= threshold <= 255:
        raise FilterError(f"threshold must be in [0, 255] (8-bit levels), got {threshold!r}")
    scale = 257.0 if image.dtype == np.uint16 else 1.0
    planes = image[..., None] if image.ndim == 2 else image
    restored = planes.copy()
    mask = np.zeros(planes.shape[:2], dtype=bool)
    for ch in range(planes.shape[2]):
        src = planes[..., ch]
        med = median_filter(src, radius=radius, shape=shape)
        change = np.abs(src.astype(np.int32) - med.astype(np.int32)) > threshold * scale
        restored[..., ch][change] = med[change]
        mask |= change
    return (restored[..., 0] if image.ndim == 2 else restored), mask
