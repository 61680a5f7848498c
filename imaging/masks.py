"""Binary masks: dilation by a disk.

Two disks are in use, and each caller keeps its own so that its masks stay bit for bit what they
were: ``"euclidean"``, the pixels within ``radius`` of the centre (``skimage.morphology.disk``),
which the metric card's damage regions use; ``"ellipse"``, OpenCV's elliptic structuring element
of ``2 radius + 1`` px (``cv2.getStructuringElement(cv2.MORPH_ELLIPSE, ...)``), which the
restoration pipelines use. They differ at some radii (e.g. 2, 4).
"""
from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from imaging.arrays import MetricInputError

__all__ = ["DISKS", "dilate_mask", "disk_kernel"]

Disk = Literal["euclidean", "ellipse"]
DISKS: tuple[str, ...] = ("euclidean", "ellipse")


def disk_kernel(radius: int, *, disk: Disk) -> np.ndarray:
    """The ``(2 radius + 1)``-px square uint8 structuring element of a disk of ``radius`` px."""
    if disk == "euclidean":
        from skimage.morphology import disk as skimage_disk

        return skimage_disk(int(radius)).astype(np.uint8)
    if disk == "ellipse":
        return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    raise ValueError(f"disk must be one of {DISKS}, got {disk!r}")


def dilate_mask(mask: np.ndarray, radius: int, *, disk: Disk = "euclidean") -> np.ndarray:
    """Dilate a boolean mask by a disk of ``radius`` px.

    Parameters
    ----------
    mask : ndarray of bool, shape (H, W)
    radius : int
        Non-negative; 0 returns a copy.
    disk : {"euclidean", "ellipse"}
        The shape of the disk (see the module's docstring); the metric card's by default.

    Returns
    -------
    ndarray of bool, shape (H, W)
    """
    mask = np.asarray(mask)
    if mask.dtype != np.bool_ or mask.ndim != 2:
        raise MetricInputError(f"mask must be a 2-D boolean array, got {mask.dtype} {mask.shape}")
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or radius < 0:
        raise MetricInputError(f"radius must be a non-negative integer, got {radius!r}")
    if radius == 0:
        return mask.copy()
    kernel = disk_kernel(int(radius), disk=disk)
    return cv2.dilate(np.ascontiguousarray(mask, dtype=np.uint8), kernel).astype(bool)
