"""A film-grain simulator: makes a digital clean image look like a film scan.

Grain is Gaussian noise, blurred to the grain size and scaled back to unit
standard deviation, partly shared between the colour channels (dye clouds of
the layers overlap), with an amplitude that depends on the luminance: largest
in the mid-tones, smaller in deep shadows and highlights,
``strength * (floor + (1 - floor) * 4 L (1 - L))`` of the full range.
"""
from __future__ import annotations

import cv2
import numpy as np

#: Rec. 709 luma weights, in the B, G, R order of OpenCV images.
_LUMA_BGR = np.array([0.0722, 0.7152, 0.2126], dtype=np.float32)


def _unit_grain(shape: tuple[int, int], sigma: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(shape, dtype=np.float32)
    if sigma > 0:
        noise = cv2.GaussianBlur(noise, (0, 0), sigma)
    std = float(noise.std())
    return noise / std if std > 0 else noise


def add_film_grain(image: np.ndarray, *, strength: float = 0.04, grain_size: float = 1.0, seed: int,
                   colour_correlation: float = 0.7, floor: float = 0.25) -> np.ndarray:
    """Add luminance-dependent film grain; returns a new image of the same shape and dtype.

    Parameters
    ----------
    image : ndarray
        H x W or H x W x C (C = 3 or 4; an alpha channel is left alone),
        uint8, uint16 or float in [0, 1].
    strength : float
        Standard deviation of the grain in the mid-tones, as a share of the
        full range (0.04: about 10 levels of 255).
    grain_size : float
        Blur sigma of the grain in pixels (0: white noise).
    seed : int
        Same seed, same grain.
    colour_correlation : float
        Share (0-1) of the grain common to all colour channels.
    floor : float
        Relative amplitude in the deepest shadows and brightest highlights.
    """
    img = np.asarray(image)
    if img.dtype == np.uint8 or img.dtype == np.uint16:
        top = float(np.iinfo(img.dtype).max)
    elif img.dtype.kind == "f":
        top = 1.0
    else:
        raise ValueError(f"image dtype must be uint8, uint16 or float, got {img.dtype}")
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3, 4)):
        raise ValueError(f"image must be H x W or H x W x (1, 3, 4), got shape {img.shape}")
    if strength < 0 or grain_size < 0 or not 0 <= colour_correlation <= 1 or not 0 <= floor <= 1:
        raise ValueError("strength and grain_size must be >= 0, colour_correlation and floor in [0, 1]")
    rng = np.random.default_rng(seed)
    f = img.astype(np.float32) / np.float32(top)
    colour = f if f.ndim == 2 else f[..., :3] if f.shape[2] >= 3 else f[..., 0]
    if colour.ndim == 3:
        lum = colour @ _LUMA_BGR
    else:
        lum = colour
    amp = np.float32(strength) * (floor + (1 - floor) * 4.0 * lum * (1.0 - lum))
    shared = _unit_grain(lum.shape, grain_size, rng)
    if colour.ndim == 3:
        own = np.stack([_unit_grain(lum.shape, grain_size, rng) for _ in range(3)], axis=-1)
        c = np.float32(colour_correlation)
        grain = (c * shared[..., None] + np.sqrt(1 - c * c) * own) * amp[..., None]
        out = f.copy()
        out[..., :3] = np.clip(colour + grain, 0.0, 1.0)
    else:
        out = np.clip(f + (shared * amp).reshape(f.shape), 0.0, 1.0)
    if img.dtype.kind == "f":
        return out.astype(img.dtype)
    return np.rint(out * top).astype(img.dtype)
