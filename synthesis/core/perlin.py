"""Seeded Perlin noise, spatial densities and point sampling.

The paper (Section 4.4, Figure 6) approximates the spatial density of each
artefact class by Perlin noise [Perlin 1985]. Here fractal gradient noise is
evaluated on a coarse grid, turned into a density ``exp(contrast * z)``
(``z`` the noise at unit standard deviation), optionally multiplied by a
fitted KDE map, and points are drawn cell by cell with a uniform offset inside
the cell. The settings are calibrated against a class's KDE map by
:func:`calibrate_perlin` so that the noise has the map's contrast and
correlation length.
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

from .model import PerlinSettings

#: Candidate first-octave frequencies (lattice cells across the frame width).
CANDIDATE_FREQUENCIES = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)


def _fade(t: np.ndarray) -> np.ndarray:
    return t * t * t * (t * (t * 6.0 - 15.0) + 10.0)


def perlin_noise(shape: tuple[int, int], *, cells: tuple[float, float],
                 rng: np.random.Generator) -> np.ndarray:
    """One octave of 2-D gradient (Perlin) noise on a ``shape`` (rows, cols) grid.

    ``cells`` = (cells down, cells across) of the random-gradient lattice.
    Vectorised over the grid; values lie roughly in [-0.7, 0.7].
    """
    rows, cols = shape
    cy, cx = max(cells[0], 1e-6), max(cells[1], 1e-6)
    ny, nx = int(np.ceil(cy)) + 1, int(np.ceil(cx)) + 1
    angles = rng.uniform(-np.pi, np.pi, size=(ny, nx))
    gx, gy = np.cos(angles), np.sin(angles)
    y = (np.arange(rows) + 0.5) / rows * cy
    x = (np.arange(cols) + 0.5) / cols * cx
    y0, x0 = np.floor(y).astype(int), np.floor(x).astype(int)
    fy, fx = (y - y0)[:, None], (x - x0)[None, :]
    Y0, X0 = y0[:, None], x0[None, :]

    def corner(dy: int, dx: int) -> np.ndarray:
        iy, ix = Y0 + dy, X0 + dx
        return gx[iy, ix] * (fx - dx) + gy[iy, ix] * (fy - dy)

    u, v = _fade(fx), _fade(fy)
    top = corner(0, 0) * (1 - u) + corner(0, 1) * u
    bottom = corner(1, 0) * (1 - u) + corner(1, 1) * u
    return top * (1 - v) + bottom * v


def fractal_noise(shape: tuple[int, int], settings: PerlinSettings, *,
                  rng: np.random.Generator) -> np.ndarray:
    """Sum of ``settings.octaves`` Perlin octaves, scaled to zero mean and unit std."""
    rows, cols = shape
    aspect = rows / cols
    total = np.zeros(shape, dtype=np.float64)
    for octave in range(settings.octaves):
        f = settings.frequency * 2.0 ** octave
        total += settings.persistence ** octave * perlin_noise(shape, cells=(f * aspect, f), rng=rng)
    std = total.std()
    return (total - total.mean()) / std if std > 0 else total * 0.0


def noise_density(shape: tuple[int, int], settings: PerlinSettings, *, rng: np.random.Generator,
                  kde_map: np.ndarray | None = None) -> np.ndarray:
    """A sampling density (sums to 1) of ``shape`` from Perlin noise.

    ``kde_map`` (any coarse grid, positive) is resized to ``shape`` and
    multiplied in, which ties the noise to the fitted spatial density.
    """
    z = fractal_noise(shape, settings, rng=rng)
    density = np.exp(settings.contrast * z)
    if kde_map is not None:
        kde = cv2.resize(np.asarray(kde_map, dtype=np.float32), (shape[1], shape[0]),
                         interpolation=cv2.INTER_LINEAR)
        density = density * np.clip(kde, 0.0, None)
    total = density.sum()
    if not np.isfinite(total) or total <= 0:
        raise ValueError("the density has no positive mass")
    return density / total


def sample_points(density: np.ndarray, n: int, rng: np.random.Generator, *,
                  width: float, height: float) -> np.ndarray:
    """``n`` points (x, y) in a ``width`` x ``height`` frame drawn from a coarse ``density``.

    A cell is drawn with probability proportional to its density, then a point
    uniformly inside it. Returns an (n, 2) float64 array.
    """
    density = np.asarray(density, dtype=np.float64)
    if density.ndim != 2 or np.any(density < 0) or density.sum() <= 0:
        raise ValueError("density must be a 2-D non-negative array with positive mass")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    rows, cols = density.shape
    cdf = np.cumsum(density.ravel())
    cells = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    cells = np.minimum(cells, cdf.size - 1)
    r, c = np.divmod(cells, cols)
    offsets = rng.random((n, 2))
    x = (c + offsets[:, 0]) * (width / cols)
    y = (r + offsets[:, 1]) * (height / rows)
    return np.stack([x, y], axis=1)


def kde_map(points: np.ndarray, *, grid: tuple[int, int], n_frames: int = 1) -> tuple[np.ndarray, float]:
    """A coarse Gaussian KDE map of normalised points (x, y in [0, 1]), mean 1.

    The bandwidth follows Scott's rule for two dimensions (``std * n**(-1/6)``
    per axis), with at least one cell. Returns (map of ``grid`` rows x cols,
    bandwidth in cells along x).
    """
    rows, cols = grid
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(points) == 0:
        return np.ones(grid), 0.0
    hist, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=(rows, cols), range=((0, 1), (0, 1)))
    n = len(points)
    std = points.std(axis=0) if n > 1 else np.array([0.25, 0.25])
    bw = np.maximum(std * n ** (-1.0 / 6.0), 1e-3)
    sigma = (max(bw[1] * rows, 1.0), max(bw[0] * cols, 1.0))
    smooth = ndimage.gaussian_filter(hist, sigma=sigma, mode="nearest")
    smooth = np.maximum(smooth, 1e-9)
    return smooth / smooth.mean(), float(sigma[1])


def correlation_length(field: np.ndarray) -> float:
    """Lag (in cells, radially averaged) at which the field's autocorrelation falls to 0.5."""
    f = np.asarray(field, dtype=np.float64)
    f = f - f.mean()
    if not np.any(f):
        return float("inf")
    rows, cols = f.shape
    padded = np.zeros((2 * rows, 2 * cols))
    padded[:rows, :cols] = f
    spectrum = np.fft.rfft2(padded)
    ac = np.fft.irfft2(spectrum * np.conj(spectrum), s=padded.shape)
    ac = np.fft.fftshift(ac)
    cy, cx = rows, cols
    yy, xx = np.indices(ac.shape)
    radius = np.hypot(yy - cy, xx - cx).round().astype(int)
    limit = min(rows, cols)
    sums = np.bincount(radius.ravel(), ac.ravel())[:limit]
    counts = np.bincount(radius.ravel())[:limit]
    profile = sums / np.maximum(counts, 1)
    profile = profile / profile[0]
    below = np.flatnonzero(profile <= 0.5)
    return float(below[0]) if below.size else float(limit)


def calibrate_perlin(density_map: np.ndarray, *, sigma_cells: float, octaves: int = 3,
                     persistence: float = 0.5, seed: int = 0) -> tuple[PerlinSettings, dict]:
    """Perlin settings whose noise matches a KDE map's contrast and correlation length.

    ``contrast`` is the standard deviation of ``log(density_map)``; the
    frequency is the candidate whose noise, smoothed like the map
    (``sigma_cells``), has the closest correlation length (mean over four
    seeded draws). Returns the settings and the numbers behind the choice.
    """
    log_map = np.log(np.maximum(density_map, 1e-6 * density_map.mean()))
    contrast = float(log_map.std())
    target = correlation_length(log_map)
    rng = np.random.default_rng(seed)
    lengths = {}
    for freq in CANDIDATE_FREQUENCIES:
        settings = PerlinSettings(freq, octaves, persistence, contrast)
        draws = [correlation_length(ndimage.gaussian_filter(
            fractal_noise(density_map.shape, settings, rng=rng), sigma_cells, mode="nearest"))
            for _ in range(4)]
        lengths[freq] = float(np.mean(draws))
    best = min(lengths, key=lambda f: abs(np.log(lengths[f] / max(target, 1e-6))))
    lengths = {f"{f:g}": v for f, v in lengths.items()}
    report = {"target_correlation_cells": target, "candidate_correlation_cells": lengths,
              "log_density_std": contrast}
    return PerlinSettings(best, octaves, persistence, contrast), report
