"""Realistic training samples (restoration.core.realism) and detection at a canonical scale and polarity."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restoration.core.pipeline import RestorationError, detect_damage, frame_px_per_mm
from restoration.core.realism import SampleSettings, jpeg_roundtrip, make_sample
from restoration.core.unet import UNet, UNetConfig
from tests.support import needs_public_data


class BrightSpots(UNet):
    """A stand-in detector: logit > 0 where the grey level exceeds 0.8 (it 'sees' light damage)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return (x.mean(dim=1, keepdim=True) - 0.8) * 50.0


def _detector(canonical: float = 0.0, light: bool = True) -> UNet:
    return BrightSpots(UNetConfig(base=2, depth=2, canonical_px_per_mm=canonical, light_damage=light))


def test_frame_scale_is_long_side_over_35_mm():
    # given a 4944 x 3396 scan / when / then: the paper's 4K scans are 141.3 px/mm
    assert frame_px_per_mm((3396, 4944, 3)) == pytest.approx(4944 / 35)
    assert frame_px_per_mm((4944, 3396)) == pytest.approx(4944 / 35)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_auto_polarity_finds_dark_specks_as_positive_film(dtype):
    # given mid-grey film with dark specks (slide damage)
    top = np.iinfo(dtype).max
    image = np.full((96, 128, 3), top // 2, dtype)
    image[40:44, 50:54] = 0
    # when the detector is asked to decide the polarity
    damage = detect_damage(image, _detector(), polarity="auto", dilate=0, tile=64)
    # then it decided 'positive', flagged the speck and nothing else
    assert damage.polarity == "positive"
    assert damage.mask[40:44, 50:54].all() and damage.mask.sum() == 16
    assert damage.flagged["positive"] > damage.flagged["negative"] == 0.0


def test_negative_film_does_not_flag_dark_specks():
    image = np.full((64, 64, 3), 128, np.uint8)
    image[20:24, 20:24] = 0
    assert not detect_damage(image, _detector(), polarity="negative", dilate=0, tile=64).mask.any()


def test_canonical_scale_detects_at_its_scale_and_answers_at_full_size():
    # given a 4K-like scan (141 px/mm) with a bright 12 x 12 speck, and a detector at 60 px/mm
    image = np.full((600, 900, 3), 100, np.uint8)
    image[300:312, 450:462] = 255
    damage = detect_damage(image, _detector(60.0), polarity="negative", px_per_mm=141.0, dilate=0, tile=64)
    # then the map has the scan's size, the detector ran on a resampled copy, and the speck is found
    assert damage.probability.shape == damage.mask.shape == (600, 900)
    assert damage.factor == pytest.approx(60 / 141)
    assert damage.mask[303:309, 453:459].all()
    assert not damage.mask[:250].any() and not damage.mask[:, :400].any()


def test_a_small_picture_is_enlarged_at_most_max_upscale_times():
    # given a 64 x 48 picture, which as a whole 35 mm frame would be 1.8 px/mm (33x to reach 60 px/mm)
    from restoration.core.pipeline import MAX_UPSCALE

    image = np.full((48, 64, 3), 100, np.uint8)
    image[20:23, 30:33] = 255
    damage = detect_damage(image, _detector(60.0), polarity="negative", dilate=0, tile=64)
    # then it is detected at 5x, answered at its own size, and the speck found
    assert damage.factor == MAX_UPSCALE == 5.0
    assert damage.mask.shape == (48, 64) and damage.mask[21, 31]


def test_detect_refuses_unknown_polarity_and_bad_scale():
    image = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(RestorationError, match="polarity must be one of"):
        detect_damage(image, _detector(), polarity="slide")
    with pytest.raises(RestorationError, match="px_per_mm must be positive"):
        detect_damage(image, _detector(), px_per_mm=-3.0)


def test_unet_config_refuses_canonical_scale_on_a_restoration_network():
    with pytest.raises(ValueError, match="only a segmentation U-Net"):
        UNetConfig(in_channels=3, out_channels=3, task="restoration", canonical_px_per_mm=60.0)


def test_jpeg_roundtrip_keeps_shape_and_changes_pixels():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (64, 48, 3), dtype=np.uint8)
    out = jpeg_roundtrip(image, 70)
    assert out.shape == image.shape and out.dtype == np.uint8 and not np.array_equal(out, image)



def _photo(seed: int = 1) -> np.ndarray:
    from restoration.core.clean_images import generated_scene

    return generated_scene(size=(400, 600), seed=seed)


@needs_public_data
def test_sample_is_seeded_and_canonical(damage_source):
    model, bank = damage_source
    settings = SampleSettings(size=128)
    a = make_sample(_photo(), model, bank, rng=np.random.default_rng(5), settings=settings)
    b = make_sample(_photo(), model, bank, rng=np.random.default_rng(5), settings=settings)
    assert a.damaged.shape == a.clean.shape == (128, 128, 3) and a.mask.shape == (128, 128)
    assert np.array_equal(a.damaged, b.damaged) and np.array_equal(a.mask, b.mask) and a.facts == b.facts


@needs_public_data
def test_undamaged_sample_has_no_mask_and_damaged_sample_is_lighter_in_its_mask(damage_source):
    model, bank = damage_source
    settings = SampleSettings(size=128, jpeg_share=0.0, blur_share=0.0)
    empty = make_sample(_photo(), model, bank, rng=np.random.default_rng(1), settings=settings, damaged=False)
    assert not empty.mask.any() and np.array_equal(empty.damaged, empty.clean)
    samples = [make_sample(_photo(seed), model, bank, rng=np.random.default_rng(seed), settings=settings,
                           damaged=True, native_px_per_mm=141.0) for seed in range(12)]
    # the fitted model's own density: a fraction of a per cent of the pixels on average, not several
    assert 0.0005 < float(np.mean([s.mask.mean() for s in samples])) < 0.03
    # every sample drawn with damage holds some, and (light damage) is brighter than the clean one inside its mask
    for s in samples:
        assert s.mask.any()
        assert (s.damaged.astype(int) - s.clean.astype(int))[s.mask].mean() > 5


@needs_public_data
def test_positive_film_sample_is_an_inverted_picture(damage_source):
    model, bank = damage_source
    settings = SampleSettings(size=128, jpeg_share=0.0, blur_share=0.0, grain_strength=(0.0, 0.0))
    photo = np.full((300, 300, 3), 30, np.uint8)
    s = make_sample(photo, model, bank, rng=np.random.default_rng(2), settings=settings, invert=True,
                    damaged=False)
    assert s.facts["inverted"] and np.all(s.clean == 225)
