"""Inpainting fills the mask only: everything outside comes back bit-identical."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from restoration.core.inpaint import InpaintError, inpaint


def _grainy(dtype, shape=(120, 150, 3), seed=0):
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    ramp = np.linspace(0.2, 0.7, shape[1])[None, :, None] * np.array([1.0, 0.9, 0.8])
    grain = cv2.GaussianBlur(rng.standard_normal(shape).astype(np.float32), (0, 0), 0.8) * 0.03
    return np.clip((ramp + grain) * top, 0, top).astype(dtype)


def _mask(shape):
    m = np.zeros(shape, bool)
    m[40:48, 30:90] = True      # a blob
    m[100, 10:140] = True       # a thin scratch
    m[0:3, 0:3] = True          # on the corner
    return m


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("method", ["telea", "ns", "grain"])
def test_outside_mask_is_bit_identical_and_inside_is_filled(dtype, method):
    # given: an RGB image with white damage under the mask
    image = _grainy(dtype)
    mask = _mask(image.shape[:2])
    damaged = image.copy()
    damaged[mask] = np.iinfo(dtype).max
    # when
    out = inpaint(damaged, mask, method=method, block=64, margin=16)
    # then
    assert out.dtype == dtype and out.shape == image.shape
    assert np.array_equal(out[~mask], damaged[~mask])
    err_before = np.abs(damaged[mask].astype(float) - image[mask]).mean()
    err_after = np.abs(out[mask].astype(float) - image[mask]).mean()
    assert err_after < 0.2 * err_before


def test_per_channel_16bit_matches_opencv_8bit_three_channel():
    # Telea treats channels independently: our per-channel path equals OpenCV's 3-channel call
    image = _grainy(np.uint8)
    mask = _mask(image.shape[:2])
    ref = cv2.inpaint(image, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)
    planes = np.stack([cv2.inpaint(np.ascontiguousarray(image[..., c]), mask.astype(np.uint8) * 255,
                                   3, cv2.INPAINT_TELEA) for c in range(3)], axis=-1)
    assert np.array_equal(ref, planes)
    # and our blocked call (one block here) equals the whole-image call
    assert np.array_equal(inpaint(image, mask, method="telea", block=512), ref)


def test_grain_is_seeded_and_keeps_texture():
    image = _grainy(np.uint16, shape=(160, 160, 3), seed=1)
    mask = np.zeros((160, 160), bool)
    mask[60:100, 40:120] = True
    a = inpaint(image, mask, method="grain", seed=7)
    b = inpaint(image, mask, method="grain", seed=7)
    c = inpaint(image, mask, method="grain", seed=8)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # texture: high-pass energy inside the fill is closer to the real grain than Telea's
    def hp_std(img):
        f = img.astype(np.float32)
        return (f - cv2.GaussianBlur(f, (0, 0), 2.0))[65:95, 45:115].std()
    telea = inpaint(image, mask, method="telea")
    truth = hp_std(image)
    assert abs(hp_std(a) - truth) < abs(hp_std(telea) - truth)
    assert 0.5 * truth < hp_std(a) < 1.5 * truth


def test_empty_mask_returns_a_copy():
    image = _grainy(np.uint8)
    out = inpaint(image, np.zeros(image.shape[:2], bool), method="grain")
    assert np.array_equal(out, image) and out is not image


@pytest.mark.parametrize("image, mask, kwargs, message", [
    (np.zeros((8, 8, 3), np.int16), np.zeros((8, 8), bool), {}, "uint8, uint16 or float32"),
    (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9), bool), {}, "mask"),
    (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), bool), {"method": "magic"}, "method"),
])
def test_bad_input_is_refused(image, mask, kwargs, message):
    with pytest.raises(InpaintError, match=message):
        inpaint(image, mask, **kwargs)


def test_blocked_telea_equals_whole_image_telea_for_scratches_across_blocks():
    # reference: one cv2.inpaint call over the whole image; ours works in 64 px blocks
    rng = np.random.default_rng(5)
    image = cv2.GaussianBlur((rng.random((300, 300, 3)) * 255).astype(np.uint8), (0, 0), 3)
    mask = np.zeros((300, 300), np.uint8)
    cv2.line(mask, (5, 20), (290, 270), 255, 3)
    cv2.line(mask, (150, 0), (160, 299), 255, 2)
    ref = cv2.inpaint(image, mask, 3, cv2.INPAINT_TELEA)
    assert np.array_equal(inpaint(image, mask > 0, method="telea", block=64, margin=32), ref)
