"""Fitting a :class:`~synthesis.core.model.DamageModel` to annotated scans.

Per class (paper, Section 4.2): count the artefacts per 256 x 256 px patch
(edges padded, each artefact counted in the patch holding its centroid) and fit
a hurdle model: ``p_nonempty`` = share of patches with any artefact, and a
Gamma fitted by maximum likelihood (``scipy.stats.gamma.fit`` with
``floc=0``) to the positive counts. The Gamma MLE keeps the sample mean
(``shape * scale == mean``), so a rendered frame carries on average as many
artefacts as the annotated frames. Areas in square microns get a Gamma the
same way. The spatial density is a coarse KDE map with calibrated Perlin
settings.

Fallbacks (each written into the class's ``notes``):

* a class with no artefacts gets ``p_nonempty = 0`` and is never generated;
* fewer than ``min_samples`` positive values: an exponential (Gamma shape 1,
  the maximum-entropy law for a positive quantity of known mean) with the
  sample mean;
* values all equal, or an MLE that fails: moment estimates, with the shape
  capped at ``MAX_SHAPE``.

An empty dataset (no scans, or no usable artefacts) raises
:class:`~synthesis.core.model.DamageModelError`.
"""
from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime
from typing import Any

import numpy as np
from scipy import stats

from annotation.core.types import CLASSES, PATCH_SIZE, ScanArtefacts
from imaging.progress import ProgressFn

from .model import SCHEMA_VERSION, ClassModel, DamageModel, DamageModelError, GammaParams, PerlinSettings
from .perlin import calibrate_perlin, kde_map

#: Shape used when a Gamma cannot be told from a constant.
MAX_SHAPE = 1000.0
#: Columns of the coarse KDE map (rows follow the mean aspect ratio).
KDE_COLUMNS = 32
#: Bins of the area histograms kept for plots.
AREA_BINS = 40


def patch_counts(scan: ScanArtefacts, *, patch_size: int = PATCH_SIZE) -> dict[str, np.ndarray]:
    """Artefacts per class in each padded ``patch_size`` patch of one scan (by centroid).

    Returns one flat int array per class of ``CLASSES`` with
    ``ceil(W / patch) * ceil(H / patch)`` entries.
    """
    nx = math.ceil(scan.frame.width_px / patch_size)
    ny = math.ceil(scan.frame.height_px / patch_size)
    out = {}
    for cls in CLASSES:
        cents = np.array([a.centroid for a in scan.artefacts if a.cls == cls], dtype=np.float64).reshape(-1, 2)
        ix = np.clip((cents[:, 0] // patch_size).astype(int), 0, nx - 1)
        iy = np.clip((cents[:, 1] // patch_size).astype(int), 0, ny - 1)
        out[cls] = np.bincount(iy * nx + ix, minlength=nx * ny)
    return out


def fit_gamma(values: np.ndarray, *, min_samples: int, what: str) -> tuple[GammaParams, list[str], str]:
    """Gamma (zero location) by maximum likelihood, with the documented fallbacks.

    Returns (parameters, notes, method) where method is ``"mle"``,
    ``"exponential"`` or ``"moments"``.
    """
    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean())
    if len(values) < min_samples:
        return (GammaParams(1.0, mean), [f"{what}: only {len(values)} value(s) (< {min_samples}); "
                                         f"exponential with the sample mean {mean:.4g}"], "exponential")
    var = float(values.var())
    if var <= 1e-12 * mean * mean:
        return (GammaParams(MAX_SHAPE, mean / MAX_SHAPE),
                [f"{what}: all values equal ({mean:.4g}); near-constant Gamma (shape {MAX_SHAPE:g})"], "moments")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            shape, _, scale = stats.gamma.fit(values, floc=0)
        if not (np.isfinite(shape) and np.isfinite(scale) and shape > 0 and scale > 0):
            raise FloatingPointError("non-finite Gamma fit")
    except (FloatingPointError, ValueError, RuntimeError) as exc:
        shape = min(mean * mean / var, MAX_SHAPE)
        return (GammaParams(shape, mean / shape), [f"{what}: MLE failed ({exc}); moment estimates"], "moments")
    return GammaParams(float(min(shape, MAX_SHAPE)), float(scale)), [], "mle"


def _ks(values: np.ndarray, params: GammaParams) -> dict[str, float]:
    res = stats.kstest(values, "gamma", args=(params.shape, 0, params.scale))
    return {"statistic": float(res.statistic), "pvalue": float(res.pvalue), "n": int(len(values))}


def _count_plot(positive: np.ndarray, params: GammaParams) -> dict[str, list]:
    top = int(max(positive.max(), math.ceil(params.mean + 4 * params.std)))
    ks = np.arange(1, top + 1)
    hist = np.bincount(positive.astype(int), minlength=top + 1)[1:top + 1] / len(positive)
    cdf = stats.gamma.cdf(np.concatenate([ks - 0.5, [top + 0.5]]), params.shape, scale=params.scale)
    return {"count": ks.tolist(), "empirical": hist.tolist(), "fitted": np.diff(cdf).tolist()}


def _area_plot(areas: np.ndarray, params: GammaParams) -> dict[str, list]:
    hi = float(np.quantile(areas, 0.99)) if len(areas) > 1 else float(areas.max()) * 2
    hist, edges = np.histogram(areas, bins=AREA_BINS, range=(0.0, max(hi, 1e-9)), density=True)
    centres = 0.5 * (edges[1:] + edges[:-1])
    pdf = stats.gamma.pdf(centres, params.shape, scale=params.scale)
    return {"bin_edges_um2": edges.tolist(), "density": hist.tolist(), "fitted_pdf": pdf.tolist()}


def _fit_class(cls: str, counts: np.ndarray, areas: np.ndarray, centroids: np.ndarray,
               grid: tuple[int, int], min_samples: int, seed: int) -> ClassModel:
    if len(areas) == 0:
        return ClassModel(cls, 0, 0.0, None, None, 0.0, None, PerlinSettings(),
                          notes=[f"{cls}: no artefacts in the dataset; never generated"])
    positive = counts[counts > 0].astype(np.float64)
    count_params, notes, count_method = fit_gamma(positive, min_samples=min_samples, what=f"{cls} counts")
    area_params, area_notes, area_method = fit_gamma(areas, min_samples=min_samples, what=f"{cls} areas")
    density, sigma = kde_map(centroids, grid=grid)
    perlin, perlin_report = calibrate_perlin(density, sigma_cells=sigma, seed=seed)
    diagnostics: dict[str, Any] = {
        "n_patches": int(len(counts)), "n_nonempty_patches": int(len(positive)),
        "count_method": count_method, "area_method": area_method,
        "count_mean_positive": float(positive.mean()), "area_mean_um2": float(areas.mean()),
        "area_std_um2": float(areas.std()),
        "ks_counts": _ks(positive, count_params), "ks_areas": _ks(areas, area_params),
        "ks_note": "counts are integers: the KS test against the continuous Gamma is indicative only",
        "count_plot": _count_plot(positive, count_params), "area_plot": _area_plot(areas, area_params),
        "kde_sigma_cells": sigma, "perlin_calibration": perlin_report,
    }
    return ClassModel(cls, int(len(areas)), float(len(positive) / len(counts)), count_params, area_params,
                      float(areas.max()), density, perlin, notes + area_notes, diagnostics)


def fit_damage_model(scans: list[ScanArtefacts], *, min_samples: int = 3, description: str = "",
                     seed: int = 0, progress: ProgressFn | None = None) -> DamageModel:
    """Fit a damage model to annotated scans.

    Parameters
    ----------
    scans : list of ScanArtefacts
        The annotated scans (artefact polygons in full-resolution pixels).
    min_samples : int
        Fewest positive counts / areas for a maximum-likelihood Gamma; below
        it a class falls back to an exponential (see the module docstring).
    description : str
        Free text kept in ``source``.
    seed : int
        Seed of the Perlin calibration draws.
    progress : callable, optional
        Called with (classes done, number of classes).

    Raises
    ------
    DamageModelError
        If there are no scans or no artefacts, or ``min_samples < 1``.
    """
    if min_samples < 1:
        raise DamageModelError(f"min_samples must be >= 1, got {min_samples}")
    if not scans:
        raise DamageModelError("cannot fit a damage model to an empty dataset: no scans were given")
    if sum(len(s.artefacts) for s in scans) == 0:
        raise DamageModelError("cannot fit a damage model: the scans hold no usable artefacts")
    unknown = {a.cls for s in scans for a in s.artefacts} - set(CLASSES)
    if unknown:
        raise DamageModelError(f"unknown artefact classes {sorted(unknown)}; allowed: {CLASSES}")
    per_scan = [patch_counts(s) for s in scans]
    aspect = float(np.mean([s.frame.height_px / s.frame.width_px for s in scans]))
    grid = (max(2, round(KDE_COLUMNS * aspect)), KDE_COLUMNS)
    classes = {}
    for i, cls in enumerate(CLASSES):
        arts = [(a, s) for s in scans for a in s.artefacts if a.cls == cls]
        areas = np.array([a.area_um2 for a, _ in arts], dtype=np.float64)
        cents = np.array([(a.centroid[0] / s.frame.width_px, a.centroid[1] / s.frame.height_px)
                          for a, s in arts], dtype=np.float64).reshape(-1, 2)
        counts = np.concatenate([pc[cls] for pc in per_scan])
        classes[cls] = _fit_class(cls, counts, areas, cents, grid, min_samples, seed + i)
        if progress is not None:
            progress(i + 1, len(CLASSES))
    return _assemble(scans, per_scan, classes, description)


def _assemble(scans, per_scan, classes, description) -> DamageModel:
    n_patches = [len(pc[CLASSES[0]]) for pc in per_scan]
    pixels = [s.frame.width_px * s.frame.height_px for s in scans]
    coverage = float(sum(pixels) / (sum(n_patches) * PATCH_SIZE ** 2))
    frame_um2 = float(np.mean([s.frame.frame_w_mm * s.frame.frame_h_mm * 1e6 for s in scans]))
    per_frame = {c: [int(sum(a.cls == c for a in s.artefacts)) for s in scans] for c in CLASSES}
    model = DamageModel(
        classes=classes, patch_size=PATCH_SIZE, patch_coverage=coverage, reference_frame_um2=frame_um2,
        source={"description": description, "n_scans": len(scans), "scans": [s.name for s in scans],
                "frames": [[s.frame.width_px, s.frame.height_px, s.frame.frame_w_mm, s.frame.frame_h_mm]
                           for s in scans]},
        fitted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        version=SCHEMA_VERSION,
        diagnostics={"mean_patches_per_frame": float(np.mean(n_patches)), "counts_per_frame": per_frame},
    )
    expected = model.expected_counts(width=int(np.mean([s.frame.width_px for s in scans])),
                                      height=int(np.mean([s.frame.height_px for s in scans])))
    model.diagnostics["expected_counts_mean_frame"] = expected
    model.diagnostics["annotated_mean_counts_per_frame"] = {c: float(np.mean(v)) for c, v in per_frame.items()}
    return model
