"""score_folders on real image pairs against reference implementations (the issue's held-out check).

References: PSNR and SSIM from scikit-image (``peak_signal_noise_ratio`` and
``structural_similarity`` with the metric card's arguments), LPIPS from the lpips package's own code
(see tests/imaging/lpips_reference.py). Tolerances are the issue's: PSNR and SSIM within 0.01, LPIPS within
0.001. Images: scikit-image's astronaut, chelsea and coffee with seeded synthetic damage and an
OpenCV inpainting as the restoration (eval_damage_fixtures.py).
"""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest
import tifffile
import torch
from eval_damage_fixtures import IMAGES, triplet
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from evaluation.core import scoring
from evaluation.core.metrics import METRIC_CARD_VERSION
from imaging.lpips import image_to_tensor
from tests.imaging.lpips_reference import load_reference_lpips

torch.set_num_threads(2)


def _write_png(path, image):
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


@pytest.fixture(scope="module")
def benchmark(tmp_path_factory):
    root = tmp_path_factory.mktemp("benchmark")
    folders = {kind: root / kind for kind in ("gt", "damaged", "restored")}
    for folder in folders.values():
        folder.mkdir()
    arrays = {}
    for seed, name in enumerate(sorted(IMAGES)):
        clean, damaged, restored = triplet(name, seed=seed)
        arrays[name] = (clean, damaged, restored)
        _write_png(folders["gt"] / f"{name}.png", clean)
        _write_png(folders["damaged"] / f"{name}.png", damaged)
        _write_png(folders["restored"] / f"{name}.png", restored)
    return folders, arrays


def _card_ssim(a, b, data_range):
    return structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=data_range, channel_axis=-1
    )


@pytest.fixture(scope="module")
def scored(benchmark):
    folders, _ = benchmark
    calls = []
    report = scoring.score_folders(
        folders["gt"], folders["restored"], folders["damaged"], progress=lambda i, n: calls.append((i, n))
    )
    return report, calls


def test_scores_match_reference_implementations(benchmark, scored):
    # given
    _, arrays = benchmark
    reference_lpips = load_reference_lpips()
    # when
    report, calls = scored
    # then: the JSON shape of score_restorations --json
    assert set(report) == {"images", "mean", "std", "metric_card"}
    assert [row["name"] for row in report["images"]] == sorted(IMAGES)
    assert calls == [(1, 3), (2, 3), (3, 3)]
    for row in report["images"]:
        clean, _, restored = arrays[row["name"]]
        assert {"psnr", "ssim", "lpips", "psnr_damage", "psnr_clean"} <= set(row)
        assert row["psnr"] == pytest.approx(peak_signal_noise_ratio(clean, restored, data_range=255), abs=0.01)
        assert row["ssim"] == pytest.approx(_card_ssim(clean, restored, 255), abs=0.01)
        with torch.no_grad():
            expected = float(reference_lpips(image_to_tensor(clean), image_to_tensor(restored)))
        assert row["lpips"] == pytest.approx(expected, abs=0.001)
    for key in ("psnr", "ssim", "lpips", "psnr_damage"):
        values = [row[key] for row in report["images"]]
        assert report["mean"][key] == pytest.approx(np.mean(values))
        assert report["std"][key] == pytest.approx(np.std(values))  # population std
    assert report["metric_card"]["version"] == METRIC_CARD_VERSION
    assert report["metric_card"]["damage_threshold"] == scoring.DEFAULT_DAMAGE_THRESHOLD


def test_region_scores_and_the_do_nothing_row(benchmark, scored):
    folders, arrays = benchmark
    restored, _ = scored
    nothing = scoring.score_folders(folders["gt"], folders["damaged"], folders["damaged"])
    for fixed, raw in zip(restored["images"], nothing["images"]):
        # damage was drawn only inside its mask, so doing nothing is (nearly) perfect outside the
        # ground truth: only faint damage at or below the threshold and beyond the dilation is left
        assert raw["psnr_clean"] > 60 and raw["ssim_clean"] > max(0.99, raw["ssim_damage"])
        assert fixed["psnr_damage"] > raw["psnr_damage"]
        assert 0 < raw["damage_fraction"] < 0.1
        # full-frame PSNR hides the damage: it is far above the damage-region PSNR
        assert fixed["psnr"] > fixed["psnr_damage"] + 10
    # with threshold 0 every changed pixel is damage: doing nothing is exactly right outside it
    clean, damaged, _ = arrays["chelsea"]
    assert scoring.score_do_nothing(clean, damaged, damage_threshold=0.0)["psnr_clean"] == math.inf
    mean, std = scoring.summarise([{"name": "a", "psnr_clean": math.inf}, {"name": "b", "psnr_clean": math.inf}])
    assert mean["psnr_clean"] == math.inf and std["psnr_clean"] == 0.0


def test_without_damaged_inputs_there_are_no_region_scores(benchmark, tmp_path):
    _, arrays = benchmark
    clean, _, restored = arrays["coffee"]
    for kind, image in (("gt", clean), ("restored", restored)):
        (tmp_path / kind).mkdir()
        _write_png(tmp_path / kind / "coffee.png", image[:128, :160])
    report = scoring.score_folders(tmp_path / "gt", tmp_path / "restored")
    assert set(report["images"][0]) == {"name", "psnr", "ssim", "lpips"}
    assert report["metric_card"] == {"version": METRIC_CARD_VERSION}
    assert report["std"]["psnr"] == 0.0


def test_sixteen_bit_tiffs_keep_their_depth(tmp_path):
    # given
    clean, damaged, restored = triplet("coffee", seed=2)
    wide = {name: image.astype(np.uint16) * 257 + 3 for name, image in (("gt", clean), ("restored", restored))}
    for name, image in wide.items():
        (tmp_path / name).mkdir()
        tifffile.imwrite(tmp_path / name / "frame.tif", image)
    # when
    row = scoring.score_folders(tmp_path / "gt", tmp_path / "restored")["images"][0]
    # then: on the 65535 range, not rescaled to 8 bits
    assert row["psnr"] == pytest.approx(
        peak_signal_noise_ratio(wide["gt"], wide["restored"], data_range=65535), abs=0.01)
    assert row["ssim"] == pytest.approx(_card_ssim(wide["gt"], wide["restored"], 65535), abs=0.01)


def test_names_must_pair_up(benchmark, tmp_path):
    folders, arrays = benchmark
    restored = tmp_path / "restored"
    restored.mkdir()
    _write_png(restored / "astronaut.png", arrays["astronaut"][2])
    _write_png(restored / "stranger.png", arrays["astronaut"][2])
    with pytest.raises(scoring.ScoringError, match=r"missing \['chelsea', 'coffee'\], extra \['stranger'\]"):
        scoring.score_folders(folders["gt"], restored)


def test_wrong_size_is_refused_with_the_name(benchmark, tmp_path):
    folders, arrays = benchmark
    restored = tmp_path / "restored"
    restored.mkdir()
    for name, (_, _, image) in arrays.items():
        _write_png(restored / f"{name}.png", image[:-1] if name == "astronaut" else image)
    with pytest.raises(scoring.ScoringError, match="'astronaut'.*never resized"):
        scoring.score_folders(folders["gt"], restored)


def test_score_arrays_and_do_nothing_helper():
    clean, damaged, restored = (image[100:300, 150:350] for image in triplet("astronaut", seed=0))
    scores = scoring.score_arrays(clean, restored, damaged)
    baseline = scoring.score_do_nothing(clean, damaged)
    assert scores["lpips"] < baseline["lpips"]
    assert baseline == scoring.score_arrays(clean, damaged, damaged)


def test_report_to_json_is_strict():
    report = {"images": [{"name": "a", "psnr": math.inf, "psnr_damage": math.nan}], "mean": {}, "std": {}}
    text = scoring.report_to_json(report)
    assert json.loads(text)["images"][0] == {"name": "a", "psnr": None, "psnr_damage": None}
    assert "Infinity" not in text and "NaN" not in text


def test_summarise_skips_undefined_values():
    mean, std = scoring.summarise([{"name": "a", "psnr_damage": math.nan}, {"name": "b", "psnr_damage": 30.0},
                                   {"name": "c", "psnr_damage": 34.0}])
    assert mean["psnr_damage"] == 32.0 and std["psnr_damage"] == 2.0
