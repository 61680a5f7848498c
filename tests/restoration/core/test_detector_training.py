"""The detector trainer: its operating point, ranged damage density, a toy run end to end, and methods that use it."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restoration.core import methods as registry
from restoration.core.detector_training import (
    THRESHOLDS,
    DetectorRecipe,
    calibrate_detector,
    default_arch,
    detection_scores,
    train_detector,
)
from restoration.core.realism import SampleSettings, make_sample
from restoration.core.unet import UNet, UNetConfig, load_model, save_model
from tests.support import needs_public_data

torch.set_num_threads(2)


class FixedLogits(torch.nn.Module):
    """Returns the logits it was given for the i-th call's batch, whatever the input."""

    def __init__(self, logits: torch.Tensor):
        super().__init__()
        self.logits, self.at = logits, 0

    def forward(self, x):
        out = self.logits[self.at:self.at + len(x)]
        self.at += len(x)
        return out


def _logit(p):
    return torch.logit(torch.as_tensor(p, dtype=torch.float32))


def test_operating_point_is_the_best_iou_within_the_clean_flag_budget():
    # given: 2 damaged crops whose damage scores 0.8-0.95 and 2 undamaged crops with a few picture pixels at
    # 0.7 (1% of their pixels) and one at 0.93 (a letter the detector is sure of)
    n, side = 4, 32
    y = torch.zeros(n, 1, side, side)
    y[0, 0, 4:8, 4:8] = 1
    y[1, 0, 10:14, 10:14] = 1
    prob = torch.full((n, 1, side, side), 0.01)
    prob[0, 0, 4:8, 4:8] = 0.95
    prob[1, 0, 10:14, 10:14] = 0.8
    prob[2, 0, 0, :20] = 0.7
    prob[3, 0, 5, 5] = 0.93
    damaged = np.array([True, True, False, False])
    # when
    scores = detection_scores(FixedLogits(_logit(prob)), torch.zeros(n, 3, side, side), y, damaged,
                              max_clean_flagged=1e-3)
    # then: at 0.5 every damage pixel is found but 21 clean pixels are flagged (1.03%); the operating point is
    # the lowest threshold above 0.7 that keeps the flagged share under 0.1% (the 0.93 pixel is 0.05%)
    assert scores["recall"] == 1.0 and scores["clean_flagged"] == pytest.approx(21 / (2 * side * side))
    assert 0.7 <= scores["threshold"] < 0.8 and scores["threshold"] in THRESHOLDS
    assert scores["op_iou"] == pytest.approx(32 / 33) and scores["op_clean_flagged"] == pytest.approx(1 / 2048)
    # and when no threshold meets the budget (a clean pixel above the highest), the highest one is taken
    prob[3, 0, 5, 5] = 0.99999
    strict = detection_scores(FixedLogits(_logit(prob)), torch.zeros(n, 3, side, side), y, damaged,
                              max_clean_flagged=1e-4)
    assert strict["threshold"] == max(THRESHOLDS) and strict["op_recall"] == 0.0


def test_damage_level_range_is_validated():
    with pytest.raises(ValueError, match="damage_level"):
        SampleSettings(damage_level=(0.0, 2.0))
    with pytest.raises(ValueError, match="damage_level"):
        SampleSettings(damage_level=(3.0, 2.0))
    with pytest.raises(ValueError, match="damage_level"):
        SampleSettings(damage_level=-1.0)
    assert SampleSettings(damage_level=0.0).damage_level == 0.0



def _photos(n, seed=0, side=320):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        base = rng.uniform(40, 160, 3)
        ramp = np.linspace(0, 60, side)[None, :, None]
        out.append(np.clip(base + ramp + rng.normal(0, 4, (side, side, 3)), 0, 255).astype(np.uint8))
    return out


@needs_public_data
def test_a_ranged_damage_level_draws_denser_damage(damage_source):
    model, bank = damage_source
    photo = _photos(1)[0]
    shares = {}
    for level in [1.0, (6.0, 8.0)]:
        settings = SampleSettings(size=96, damage_level=level, empty_share=0.0, scale_range=(60.0, 60.0))
        rng = np.random.default_rng(3)
        shares[level] = np.mean([make_sample(photo, model, bank, rng=rng, settings=settings).mask.mean()
                                 for _ in range(24)])
    assert shares[(6.0, 8.0)] > 3 * shares[1.0] > 0


@needs_public_data
def test_train_detector_writes_a_light_damage_checkpoint_with_its_operating_point(damage_source, tmp_path):
    # given: a toy recipe
    model, bank = damage_source
    recipe = DetectorRecipe(steps=3, batch_size=2, eval_every=2, val_samples=4, lr=1e-3,
                            sample=SampleSettings(size=64, damage_level=(1.0, 8.0)))
    arch = UNetConfig(in_channels=3, out_channels=1, base=4, depth=2, task="segmentation",
                      canonical_px_per_mm=recipe.sample.canonical_px_per_mm, light_damage=True)
    seen = []
    # when
    result = train_detector(photos=_photos(3), val_photos=_photos(2, seed=1), model=model, bank=bank,
                            out=tmp_path / "det.pt", recipe=recipe, arch=arch, on_eval=seen.append,
                            data={"corpus": "toy"})
    # then: evaluations at steps 2 and 3, the card names its threshold and data, and the file loads back
    assert [e.step for e in seen] == [2, 3] and result.card["selected_step"] in (2, 3)
    assert result.card["threshold"] in THRESHOLDS and result.card["data"] == {"corpus": "toy"}
    net, card = load_model(result.path)
    assert net.config == arch and card["threshold"] == result.card["threshold"] and "partial" not in card
    # and a network at another canonical scale is refused
    with pytest.raises(ValueError, match="canonical"):
        train_detector(photos=_photos(1), val_photos=_photos(1), model=model, bank=bank, out=tmp_path / "x.pt",
                       recipe=recipe, arch=default_arch(141.0))


@pytest.mark.parametrize("given, used", [(0.0, 0.9), (0.6, 0.6)])
def test_methods_use_the_detectors_own_threshold_unless_told(tmp_path, given, used):
    torch.manual_seed(0)
    save_model(tmp_path / registry.SEGMENTATION_WEIGHTS, UNet(UNetConfig(base=4, depth=2)).eval(),
               card={"threshold": 0.9})
    image = np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    result = registry.restore_image(image, method="unet-telea", options={"threshold": given, "review": False},
                                    weights_dir=tmp_path)
    assert result.info["threshold"] == used


@needs_public_data
def test_calibration_shows_a_negative_film_detector_the_slides_as_they_are(damage_source):
    # given: a stand-in detector at a canonical scale that flags pixels lighter than their surround, trained for
    # both polarities (light_damage False), and the same one said to see light damage only
    model, bank = damage_source

    class Light(UNet):
        def forward(self, x):
            grey = x.mean(dim=1, keepdim=True)
            return 60.0 * (grey - torch.nn.functional.avg_pool2d(grey, 15, 1, 7, count_include_pad=False) - 0.08)

    both = Light(UNetConfig(base=2, depth=1, canonical_px_per_mm=60.0))
    light = Light(UNetConfig(base=2, depth=1, canonical_px_per_mm=60.0, light_damage=True))
    photos = [np.full((300, 300, 3), 90, np.uint8)]
    # when
    a = calibrate_detector(both, photos, model, bank, samples=16, size=64)
    b = calibrate_detector(light, photos, model, bank, samples=16, size=64)
    # then: a light-damage detector finds the light damage of every sample; the other one misses the dark
    # damage of slides, so its recall is lower
    assert b["recall"] > a["recall"] > 0
    assert a["threshold"] in THRESHOLDS and 0.0 <= a["op_clean_flagged"] <= 1.0
    with pytest.raises(ValueError, match="canonical"):
        calibrate_detector(Light(UNetConfig(base=2, depth=1)), photos, model, bank, samples=4, size=64)


@needs_public_data
def test_sample_workers_make_the_same_batches_for_the_same_seed_and_train(damage_source, tmp_path):
    from torch.utils.data import DataLoader

    from restoration.core.detector_training import SampleStream

    model, bank = damage_source
    settings = SampleSettings(size=64, damage_level=(1.0, 8.0))

    def batches(seed):
        stream = SampleStream(_photos(3), model, bank, settings=settings, batch_size=2, steps=5, seed=seed)
        return list(DataLoader(stream, batch_size=None, num_workers=2))

    a, b, c = batches(0), batches(0), batches(1)
    assert len(a) == 5 and a[0][0].shape == (2, 3, 64, 64) and a[0][1].shape == (2, 1, 64, 64)
    assert all(torch.equal(x, y) and torch.equal(m, n) for (x, m), (y, n) in zip(a, b))
    assert not all(torch.equal(x, y) for (x, _), (y, _) in zip(a, c))
    assert not torch.equal(a[0][0], a[1][0])  # the two workers draw different samples
    # and training takes its batches from them
    recipe = DetectorRecipe(steps=3, batch_size=2, eval_every=3, val_samples=4, sample=settings)
    arch = UNetConfig(in_channels=3, out_channels=1, base=4, depth=2, task="segmentation",
                      canonical_px_per_mm=settings.canonical_px_per_mm, light_damage=True)
    result = train_detector(photos=_photos(3), val_photos=_photos(2, seed=1), model=model, bank=bank,
                            out=tmp_path / "det.pt", recipe=recipe, arch=arch, sample_workers=2)
    assert result.card["sample_workers"] == 2 and [e.step for e in result.history] == [3]
    with pytest.raises(ValueError, match="sample_workers"):
        train_detector(photos=_photos(1), val_photos=_photos(1), model=model, bank=bank, out=tmp_path / "x.pt",
                       recipe=recipe, arch=arch, sample_workers=-1)
