"""Statistics of annotated artefacts (paper, Section 4.2; Table 1, Figures 5-7).

All functions take :class:`ScanArtefacts` lists and return plain NumPy arrays
or JSON-ready dicts; :mod:`annotation.core.plots` turns them into figures.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from annotation.core.geometry import patch_grid, patch_of
from annotation.core.types import CLASSES, PATCH_SIZE, ScanArtefacts

Unit = Literal["px", "um2"]


def _check_cls(cls: str) -> None:
    if cls not in CLASSES:
        raise ValueError(f"unknown class {cls!r}; allowed: {', '.join(CLASSES)}")


def area_values(scans: Sequence[ScanArtefacts], cls: str, *, unit: Unit = "um2") -> np.ndarray:
    """Areas of all artefacts of class ``cls``, in square pixels (``"px"``) or microns (``"um2"``)."""
    _check_cls(cls)
    if unit not in ("px", "um2"):
        raise ValueError(f"unit must be 'px' or 'um2', got {unit!r}")
    attr = "area_px" if unit == "px" else "area_um2"
    return np.array([getattr(a, attr) for s in scans for a in s.artefacts if a.cls == cls],
                    dtype=np.float64)


def damage_stats(scans: Sequence[ScanArtefacts], *, name: str) -> dict:
    """Counts and area statistics per class, the shape of the paper's Table 1.

    Returns
    -------
    dict
        ``{"dataset": name, "scans": N, "classes": {cls: {"count": n,
        "area_um2": {"mean": x, "std": y}}}}`` with every class of
        :data:`CLASSES` in that order; ``std`` is the population standard
        deviation (ddof=0). A class with no artefacts has ``mean`` and ``std``
        ``None``.
    """
    classes = {}
    for cls in CLASSES:
        a = area_values(scans, cls, unit="um2")
        mean = float(a.mean()) if a.size else None
        std = float(a.std(ddof=0)) if a.size else None
        classes[cls] = {"count": int(a.size), "area_um2": {"mean": mean, "std": std}}
    return {"dataset": name, "scans": len(scans), "classes": classes}


def patch_counts(scan: ScanArtefacts, cls: str, *, patch_size: int = PATCH_SIZE) -> np.ndarray:
    """Artefacts of class ``cls`` per patch, counted by centroid.

    Returns
    -------
    np.ndarray
        (rows, cols) int64 over every ``patch_size`` square patch of the scan,
        the last row and column padded past the image edge, zeros included.
    """
    _check_cls(cls)
    f = scan.frame
    counts = np.zeros(patch_grid(f.width_px, f.height_px, patch_size=patch_size), dtype=np.int64)
    for a in scan.artefacts:
        if a.cls == cls:
            col, row = patch_of(*a.centroid, width=f.width_px, height=f.height_px,
                                patch_size=patch_size)
            counts[row, col] += 1
    return counts


def all_patch_counts(scans: Sequence[ScanArtefacts], cls: str) -> np.ndarray:
    """Per-patch counts of ``cls`` over all scans, flattened (the data of Figure 5)."""
    parts = [patch_counts(s, cls).ravel() for s in scans]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def patch_count_histogram(scans: Sequence[ScanArtefacts], cls: str) -> tuple[np.ndarray, np.ndarray]:
    """``(k, n)``: how many patches ``n[i]`` hold exactly ``k[i]`` artefacts, ``k = 0..max``."""
    counts = all_patch_counts(scans, cls)
    n = np.bincount(counts) if counts.size else np.zeros(0, dtype=np.int64)
    return np.arange(n.size), n


def area_histogram(
    scans: Sequence[ScanArtefacts], cls: str, *, unit: Unit = "px", bins: int = 50,
    log: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """``(counts, edges)`` of the areas of ``cls``; ``log=True`` spaces bins logarithmically."""
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    a = area_values(scans, cls, unit=unit)
    if a.size == 0:
        return np.zeros(bins, dtype=np.int64), np.linspace(0.0, 1.0, bins + 1)
    lo, hi = float(a.min()), float(a.max())
    if hi <= lo:
        hi = lo + 1.0
    edges = np.geomspace(lo, hi, bins + 1) if log else np.linspace(lo, hi, bins + 1)
    counts, edges = np.histogram(a, bins=edges)
    return counts, edges


@dataclass(frozen=True)
class DensityMap:
    """Density of artefact centroids over the frame in normalised coordinates.

    ``values[i, j]`` is the density at y-bin ``i`` and x-bin ``j`` over the unit
    square (x = centroid x / width, y = centroid y / height, y down), scaled so
    that it integrates to 1 when ``count > 0`` (all zeros otherwise).
    """

    values: np.ndarray  # (h_bins, w_bins) float64
    x_edges: np.ndarray
    y_edges: np.ndarray
    count: int


def density_map(
    scans: Sequence[ScanArtefacts], cls: str, *, bins: tuple[int, int] = (35, 24),
    smooth: float = 0.0,
) -> DensityMap:
    """Spatial density of the centroids of ``cls`` over the frame (Figure 6).

    Parameters
    ----------
    bins : (w_bins, h_bins)
        Histogram bins along x and y (default: one per millimetre of a 35 mm frame).
    smooth : float
        Standard deviation, in bins, of a Gaussian kernel applied to the
        histogram (a kernel density estimate on the bin grid); 0 keeps the
        histogram. Edges are reflected.
    """
    _check_cls(cls)
    w_bins, h_bins = (int(b) for b in bins)
    if w_bins < 1 or h_bins < 1:
        raise ValueError(f"bins must be two positive integers, got {bins!r}")
    if smooth < 0:
        raise ValueError(f"smooth must be >= 0, got {smooth}")
    xs, ys = [], []
    for s in scans:
        for a in s.artefacts:
            if a.cls == cls:
                xs.append(a.centroid[0] / s.frame.width_px)
                ys.append(a.centroid[1] / s.frame.height_px)
    x_edges = np.linspace(0.0, 1.0, w_bins + 1)
    y_edges = np.linspace(0.0, 1.0, h_bins + 1)
    hist, _, _ = np.histogram2d(np.clip(ys, 0, 1), np.clip(xs, 0, 1), bins=(y_edges, x_edges))
    if smooth > 0 and hist.any():
        from scipy.ndimage import gaussian_filter

        hist = gaussian_filter(hist, sigma=smooth, mode="reflect")
    total = hist.sum()
    values = hist / (total / (w_bins * h_bins)) if total > 0 else hist
    return DensityMap(values=values, x_edges=x_edges, y_edges=y_edges, count=len(xs))
