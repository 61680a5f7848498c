"""Crops and pair rendering (surveys.core.crops, surveys.core.methods) on small arrays."""
from __future__ import annotations

import numpy as np
import pytest

from annotation.core.types import CLASSES
from surveys.core.crops import (
    as_display,
    crop_frame,
    crop_origin,
    damage_mask,
    default_um_per_px,
    measure_polarity,
    render_real_vs_synthetic,
    render_two_methods,
)
from surveys.core.methods import ModelDamage, OverlayImageDamage, UniformDamage, fake_damage
from surveys.core.plan import PairSpec
from synthesis.core.bank import ArtefactBank
from synthesis.core.model import ClassModel, DamageModel, GammaParams, PerlinSettings


@pytest.fixture(scope="module")
def model():
    """Dust only: a patch holds any with p = 0.9, then Gamma(4, 2) artefacts of Gamma(2, 3000) square microns."""
    classes = {c: ClassModel(c, 0, 0.0, None, None, 0.0, None, PerlinSettings()) for c in CLASSES}
    classes["dust"] = ClassModel("dust", 100, 0.9, GammaParams(4.0, 2.0), GammaParams(2.0, 3000.0), 40000.0, None,
                                 PerlinSettings())
    return DamageModel.from_dict(DamageModel(classes).to_dict())


@pytest.fixture(scope="module")
def bank():
    b = ArtefactBank()
    b.add_procedural(seed=1, per_class=15)
    return b


class AddTen:
    """A stand-in damage method: adds 10 to every pixel, and reports its arguments."""

    label = "add ten"

    def __call__(self, clean, *, seed, polarity, um_per_px):
        return clean + 10, {"seed_seen": seed, "polarity_seen": polarity, "um": um_per_px}


def pair_images(polarity="negative"):
    restored = np.full((100, 120, 3), 100, np.uint8)
    damaged = restored.copy()
    damaged[70:80, 90:100] = 250 if polarity == "negative" else 5
    return damaged, restored


def test_mask_and_polarity_of_real_damage():
    damaged, restored = pair_images("negative")
    mask = damage_mask(damaged, restored)
    assert mask.sum() == 100 and mask[75, 95]
    assert measure_polarity(damaged, restored) == "negative"
    assert measure_polarity(*pair_images("positive")) == "positive"
    with pytest.raises(ValueError, match="do not differ"):
        measure_polarity(restored, restored)
    with pytest.raises(ValueError, match="same shape"):
        damage_mask(damaged[:50], restored)


def test_crop_origin_is_seeded_inside_and_prefers_damage():
    rng = lambda: np.random.default_rng(3)  # noqa: E731
    x, y = crop_origin(width=120, height=100, size=40, rng=rng())
    assert (x, y) == crop_origin(width=120, height=100, size=40, rng=rng()) and 0 <= x <= 80 and 0 <= y <= 60
    damaged, restored = pair_images()
    mask = damage_mask(damaged, restored)
    for seed in range(20):
        x, y = crop_origin(width=120, height=100, size=40, rng=np.random.default_rng(seed), mask=mask)
        # 16 candidates of 40 px out of 81 x 61 corners: in these seeds one always touches the damage
        assert mask[y:y + 40, x:x + 40].any()
    with pytest.raises(ValueError, match="does not fit"):
        crop_origin(width=120, height=100, size=101, rng=rng())


def test_real_vs_synthetic_pair_takes_the_same_crop_from_both_images():
    damaged, restored = pair_images()
    spec = PairSpec(0, "x", 32, "negative", seed=11)
    pair = render_real_vs_synthetic(damaged, restored, spec=spec, method=AddTen(), um_per_px=7.0)
    assert np.array_equal(pair.a, damaged[pair.y:pair.y + 32, pair.x:pair.x + 32])
    assert np.array_equal(pair.b, restored[pair.y:pair.y + 32, pair.x:pair.x + 32] + 10)
    assert pair.meta["b"]["polarity_seen"] == "negative" and pair.meta["b"]["um"] == 7.0
    assert pair.meta["real_damaged_share"] > 0
    again = render_real_vs_synthetic(damaged, restored, spec=spec, method=AddTen(), um_per_px=7.0)
    assert np.array_equal(again.b, pair.b) and (again.x, again.y) == (pair.x, pair.y)


def test_catch_pair_shows_artificial_marks_opposite_the_right_answer():
    damaged, restored = pair_images()
    spec = PairSpec(5, "x", 64, "negative", seed=4, catch=True)
    pair = render_real_vs_synthetic(damaged, restored, spec=spec, method=AddTen())
    assert np.array_equal(pair.a, damaged[pair.y:pair.y + 64, pair.x:pair.x + 64])
    magenta = np.all(pair.b == [255, 0, 255], axis=-1) | np.all(pair.b == [0, 255, 255], axis=-1)
    assert magenta.any() and pair.meta["b"]["method"].startswith("catch")


def test_two_methods_pair_uses_one_clean_crop():
    _, clean = pair_images()
    spec = PairSpec(0, "x", 48, "positive", seed=2)
    pair = render_two_methods(clean, spec=spec, method_a=AddTen(), method_b=AddTen())
    assert np.array_equal(pair.a, clean[pair.y:pair.y + 48, pair.x:pair.x + 48] + 10)
    assert pair.meta["a"]["seed_seen"] != pair.meta["b"]["seed_seen"]
    assert pair.meta["um_per_px"] == default_um_per_px(120, 100) == 35000 / 120


def test_model_damage_is_seeded_and_follows_the_polarity(model, bank):
    clean = np.full((256, 256, 3), 128, np.uint8)
    method = ModelDamage(model, bank, device="cpu")
    white, info = method(clean, seed=3, polarity="negative", um_per_px=7.0)
    assert info["counts"]["dust"] > 0 and (white >= clean).all() and (white > clean).any()
    assert np.array_equal(white, method(clean, seed=3, polarity="negative", um_per_px=7.0)[0])
    black, _ = method(clean, seed=3, polarity="positive", um_per_px=7.0)
    # the same overlay darkens instead (rounding of faint alpha may differ by a pixel or so)
    darker, lighter = (black < clean).any(axis=2), (white > clean).any(axis=2)
    assert (black <= clean).all() and (darker & lighter).sum() / (darker | lighter).sum() > 0.9
    # the crop's frame: 256 px at 7 um/px is 1.792 mm
    assert crop_frame(width=256, height=256, um_per_px=7.0).frame_w_mm == pytest.approx(1.792)


def test_uniform_and_overlay_image_baselines(model, bank):
    clean = np.full((128, 128, 3), 128, np.uint8)
    uniform = UniformDamage(model, bank)
    a, info = uniform(clean, seed=8, polarity="negative", um_per_px=7.0)
    assert np.array_equal(a, uniform(clean, seed=8, polarity="negative", um_per_px=7.0)[0])
    assert (a >= clean).all() and sum(info["counts"].values()) > 0
    ones = np.full((40, 40), 255, np.uint8)  # an all-white overlay smaller than the crop is enlarged
    b, _ = OverlayImageDamage([ones])(clean, seed=1, polarity="positive", um_per_px=7.0)
    assert (b == 0).all()
    with pytest.raises(ValueError, match="at least one"):
        OverlayImageDamage([])


def test_fake_damage_and_display_conversion():
    grey = np.full((64, 64), 30000, np.uint16)
    marked = fake_damage(grey, seed=0)
    assert marked.dtype == np.uint16 and set(np.unique(marked)) <= {0, 30000, 65535} and (marked != grey).any()
    assert as_display(np.array([[0, 257, 65535]], np.uint16)).tolist() == [[0, 1, 255]]
    assert as_display(np.zeros((2, 2, 4), np.uint8)).shape == (2, 2, 3)
