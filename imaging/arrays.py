"""Checks of image arrays that the metrics, LPIPS and the masks share.

An image is ``(H, W)`` grey or ``(H, W, C)``; its data range is that of its dtype (255 for uint8,
65535 for uint16) or given explicitly for floats, which are refused without one, as scikit-image
does. A pair of images to compare must match exactly in shape and dtype: nothing is resized or
converted to make them agree.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["MetricInputError", "check_pair", "infer_data_range"]

_INTEGER_RANGES = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}


class MetricInputError(ValueError):
    """Raised when images or masks given to a metric are not acceptable; says what is allowed."""


def infer_data_range(image: np.ndarray, data_range: float | None = None) -> float:
    """Return the data range R of ``image``: 255 for uint8, 65535 for uint16, else the one given.

    Parameters
    ----------
    image : ndarray
        The image whose dtype decides the range.
    data_range : float, optional
        Explicit range; required for float images, and overrides the integer default when given.

    Returns
    -------
    float
        The range, positive and finite.
    """
    if data_range is not None:
        value = float(data_range)
        if not math.isfinite(value) or value <= 0:
            raise MetricInputError(f"data_range must be a positive finite number, got {data_range!r}")
        return value
    try:
        return _INTEGER_RANGES[image.dtype]
    except KeyError:
        raise MetricInputError(
            f"cannot infer the data range of a {image.dtype} image: uint8 (255) and uint16 (65535) "
            "are inferred; pass data_range for any other dtype"
        ) from None


def check_pair(reference: np.ndarray, test: np.ndarray) -> None:
    """Refuse a pair of images that are not ``(H, W)`` or ``(H, W, C)`` with C in 1 or 3, or differ.

    Parameters
    ----------
    reference, test : ndarray
        The two images; they must have exactly the same shape and dtype.
    """
    for label, image in (("reference", reference), ("test", test)):
        if not isinstance(image, np.ndarray):
            raise MetricInputError(f"{label} must be a NumPy array, got {type(image).__name__}")
        if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3)):
            raise MetricInputError(
                f"{label} has shape {image.shape}: expected (H, W) grey or (H, W, C) with C = 1 or 3 "
                "(drop an alpha channel first)"
            )
    if reference.shape != test.shape:
        raise MetricInputError(
            f"shape mismatch: reference {reference.shape} vs test {test.shape}; images are never resized"
        )
    if reference.dtype != test.dtype:
        raise MetricInputError(
            f"dtype mismatch: reference {reference.dtype} vs test {test.dtype}; bit depths must match"
        )
