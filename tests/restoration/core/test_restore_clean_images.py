"""The clean training set at hand offline: photographs at one or several scales, generated scenes."""
from __future__ import annotations

import numpy as np
import pytest

from imaging.io import read_image
from restoration.core.clean_images import SKIMAGE_SAMPLES, write_clean_images


def test_clean_images_at_several_scales(tmp_path):
    paths = write_clean_images(tmp_path, long_side=[256, 128], generated=2, seed=1)
    names = {p.name for p in paths}
    # every photograph at each size, the scenes at the first
    assert len(paths) == 2 * len(SKIMAGE_SAMPLES) + 2
    assert {"skimage-astronaut.png", "skimage-astronaut@128.png", "generated-00.png"} <= names
    big, small = read_image(tmp_path / "skimage-astronaut.png"), read_image(tmp_path / "skimage-astronaut@128.png")
    assert big.shape == (256, 256, 3) and small.shape == (128, 128, 3) and big.dtype == np.uint8
    assert max(read_image(tmp_path / "generated-01.png").shape[:2]) == 256
    # the first size alone writes the same bytes as before (names without a size)
    single = write_clean_images(tmp_path / "one", long_side=256, generated=0)
    assert (tmp_path / "one" / "skimage-camera.png").read_bytes() == (tmp_path / "skimage-camera.png").read_bytes()
    assert len(single) == len(SKIMAGE_SAMPLES)


@pytest.mark.parametrize("sides", [[], [32], [256, 256], [256.0]])
def test_bad_sizes_are_refused(tmp_path, sides):
    with pytest.raises(ValueError, match="long sides"):
        write_clean_images(tmp_path, long_side=sides)
