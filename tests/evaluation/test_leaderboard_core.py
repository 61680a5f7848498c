"""Pure parts of the leaderboard: layout recognition, ranks, stored values, predicted-mask scores."""
from __future__ import annotations

import math

import numpy as np
import pytest

from evaluation.core.layout import LayoutError, find_benchmark_pairs
from evaluation.core.masks import score_predicted_mask
from evaluation.core.ranking import (
    Metric,
    average_ranks,
    from_stored,
    rank_values,
    to_public,
    to_stored,
)
from imaging.io import write_image
from tests.evaluation.leaderboard_support import clean_image, damage, write_pairs

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("values, higher, expected", [
    ([30.0, 32.0, 30.0, 25.0], True, [2, 1, 2, 4]),  # ties share the better rank, the next one skips
    ([0.2, 0.1, 0.3], False, [2, 1, 3]),  # LPIPS: lower is better
    ([INF, 40.0, 50.0], True, [1, 3, 2]),  # a perfect PSNR is the best value
    ([30.0, NAN, None, 20.0], True, [1, 3, 3, 2]),  # undefined values share the last rank
    ([], True, []),
])
def test_rank_values(values, higher, expected):
    assert rank_values(values, higher_is_better=higher) == expected


def test_average_ranks_of_a_hand_made_table():
    # given three rows scored on PSNR (higher better) and LPIPS (lower better)
    metrics = [Metric("psnr", "PSNR", True), Metric("lpips", "LPIPS", False)]
    rows = [{"psnr": 30.0, "lpips": 0.30}, {"psnr": 35.0, "lpips": 0.40}, {"psnr": 20.0}]
    # when ranked
    ranks, averages = average_ranks(rows, metrics)
    # then (by hand) PSNR ranks 2, 1, 3 and LPIPS 1, 2, 3 (the missing one last)
    assert ranks == [{"psnr": 2, "lpips": 1}, {"psnr": 1, "lpips": 2}, {"psnr": 3, "lpips": 3}]
    assert averages == [1.5, 1.5, 3.0]


def test_stored_values_round_trip_and_public_values_are_strict_json():
    values = {"psnr": INF, "ssim": 0.5, "psnr_damage": NAN, "sweep": [1.0, -INF]}
    stored = to_stored(values)
    assert stored == {"psnr": "inf", "ssim": 0.5, "psnr_damage": "nan", "sweep": [1.0, "-inf"]}
    back = from_stored(stored)
    assert back["psnr"] == INF and math.isnan(back["psnr_damage"]) and back["sweep"] == [1.0, -INF]
    assert to_public(stored) == {"psnr": None, "ssim": 0.5, "psnr_damage": None, "sweep": [1.0, None]}


def test_layout_refuses_stray_files_next_to_flat_pairs(tmp_path):
    write_pairs(tmp_path, layout="flat")
    write_image(tmp_path / "notes.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(LayoutError, match="notes.png"):
        find_benchmark_pairs(tmp_path)
    (tmp_path / "notes.png").unlink()
    layout = find_benchmark_pairs(tmp_path)
    assert [p.name for p in layout.pairs] == ["a", "b", "c"]
    assert layout.pairs[0].damaged.name == "a_damaged.png" and layout.pairs[0].restored.name == "a_restored.png"


def test_layout_refuses_two_files_of_one_name(tmp_path):
    write_pairs(tmp_path)
    write_image(tmp_path / "damaged" / "a.tif", np.zeros((4, 4), np.uint8))
    with pytest.raises(LayoutError, match="share the name 'a'"):
        find_benchmark_pairs(tmp_path)


def test_predicted_mask_scores_by_hand():
    # given a ground truth of 4 damaged pixels (difference 0.5) and 2 faint ones (0.015)
    restored = np.zeros((20, 20), np.uint8)
    damaged = restored.copy()
    damaged[2:4, 2:4] = 128  # 128 / 255 = 0.502
    damaged[10, 10:12] = 4  # 4 / 255 = 0.0157
    predicted = np.zeros((20, 20), bool)
    predicted[2:4, 2:5] = True  # the 4 pixels plus 2 false positives
    # when scored at threshold 0.02 (the faint pixels are not damage)
    scores = score_predicted_mask(damaged, restored, predicted, threshold=0.02, sweep_thresholds=(0.01, 0.02))
    # then TP 4, FP 2, FN 0: IoU 4/6, F1 8/10
    assert scores["iou"] == pytest.approx(4 / 6) and scores["f1"] == pytest.approx(0.8)
    # at ground-truth threshold 0.01 the 2 faint pixels count as missed damage: TP 4, FP 2, FN 2
    assert scores["iou_sweep"] == pytest.approx([4 / 8, 4 / 6]) and scores["f1_sweep"] == pytest.approx([8 / 12, 0.8])
    assert scores["predicted_fraction"] == pytest.approx(6 / 400)
    # EMD: moving 6 uniform points onto 4; positive, and 0 for a perfect mask
    assert scores["emd"] > 0
    perfect = score_predicted_mask(damaged, restored, damaged > 50, threshold=0.02)
    assert perfect["emd"] == pytest.approx(0.0, abs=1e-8) and perfect["iou"] == 1.0


def test_predicted_mask_must_fit():
    image = clean_image(0)
    damaged, mask = damage(image, 1)
    with pytest.raises(ValueError, match="predicted mask must be boolean"):
        score_predicted_mask(damaged, image, mask.astype(np.uint8), threshold=0.02)
