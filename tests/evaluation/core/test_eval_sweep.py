"""The ground-truth threshold sweep over a benchmark (evaluation.core.masks) and a submission's summary
(evaluation.core.scoring.submission_summary), on hand-made values."""
from __future__ import annotations

import pytest

from evaluation.core.masks import best_f1_threshold, summarise_sweeps
from evaluation.core.scoring import submission_summary

THRESHOLDS = [0.01, 0.02, 0.05]


def image(name, psnr, iou, f1):
    return {"name": name, "psnr": psnr, "sweep_thresholds": THRESHOLDS, "iou_sweep": iou, "f1_sweep": f1}


def sweep(f1):
    return {"thresholds": THRESHOLDS, "f1_sweep_mean": f1}


def test_sweeps_are_averaged_per_threshold_with_the_population_std():
    out = summarise_sweeps([image("a", 20.0, [0.2, 0.4, 0.6], [0.3, 0.5, 0.7]),
                            image("b", 30.0, [0.4, 0.4, 0.2], [0.5, 0.5, 0.1]),
                            {"name": "c", "psnr": 25.0}])  # no predicted mask: not in the sweep
    assert out["thresholds"] == THRESHOLDS
    assert out["iou_sweep_mean"] == pytest.approx([0.3, 0.4, 0.4])
    assert out["iou_sweep_std"] == pytest.approx([0.1, 0.0, 0.2])
    assert out["f1_sweep_mean"] == pytest.approx([0.4, 0.5, 0.4])
    assert out["f1_sweep_std"] == pytest.approx([0.1, 0.0, 0.3])
    assert summarise_sweeps([{"name": "c", "psnr": 25.0}]) is None


def test_submission_summary_has_scalar_means_and_the_sweep_only_with_masks():
    rows = [image("a", 20.0, [0.2, 0.4, 0.6], [0.3, 0.5, 0.7]), image("b", 30.0, [0.4, 0.4, 0.2], [0.5, 0.5, 0.1])]
    summary = submission_summary(rows)
    assert summary["count"] == 2 and summary["mean"] == {"psnr": 25.0} and summary["std"] == {"psnr": 5.0}
    assert summary["sweep"]["f1_sweep_mean"] == pytest.approx([0.4, 0.5, 0.4])
    plain = submission_summary([{"name": "a", "psnr": 20.0}, {"name": "b", "psnr": float("nan")}])
    assert "sweep" not in plain and plain["mean"] == {"psnr": 20.0} and plain["count"] == 2


def test_the_baselines_choose_the_threshold_with_their_best_mean_f1():
    rows = [(True, sweep([0.2, 0.6, 0.4])), (True, sweep([0.4, 0.4, 0.5])),  # baseline means 0.3, 0.5, 0.45
            (False, sweep([0.9, 0.1, 0.1]))]  # a submission does not sway the choice
    assert best_f1_threshold(rows) == (0.02, THRESHOLDS)


def test_without_baselines_every_row_chooses_and_a_tie_goes_to_the_lowest_threshold():
    assert best_f1_threshold([(False, sweep([0.9, 0.1, 0.1])), (False, sweep([0.1, 0.1, 0.2]))])[0] == 0.01
    assert best_f1_threshold([(True, sweep([0.1, 0.5, 0.5]))])[0] == 0.02
    assert best_f1_threshold([]) == (None, [])
    assert best_f1_threshold([(False, sweep([0.0, 0.0, 0.0]))])[0] == 0.01
