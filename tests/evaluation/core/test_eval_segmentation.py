"""Ground-truth masks, IoU, F1, the threshold sweep and the EMD, on hand-sized cases.

The EMD of two equal-size point sets with uniform mass is the mean cost of the optimal one-to-one
assignment (Birkhoff-von Neumann), so scipy's ``linear_sum_assignment`` is an independent reference.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from evaluation.core import segmentation as seg
from evaluation.core.metrics import MetricInputError


def test_groundtruth_mask_by_hand():
    # given: channel differences of 0, 5 and 6 grey levels; the max over channels counts
    restored = np.zeros((1, 3, 3), np.uint8)
    damaged = restored.copy()
    damaged[0, 1, 2] = 5
    damaged[0, 2, 0] = 6
    # when / then: 5/255 = 0.0196 is not above 0.0196..., 6/255 is
    np.testing.assert_array_equal(seg.groundtruth_mask(damaged, restored, threshold=5 / 255), [[False, False, True]])
    np.testing.assert_array_equal(seg.groundtruth_mask(damaged, restored, threshold=0), [[False, True, True]])
    # 16-bit: the same picture scaled by 257 gives the same mask
    wide = seg.groundtruth_mask(damaged.astype(np.uint16) * 257, restored.astype(np.uint16) * 257, threshold=5 / 255)
    np.testing.assert_array_equal(wide, [[False, False, True]])


@pytest.mark.parametrize("threshold", [-0.1, 1.0, 2])
def test_groundtruth_threshold_must_be_normalised(threshold):
    image = np.zeros((2, 2), np.uint8)
    with pytest.raises(MetricInputError, match=r"\[0, 1\)"):
        seg.groundtruth_mask(image, image, threshold=threshold)


def test_iou_and_f1_on_tiny_masks():
    pred = np.array([[1, 1, 0], [0, 0, 0]], bool)
    gt = np.array([[1, 0, 0], [1, 0, 0]], bool)
    # TP = 1, FP = 1, FN = 1
    assert seg.iou(pred, gt) == pytest.approx(1 / 3)
    assert seg.f1(pred, gt) == pytest.approx(2 / 4)
    empty = np.zeros_like(gt)
    assert seg.iou(empty, empty) == 1.0 and seg.f1(empty, empty) == 1.0
    assert seg.iou(empty, gt) == 0.0 and seg.f1(pred, empty) == 0.0
    with pytest.raises(MetricInputError, match="boolean"):
        seg.iou(pred.astype(int), gt)


def test_threshold_sweep_equals_thresholding_each_level():
    # given: quantised scores, so that many equal the thresholds exactly
    rng = np.random.default_rng(7)
    score = rng.integers(0, 11, (40, 50)) / 10
    gt = rng.random((40, 50)) < score * 0.8
    thresholds = [0.0, 0.2, 0.3, 0.5, 0.7, 1.0]
    # when
    sweep = seg.threshold_sweep(score, gt, thresholds)
    # then
    for t, iou_value, f1_value in zip(thresholds, sweep.iou, sweep.f1):
        assert iou_value == pytest.approx(seg.iou(score > t, gt), abs=1e-15)
        assert f1_value == pytest.approx(seg.f1(score > t, gt), abs=1e-15)
    assert sweep.best_f1 == max(sweep.f1)
    assert sweep.best_f1_threshold == thresholds[int(np.argmax(sweep.f1))]
    assert sweep.best_iou == max(sweep.iou)
    assert sweep.as_dict()["thresholds"] == thresholds


def test_sweeping_the_groundtruth_threshold_by_symmetry():
    # the paper sweeps the binarisation of the difference map; IoU/F1 are symmetric so the roles swap
    rng = np.random.default_rng(8)
    difference = rng.random((30, 30))
    pred = rng.random((30, 30)) < 0.3
    sweep = seg.threshold_sweep(difference, pred, [0.5, 0.8])
    assert sweep.iou[1] == pytest.approx(seg.iou(pred, difference > 0.8))


def test_threshold_sweep_refuses_bad_input():
    with pytest.raises(MetricInputError, match="non-empty"):
        seg.threshold_sweep(np.zeros((3, 3)), np.zeros((3, 3), bool), [])
    with pytest.raises(MetricInputError, match="NaN"):
        seg.threshold_sweep(np.full((3, 3), np.nan), np.zeros((3, 3), bool), [0.5])
    with pytest.raises(MetricInputError, match="boolean mask"):
        seg.threshold_sweep(np.zeros((3, 3)), np.zeros((3, 4), bool), [0.5])


def test_emd_of_equal_sets_is_the_optimal_assignment():
    # given: 12 random pixels in each mask of a 20 x 30 frame
    rng = np.random.default_rng(9)
    pred = np.zeros((20, 30), bool)
    gt = np.zeros((20, 30), bool)
    pred.flat[rng.choice(600, 12, replace=False)] = True
    gt.flat[rng.choice(600, 12, replace=False)] = True
    # reference: mean cost of the optimal matching on (x / width, y / height)
    a = np.column_stack([np.nonzero(pred)[1] / 30, np.nonzero(pred)[0] / 20])
    b = np.column_stack([np.nonzero(gt)[1] / 30, np.nonzero(gt)[0] / 20])
    cost = cdist(a, b)
    rows, cols = linear_sum_assignment(cost)
    assert seg.emd_points(pred, gt) == pytest.approx(cost[rows, cols].mean(), abs=1e-12)


def test_emd_with_unequal_sets_by_hand():
    # one point at (0, 0) against two at normalised distance 0.5 each: half its mass to each
    pred = np.zeros((4, 4), bool)
    gt = np.zeros((4, 4), bool)
    pred[0, 0] = True
    gt[0, 2] = gt[2, 0] = True
    assert seg.emd_points(pred, gt) == pytest.approx(0.5)
    assert seg.emd_points(gt, gt) == 0.0


def test_emd_conventions_for_empty_masks():
    empty = np.zeros((5, 5), bool)
    one = empty.copy()
    one[2, 2] = True
    assert seg.emd_points(empty, empty) == 0.0
    assert math.isnan(seg.emd_points(one, empty)) and math.isnan(seg.emd_points(empty, one))


def test_emd_subsample_is_seeded():
    rng = np.random.default_rng(10)
    pred, gt = rng.random((60, 60)) < 0.2, rng.random((60, 60)) < 0.2
    first = seg.emd_points(pred, gt, n=100, seed=1)
    assert seg.emd_points(pred, gt, n=100, seed=1) == first
    assert seg.emd_points(pred, gt, n=100, seed=2) != first
    with pytest.raises(MetricInputError, match="positive integer"):
        seg.emd_points(pred, gt, n=0)


def test_score_segmentation_uses_the_best_f1_threshold_for_the_emd():
    rng = np.random.default_rng(11)
    gt = np.zeros((40, 40), bool)
    gt[10:14, 5:35] = True
    score = np.clip(gt * 0.7 + rng.normal(0, 0.15, gt.shape), 0, 1)
    result = seg.score_segmentation(score, gt, thresholds=[0.2, 0.4, 0.6], emd_n=500)
    assert result.emd_threshold == result.sweep.best_f1_threshold
    assert result.emd == pytest.approx(seg.emd_points(score > result.emd_threshold, gt, n=500))
    assert result.sweep.best_f1 > 0.8


def test_emd_of_identical_large_masks_is_zero_despite_subsampling():
    # given a mask with far more damaged pixels than the subsample size
    rng = np.random.default_rng(5)
    mask = rng.random((400, 600)) < 0.05
    # then the same mask against itself has no distance, whatever the subsample
    # (abs: the solver's precision; independent draws gave ~0.02)
    assert seg.emd_points(mask, mask.copy(), n=500, seed=3) == pytest.approx(0.0, abs=1e-6)
