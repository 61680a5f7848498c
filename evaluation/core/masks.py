"""Scoring a method's predicted damage mask against the ground truth of an authentic benchmark image.

The ground truth is ``groundtruth_mask(damaged, restored, threshold=t)`` (see ``segmentation``).
The paper (Section 5, Table 3) sweeps the binarisation threshold ``t`` of that difference and picks
the one that maximises the baselines' scores; since IoU and F1 are symmetric in the two masks, the
sweep over ``t`` is ``threshold_sweep(difference_map, predicted_mask, thresholds)``. EMD is taken
against the ground truth at the benchmark's recorded threshold.
"""

from __future__ import annotations

import numpy as np

from .metrics import MetricInputError
from .segmentation import difference_map, emd_points, f1, iou, threshold_sweep

__all__ = ["GT_SWEEP_THRESHOLDS", "mask_from_image", "score_predicted_mask"]

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
