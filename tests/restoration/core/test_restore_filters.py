"""Dust & Scratches: removes specks, leaves flat and unflagged pixels bit-exact."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from restoration.core.filters import FilterError, dust_and_scratches, median_filter


@pytest.mark.parametrize("dtype, level", [(np.uint8, 120), (np.uint16, 30000)])
def test_white_speck_is_removed_and_flat_area_untouched(dtype, level):
    # given: a flat grey RGB image with a 3 x 3 white speck
    image = np.full((64, 80, 3), level, dtype=dtype)
    image[30:33, 40:43] = np.iinfo(dtype).max
    # when
    out, mask = dust_and_scratches(image, radius=3, threshold=10)
    # then: the speck takes the surrounding grey, nothing else changes
    assert out.dtype == dtype and out.shape == image.shape
    assert np.all(out == level)
    expected = np.zeros((64, 80), bool)
    expected[30:33, 40:43] = True
    assert np.array_equal(mask, expected)


def test_below_threshold_differences_are_kept_bit_exact():
    # given: grain of +-3 levels on a flat field and a threshold of 10 levels
    rng = np.random.default_rng(0)
    image = (1000 + rng.integers(-3 * 257, 3 * 257, (50, 50))).astype(np.uint16)
    out, mask = dust_and_scratches(image, radius=2, threshold=10)
    assert not mask.any()
    assert np.array_equal(out, image)


def test_black_speck_in_grey_image():
    image = np.full((40, 40), 200, np.uint8)
    image[10, 10] = 0
    out, mask = dust_and_scratches(image, radius=1, threshold=20)
    assert out[10, 10] == 200 and mask.sum() == 1 and out.ndim == 2


@pytest.mark.parametrize("radius", [1, 2, 3, 6])
def test_opencv_and_scipy_medians_agree(radius):
    # OpenCV (BORDER_REPLICATE) and SciPy mode='nearest' must give the same median
    img = np.random.default_rng(radius).integers(0, 256, (37, 53), dtype=np.uint8)
    ours = median_filter(img, radius=radius)
    ref = ndimage.median_filter(img, size=2 * radius + 1, mode="nearest")
    assert np.array_equal(ours, ref)


def test_disk_shape_runs_and_removes_speck():
    image = np.full((30, 30, 3), 5000, np.uint16)
    image[15, 15] = 60000
    out, mask = dust_and_scratches(image, radius=4, threshold=5, shape="disk")
    assert np.all(out == 5000) and mask.sum() == 1


@pytest.mark.parametrize("kwargs, message", [
    ({"image": np.zeros((5, 5), np.float32)}, "uint8 or uint16"),
    ({"radius": 0}, "radius"),
    ({"threshold": 300}, "threshold"),
    ({"shape": "star"}, "shape"),
])
def test_bad_input_is_refused(kwargs, message):
    args = {"image": np.zeros((5, 5), np.uint8), "radius": 2, "threshold": 10, **kwargs}
    image = args.pop("image")
    with pytest.raises(FilterError, match=message):
        dust_and_scratches(image, **args)
