"""Damage segmentation scores: ground-truth masks by differencing, IoU, F1, threshold sweep, EMD.

The ground truth for authentic damage (paper, Section 5) comes from differencing each damaged scan
with its expert restoration and binarising at a threshold that the caller records. Predictions are
binarised the same way, ``score > threshold`` compared in float64, so a sweep over thresholds is exact and cheap: the
scores of the true and false pixels are sorted once and counted with ``searchsorted``.

IoU and F1 are symmetric in prediction and ground truth, so ``threshold_sweep`` also serves the
paper's sweep of the *ground-truth* binarisation threshold: pass the damaged/restored difference
map as ``score`` and the predicted mask as the fixed mask.

Conventions: when both masks are empty IoU and F1 are 1.0 (perfect agreement on "no damage");
``emd_points`` is 0.0 when both are empty and ``nan`` when exactly one is (no mass to move).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import ot

from .metrics import MetricInputError, check_pair, infer_data_range

__all__ = [
    "DEFAULT_THRESHOLDS",
    "SegmentationScores",
    "ThresholdSweep",
    "difference_map",
    "emd_points",
    "f1",
    "groundtruth_mask",
    "iou",
    "score_segmentation",
    "threshold_sweep",
]

DEFAULT_THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 1.0, 0.05))


def difference_map(
    damaged: np.ndarray, restored: np.ndarray, *, data_range: float | None = None
) -> np.ndarray:
    """Absolute difference, maximum over channels, divided by the image's range: float64 in [0, 1]."""
    check_pair(damaged, restored)
    value_range = infer_data_range(damaged, data_range)
    a = damaged[..., None] if damaged.ndim == 2 else damaged
    b = restored[..., None] if restored.ndim == 2 else restored
    diff = np.zeros(a.shape[:2], dtype=np.float64)
    for c in range(a.shape[2]):  # one channel at a time keeps 4K+ copies small
        np.maximum(diff, np.abs(a[..., c].astype(np.float64) - b[..., c]), out=diff)
    diff /= value_range
    return diff


def groundtruth_mask(
    damaged: np.ndarray, restored: np.ndarray, *, threshold: float, data_range: float | None = None
) -> np.ndarray:
    """Ground-truth damage: pixels whose normalised difference is strictly above ``threshold``.

    Parameters
    ----------
    damaged, restored : ndarray
        The authentic damaged scan and its expert restoration, same shape and dtype.
    threshold : float
        In [0, 1) on the normalised scale (0.02 is about 5 grey levels of 255); record it with
        the mask. 0 marks every changed pixel.
    data_range : float, optional
        Inferred from uint8/uint16; required for float images.

    Returns
    -------
    ndarray of bool, shape (H, W)
    """
    threshold = _check_threshold(threshold)
    return _above(difference_map(damaged, restored, data_range=data_range), threshold)


def _above(score: np.ndarray, threshold: float) -> np.ndarray:
    """``score > threshold`` compared in float64, as the sweep compares."""
    return np.asarray(score, dtype=np.float64) > np.float64(threshold)


def _check_threshold(threshold: float) -> float:
    value = float(threshold)
    if not 0.0 <= value < 1.0:
        raise MetricInputError(f"threshold must be in [0, 1) on the normalised scale, got {threshold!r}")
    return value


def _check_masks(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.dtype != np.bool_ or gt.dtype != np.bool_:
        raise MetricInputError(f"masks must be boolean, got {pred.dtype} and {gt.dtype}")
    if pred.shape != gt.shape or pred.ndim != 2:
        raise MetricInputError(f"masks must be 2-D and of one shape, got {pred.shape} and {gt.shape}")
    return pred, gt


def _iou_f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tp, fp, fn = (np.asarray(x, dtype=np.float64) for x in (tp, fp, fn))
    union = tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        iou_values = np.where(union > 0, tp / union, 1.0)
        f1_values = np.where(union > 0, 2 * tp / (2 * tp + fp + fn), 1.0)
    return iou_values, f1_values


def _counts(pred: np.ndarray, gt: np.ndarray) -> tuple[int, int, int]:
    tp = int(np.count_nonzero(pred & gt))
    return tp, int(np.count_nonzero(pred)) - tp, int(np.count_nonzero(gt)) - tp


def iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """Intersection over union of two boolean masks; 1.0 when both are empty."""
    pred, gt = _check_masks(pred, gt)
    return float(_iou_f1(*_counts(pred, gt))[0])


def f1(pred: np.ndarray, gt: np.ndarray) -> float:
    """F1 (Dice) score ``2 TP / (2 TP + FP + FN)`` of two boolean masks; 1.0 when both are empty."""
    pred, gt = _check_masks(pred, gt)
    return float(_iou_f1(*_counts(pred, gt))[1])


@dataclass(frozen=True)
class ThresholdSweep:
    """IoU and F1 of ``score > t`` against a fixed mask for each threshold t, and the best of each.

    Ties go to the first threshold in the order given.
    """

    thresholds: tuple[float, ...]
    iou: tuple[float, ...]
    f1: tuple[float, ...]
    best_iou: float
    best_iou_threshold: float
    best_f1: float
    best_f1_threshold: float

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready dict (lists for the tuples)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def threshold_sweep(score: np.ndarray, gt_mask: np.ndarray, thresholds=DEFAULT_THRESHOLDS) -> ThresholdSweep:
    """Binarise ``score > t`` for every threshold and score it against ``gt_mask``.

    Parameters
    ----------
    score : ndarray, shape (H, W)
        A damage probability map, or a normalised difference map (see ``difference_map``).
    gt_mask : ndarray of bool, shape (H, W)
        The fixed mask (ground truth; or the prediction when sweeping the ground-truth threshold).
    thresholds : sequence of float
        Finite values, at least one, in the order to report.

    Returns
    -------
    ThresholdSweep
    """
    score = np.asarray(score)
    gt_mask = np.asarray(gt_mask)
    if score.ndim != 2 or score.shape != gt_mask.shape or gt_mask.dtype != np.bool_:
        raise MetricInputError(
            f"score must be 2-D and gt_mask a boolean mask of its shape, got {score.shape} and "
            f"{gt_mask.dtype} {gt_mask.shape}"
        )
    levels = np.asarray(thresholds, dtype=np.float64).ravel()
    if levels.size == 0 or not np.all(np.isfinite(levels)):
        raise MetricInputError(f"thresholds must be a non-empty sequence of finite numbers, got {thresholds!r}")
    if not np.issubdtype(score.dtype, np.number) or np.isnan(score).any():
        raise MetricInputError("score must be numeric without NaN")
    positives = np.sort(score[gt_mask].astype(np.float64))
    negatives = np.sort(score[~gt_mask].astype(np.float64))
    tp = positives.size - np.searchsorted(positives, levels, side="right")
    fp = negatives.size - np.searchsorted(negatives, levels, side="right")
    iou_values, f1_values = _iou_f1(tp, fp, positives.size - tp)
    i, j = int(np.argmax(iou_values)), int(np.argmax(f1_values))
    return ThresholdSweep(
        thresholds=tuple(float(t) for t in levels),
        iou=tuple(float(v) for v in iou_values),
        f1=tuple(float(v) for v in f1_values),
        best_iou=float(iou_values[i]),
        best_iou_threshold=float(levels[i]),
        best_f1=float(f1_values[j]),
        best_f1_threshold=float(levels[j]),
    )


def _normalised_points(mask: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    ys, xs = np.nonzero(mask)
    if ys.size > n:
        keep = np.sort(rng.choice(ys.size, size=n, replace=False))
        ys, xs = ys[keep], xs[keep]
    height, width = mask.shape
    return np.column_stack([xs / width, ys / height]).astype(np.float64)


def emd_points(pred_mask: np.ndarray, gt_mask: np.ndarray, *, n: int = 2000, seed: int = 0) -> float:
    """Earth mover's distance between predicted and true damage pixels as 2-D point clouds.

    Each mask's true pixels become points ``(x / width, y / height)``; a set larger than ``n`` is
    subsampled without replacement, each with its own ``numpy.random.default_rng(seed)``, so
    that identical masks give identical subsamples. Both clouds carry uniform unit mass and the exact optimal
    transport cost with Euclidean ground distance is POT's ``ot.emd2``.

    Returns
    -------
    float
        0.0 if both masks are empty, ``nan`` if exactly one is, else the EMD (in frame units).
    """
    pred_mask, gt_mask = _check_masks(pred_mask, gt_mask)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise MetricInputError(f"n must be a positive integer, got {n!r}")
    has_pred, has_gt = bool(pred_mask.any()), bool(gt_mask.any())
    if not has_pred and not has_gt:
        return 0.0
    if has_pred != has_gt:
        return float("nan")
    # The same seed for both clouds: identical masks draw identical subsamples, so their
    # distance is exactly 0 rather than the subsampling noise of two independent draws.
    a_points = _normalised_points(pred_mask, int(n), np.random.default_rng(seed))
    b_points = _normalised_points(gt_mask, int(n), np.random.default_rng(seed))
    cost = ot.dist(a_points, b_points, metric="euclidean")
    a = np.full(len(a_points), 1.0 / len(a_points))
    b = np.full(len(b_points), 1.0 / len(b_points))
    value, log = ot.emd2(a, b, cost, numItermax=10_000_000, log=True)
    if log.get("warning"):
        raise RuntimeError(f"the exact EMD solver did not converge: {log['warning']}")
    return float(value)


@dataclass(frozen=True)
class SegmentationScores:
    """A threshold sweep plus the EMD of the mask at the best-F1 threshold."""

    sweep: ThresholdSweep
    emd: float
    emd_threshold: float

    def as_dict(self) -> dict[str, object]:
        return {"sweep": self.sweep.as_dict(), "emd": self.emd, "emd_threshold": self.emd_threshold}


def score_segmentation(
    score: np.ndarray,
    gt_mask: np.ndarray,
    *,
    thresholds=DEFAULT_THRESHOLDS,
    emd_n: int = 2000,
    seed: int = 0,
) -> SegmentationScores:
    """Sweep ``score`` against ``gt_mask`` and compute the EMD of ``score > best-F1 threshold``."""
    sweep = threshold_sweep(score, gt_mask, thresholds)
    pred = _above(score, sweep.best_f1_threshold)
    return SegmentationScores(
        sweep=sweep, emd=emd_points(pred, gt_mask, n=emd_n, seed=seed), emd_threshold=sweep.best_f1_threshold
    )
