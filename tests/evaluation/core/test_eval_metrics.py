"""PSNR, SSIM and their region variants, against hand-derived values and scikit-image.

scikit-image's ``structural_similarity`` with the metric card's arguments *is* the card's definition
of SSIM (``evaluation.core.metrics.METRIC_CARD["ssim"]``), so it is the external reference here; the
constant-image case is also derived by hand from Wang et al. 2004, eq. 13, where both variances and the
covariance vanish.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from eval_damage_fixtures import IMAGES, triplet
from scipy import ndimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from skimage.morphology import disk

from evaluation.core import metrics as m


def test_metric_card_states_the_window_the_ssim_uses():
    # given: scikit-image's Gaussian SSIM with the sigma the code passes it
    def skimage_ssim(side):
        image = np.zeros((side, side), np.uint8)
        return structural_similarity(image, image, gaussian_weights=True, sigma=m.SSIM_SIGMA,
                                     use_sample_covariance=False, data_range=255)

    # then: SSIM_WIN_SIZE is the window scikit-image derives from that sigma: it takes images of that
    # size and refuses one pixel less
    assert skimage_ssim(m.SSIM_WIN_SIZE) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="win_size exceeds image extent"):
        skimage_ssim(m.SSIM_WIN_SIZE - 1)
    # and the card, which every stored score cites, states that sigma, window and border
    assert f"sigma={m.SSIM_SIGMA}," in m.METRIC_CARD["ssim"]
    assert f"({m.SSIM_WIN_SIZE} taps)" in m.METRIC_CARD["ssim"]
    assert f"the {m.SSIM_BORDER}-px border" in m.METRIC_CARD["regions"]


@pytest.mark.parametrize(
    "dtype, peak", [(np.uint8, 255.0), (np.uint16, 65535.0)]
)
def test_psnr_of_a_known_mse(dtype, peak):
    # given: every sample off by 5, so MSE = 25
    reference = np.zeros((8, 9, 3), dtype=dtype)
    test = reference + dtype(5)
    # then: 10 log10(R^2 / 25)
    assert m.psnr(reference, test) == pytest.approx(10 * math.log10(peak**2 / 25), abs=1e-12)


def test_psnr_averages_over_all_samples_and_channels():
    # given: one channel of half the pixels off by 10 -> MSE = 100 * (1/2) * (1/3)
    reference = np.zeros((4, 4, 3), dtype=np.uint8)
    test = reference.copy()
    test[:2, :, 0] = 10
    assert m.psnr(reference, test) == pytest.approx(10 * math.log10(255**2 / (100 / 6)), abs=1e-12)


def test_psnr_identical_is_inf_and_float_needs_a_range():
    image = np.full((5, 5), 7, np.uint8)
    assert m.psnr(image, image.copy()) == math.inf
    with pytest.raises(m.MetricInputError, match="data_range"):
        m.psnr(image.astype(float), image.astype(float) + 0.5)
    assert m.psnr(image / 255.0, image / 255.0 + 0.1, data_range=1.0) == pytest.approx(20.0)


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_psnr_and_ssim_agree_with_scikit_image_on_real_images(name):
    clean, damaged, restored = triplet(name, seed=1)
    for test in (damaged, restored):
        assert m.psnr(clean, test) == pytest.approx(peak_signal_noise_ratio(clean, test, data_range=255), abs=1e-9)
        expected = structural_similarity(
            clean, test, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255,
            channel_axis=-1,
        )
        assert m.ssim(clean, test) == pytest.approx(expected, abs=1e-12)
        full, _ = m.ssim_with_map(clean, test)
        assert full == pytest.approx(expected, abs=1e-12)


def test_ssim_of_constant_images_by_hand():
    # given: constant a and b -> sigmas and covariance are 0, SSIM = (2ab + C1) / (a^2 + b^2 + C1)
    a, b = 100.0, 110.0
    c1 = (0.01 * 255) ** 2
    reference = np.full((20, 20), a, dtype=np.uint8)
    test = np.full((20, 20), b, dtype=np.uint8)
    assert m.ssim(reference, test) == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1), abs=1e-12)


def test_sixteen_bit_uses_65535():
    clean, damaged, _ = triplet("coffee", seed=3)
    wide_clean, wide_damaged = clean.astype(np.uint16) * 257, damaged.astype(np.uint16) * 257
    # x * 257 on a range of 65535 is x on a range of 255: same PSNR and (C1, C2 scale along) same SSIM
    assert m.psnr(wide_clean, wide_damaged) == pytest.approx(m.psnr(clean, damaged), abs=1e-9)
    assert m.ssim(wide_clean, wide_damaged) == pytest.approx(m.ssim(clean, damaged), abs=1e-9)
    # read as if 8-bit would be wrong: the range is not guessed from the values
    assert m.psnr(wide_clean, wide_damaged, data_range=255) < m.psnr(clean, damaged) - 40


@pytest.mark.parametrize(
    "reference, test, message",
    [
        (np.zeros((20, 20, 3), np.uint8), np.zeros((20, 21, 3), np.uint8), "never resized"),
        (np.zeros((20, 20, 3), np.uint8), np.zeros((20, 20, 3), np.uint16), "bit depths"),
        (np.zeros((20, 20, 4), np.uint8), np.zeros((20, 20, 4), np.uint8), "alpha"),
        (np.zeros((20, 20), np.int32), np.zeros((20, 20), np.int32), "cannot infer"),
        (np.zeros((10, 20), np.uint8), np.zeros((10, 20), np.uint8), "at least 11"),
    ],
)
def test_bad_pairs_are_refused(reference, test, message):
    with pytest.raises(m.MetricInputError, match=message):
        m.ssim(reference, test)


def test_masked_psnr_by_hand():
    # given: errors of 20 only inside a 3 x 3 block of a 10 x 10 grey image
    reference = np.zeros((10, 10), np.uint8)
    test = reference.copy()
    test[2:5, 2:5] = 20
    inside = np.zeros((10, 10), bool)
    inside[2:5, 2:5] = True
    assert m.masked_psnr(reference, test, inside) == pytest.approx(10 * math.log10(255**2 / 400))
    assert m.masked_psnr(reference, test, ~inside) == math.inf
    assert math.isnan(m.masked_psnr(reference, test, np.zeros((10, 10), bool)))
    assert m.masked_psnr(reference, test, np.ones((10, 10), bool)) == pytest.approx(m.psnr(reference, test))


def test_masked_psnr_refuses_non_boolean_or_misfit_masks():
    image = np.zeros((10, 10), np.uint8)
    with pytest.raises(m.MetricInputError, match="boolean"):
        m.masked_psnr(image, image, np.ones((10, 10), np.uint8))
    with pytest.raises(m.MetricInputError, match="does not match"):
        m.masked_psnr(image, image, np.ones((10, 11), bool))


def test_masked_ssim_splits_the_full_frame_mean():
    clean, damaged, _ = triplet("chelsea", seed=5)
    damage = np.any(clean != damaged, axis=2)
    damage = m.dilate_mask(damage, 2)
    full = m.ssim(clean, damaged)
    # an all-true mask gives the full-frame value back
    assert m.masked_ssim(clean, damaged, np.ones(damage.shape, bool)) == pytest.approx(full, abs=1e-12)
    # inside and outside, weighted by their pixel counts away from the 5-px border, add up to it
    inside, outside = m.masked_ssim(clean, damaged, damage), m.masked_ssim(clean, damaged, ~damage)
    core = damage[5:-5, 5:-5]
    assert (inside * core.sum() + outside * (~core).sum()) / core.size == pytest.approx(full, abs=1e-9)
    assert inside < outside


def test_dilate_mask_by_a_disk():
    mask = np.zeros((15, 15), bool)
    mask[7, 7] = True
    mask[0, 14] = True  # at a corner: the disk is clipped, not wrapped
    for radius in (1, 3, 5):
        expected = ndimage.binary_dilation(mask, structure=disk(radius).astype(bool))
        np.testing.assert_array_equal(m.dilate_mask(mask, radius), expected)
    np.testing.assert_array_equal(m.dilate_mask(mask, 0), mask)
    with pytest.raises(m.MetricInputError, match="non-negative integer"):
        m.dilate_mask(mask, -1)
    with pytest.raises(m.MetricInputError, match="boolean"):
        m.dilate_mask(mask.astype(np.uint8), 1)
