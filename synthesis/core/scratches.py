"""Procedural film scratches: thin, nearly straight lines with a fading intensity.

Scratches come from film transport, so they run along the film. On the public
35 mm scans (landscape, film advanced horizontally) the long annotated
scratches lie within a degree of the frame's long edge (e.g. 3087 x 34 px and
2707 x 24 px bounding boxes), so a scratch follows the long edge of the
target frame: horizontal in landscape, vertical in portrait.
"""
from __future__ import annotations

import numpy as np

#: Integral of the cross profile exp(-4 ln 2 (d / w)^2) over d, per unit width w.
PROFILE_MASS = float(np.sqrt(np.pi / (4.0 * np.log(2.0))))


def envelope_params(rng: np.random.Generator) -> tuple[float, np.ndarray]:
    """Random fading exponent ``g`` and flicker knots in [0.6, 1] of one scratch."""
    return float(rng.uniform(0.3, 1.0)), rng.uniform(0.6, 1.0, size=int(rng.integers(3, 8)))


def fading_envelope(n: int, params: tuple[float, np.ndarray]) -> np.ndarray:
    """Intensity along a scratch: faded ends (``sin(pi t)**g``) times a slow flicker."""
    g, knots = params
    t = (np.arange(n) + 0.5) / n
    flicker = np.interp(t, np.linspace(0, 1, len(knots)), knots)
    return (np.sin(np.pi * t) ** g * flicker).astype(np.float32)


def scratch_alpha(*, length_px: int, width_px: float, tilt_rad: float, bow_px: float,
                  envelope: tuple[float, np.ndarray]) -> np.ndarray:
    """A horizontal scratch patch (rows across, columns along), alpha in [0, 1].

    The centre line is ``y(x) = tilt * x + bow * 4 t (1 - t)``; across it the
    profile is a Gaussian of full width at half maximum ``width_px``.
    """
    if length_px < 1 or width_px <= 0:
        raise ValueError("length_px must be >= 1 and width_px > 0")
    x = np.arange(length_px, dtype=np.float64)
    t = (x + 0.5) / length_px
    centre = np.tan(tilt_rad) * x + bow_px * 4.0 * t * (1.0 - t)
    centre -= centre.min()
    margin = 2.0 * width_px + 2.0
    rows = int(np.ceil(centre.max() + 2 * margin)) + 1
    y = np.arange(rows, dtype=np.float64)[:, None]
    d = (y - margin - centre[None, :]) / width_px
    alpha = np.exp(-4.0 * np.log(2.0) * d * d).astype(np.float32)
    return alpha * fading_envelope(length_px, envelope)[None, :]


def scratch_for_area(*, area_px: float, width: int, height: int, rng: np.random.Generator,
                     um_per_px: float = 7.0) -> np.ndarray:
    """A scratch whose alpha mass is ``area_px``, oriented along the frame's long edge.

    The width is drawn in microns (10-30 um, as the public scans' thin
    scratches) and converted with ``um_per_px``; the length follows from the
    area and is capped at 95% of the long edge (the width then grows).
    """
    if area_px <= 0:
        raise ValueError(f"area_px must be > 0, got {area_px}")
    long_side = max(width, height)
    w = max(0.8, rng.uniform(10.0, 30.0) / um_per_px)
    envelope = envelope_params(rng)
    envelope_mean = float(fading_envelope(1024, envelope).mean())
    length = area_px / (PROFILE_MASS * w * envelope_mean)
    length = float(np.clip(length, 4.0 * w, 0.95 * long_side))
    w = max(w, area_px / (PROFILE_MASS * envelope_mean * length))
    tilt = rng.normal(0.0, np.radians(0.5))
    bow = rng.normal(0.0, 0.003 * length)
    patch = scratch_alpha(length_px=max(1, int(round(length))), width_px=w, tilt_rad=tilt, bow_px=bow,
                          envelope=envelope)
    if rng.random() < 0.5:
        patch = patch[::-1, ::-1]
    patch = np.ascontiguousarray(patch)
    return patch.T.copy() if height > width else patch
