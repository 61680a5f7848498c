"""Scoring a method's predicted damage mask against the ground truth of an authentic benchmark image.

The ground truth is ``groundtruth_mask(damaged, restored, threshold=t)`` (see ``segmentation``).
The paper (Section 5, Table 3) sweeps the binarisation threshold ``t`` of that difference and picks
the one that maximises the baselines' scores; since IoU and F1 are symmetric in the two masks, the
sweep over ``t`` is ``threshold_sweep(difference_map, predicted_mask, thresholds)``. EMD is taken
against the ground truth at the benchmark's recorded threshold.

Over a benchmark, ``summarise_sweeps`` gives the mean and std of each sweep over the images, and
``best_f1_threshold`` makes the paper's choice: the swept threshold with the best mean F1 of the
baselines (of all rows when there is no baseline).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .metrics import MetricInputError
from .segmentation import difference_map, emd_points, f1, iou, threshold_sweep

__all__ = ["GT_SWEEP_THRESHOLDS", "SWEEP_KEYS", "best_f1_threshold", "mask_from_image", "score_predicted_mask",
           "summarise_sweeps"]

SWEEP_KEYS = ("iou_sweep", "f1_sweep")
"""The per-image sweep lists that ``score_predicted_mask`` returns, in the order of ``sweep_thresholds``."""

GT_SWEEP_THRESHOLDS = (0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2)
"""Thresholds of the normalised damaged/restored difference swept for the ground-truth mask."""


def mask_from_image(image: np.ndarray) -> np.ndarray:
    """A boolean mask from a submitted mask image: true where any channel is non-zero."""
    image = np.asarray(image)
    if image.ndim == 3:
        image = image.max(axis=2)
    if image.ndim != 2:
        raise MetricInputError(f"a mask image must be (H, W) or (H, W, C), got shape {image.shape}")
    return image > 0


def score_predicted_mask(
    damaged: np.ndarray,
    ground_truth: np.ndarray,
    predicted: np.ndarray,
    *,
    threshold: float,
    sweep_thresholds=GT_SWEEP_THRESHOLDS,
    emd_n: int = 2000,
    seed: int = 0,
) -> dict[str, object]:
    """IoU, F1 and EMD of ``predicted`` at ``threshold``, and IoU and F1 over the threshold sweep.

    Parameters
    ----------
    damaged, ground_truth : ndarray
        The authentic damaged scan and its expert restoration (same shape and dtype).
    predicted : ndarray of bool, shape (H, W)
        The method's damage mask.
    threshold : float
        The benchmark's recorded binarisation threshold, in [0, 1).
    sweep_thresholds : sequence of float
        Ground-truth thresholds to sweep.
    emd_n, seed :
        Point subsampling of ``emd_points``.

    Returns
    -------
    dict
        ``iou``, ``f1``, ``emd`` (at ``threshold``), ``sweep_thresholds``, ``iou_sweep``, ``f1_sweep``
        (lists in the order of ``sweep_thresholds``) and ``predicted_fraction``.
    """
    predicted = np.asarray(predicted)
    if predicted.dtype != np.bool_ or predicted.shape != damaged.shape[:2]:
        raise MetricInputError(
            f"the predicted mask must be boolean and {damaged.shape[1]} x {damaged.shape[0]}, "
            f"got {predicted.dtype} {predicted.shape}"
        )
    if not 0.0 <= float(threshold) < 1.0:
        raise MetricInputError(f"threshold must be in [0, 1), got {threshold!r}")
    diff = difference_map(damaged, ground_truth)
    gt_mask = diff > np.float64(threshold)
    sweep = threshold_sweep(diff, predicted, sweep_thresholds)
    return {
        "iou": iou(predicted, gt_mask),
        "f1": f1(predicted, gt_mask),
        "emd": emd_points(predicted, gt_mask, n=emd_n, seed=seed),
        "sweep_thresholds": list(sweep.thresholds),
        "iou_sweep": list(sweep.iou),
        "f1_sweep": list(sweep.f1),
        "predicted_fraction": float(predicted.mean()),
    }


def summarise_sweeps(images: Sequence[dict]) -> dict | None:
    """Mean and population std, per swept threshold, of the sweeps of the images that have one.

    Returns ``{"thresholds": [...], "iou_sweep_mean": [...], "iou_sweep_std": [...], "f1_sweep_mean": [...],
    "f1_sweep_std": [...]}`` (the thresholds of the first image with a sweep), or ``None`` when no image has one.
    """
    sweeps = [row for row in images if "iou_sweep" in row]
    if not sweeps:
        return None
    summary: dict = {"thresholds": list(sweeps[0]["sweep_thresholds"])}
    for key in SWEEP_KEYS:
        table = np.array([row[key] for row in sweeps], dtype=np.float64)
        summary[f"{key}_mean"] = table.mean(axis=0).tolist()
        summary[f"{key}_std"] = table.std(axis=0).tolist()
    return summary


def best_f1_threshold(rows: Sequence[tuple[bool, dict]]) -> tuple[float | None, list[float]]:
    """The ground-truth threshold that maximises the baselines' mean F1, and the thresholds swept.

    ``rows`` are ``(is_baseline, sweep)`` pairs, ``sweep`` as ``summarise_sweeps`` gives it, all on the
    same thresholds. The baselines decide (every row when there is no baseline); F1 is averaged over
    them per threshold and the best taken, the lowest threshold on a tie. ``(None, [])`` without rows.
    """
    pool = [sweep for is_baseline, sweep in rows if is_baseline] or [sweep for _, sweep in rows]
    if not pool:
        return None, []
    thresholds = list(pool[0]["thresholds"])
    scores = [sum(s["f1_sweep_mean"][i] for s in pool) / len(pool) for i in range(len(thresholds))]
    best = max(range(len(thresholds)), key=lambda i: (scores[i], -i))
    return thresholds[best], thresholds
