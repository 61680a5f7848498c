"""A dataset build checked before it starts: crops that do not fit, options that do not go together,
and the items whose overlay would draw no artefact (their masks would be empty)."""
from __future__ import annotations

import numpy as np
import pytest

from annotation.core.types import FrameGeometry
from imaging.io import write_image
from synthesis.core.dataset import (
    DatasetError,
    build_synthetic_dataset,
    check_build,
    clean_image_sizes,
    parse_crop,
)
from synthesis.core.render import overlay_counts, plan_overlay


@pytest.mark.parametrize("seed", [0, 1, 7, 123])
@pytest.mark.parametrize("size", [(256, 256), (1024, 704)])
def test_overlay_counts_are_the_plans_counts(public_model, procedural_bank, seed, size):
    frame = FrameGeometry.for_35mm(*size)
    plan = plan_overlay(public_model, procedural_bank, width=size[0], height=size[1], frame=frame, seed=seed,
                        damage_level=1.5)
    assert overlay_counts(public_model, width=size[0], height=size[1], frame=frame, seed=seed,
                          damage_level=1.5) == plan.counts


@pytest.mark.parametrize(("text", "crop"), [("", None), ("512x384", (512, 384)), (" 64 X 32 ", (64, 32)),
                                            ("256×256", (256, 256))])
def test_parse_crop(text, crop):
    assert parse_crop(text) == crop


@pytest.mark.parametrize(("text", "why"), [("512", "WIDTHxHEIGHT"), ("ax3", "WIDTHxHEIGHT"),
                                           ("8x8", "at least 16")])
def test_parse_crop_refuses_what_is_not_a_crop(text, why):
    with pytest.raises(DatasetError, match=why):
        parse_crop(text)


def test_a_crop_larger_than_the_smallest_clean_image_is_refused(public_model):
    sizes = {"big.png": (1000, 800), "small.png": (451, 300)}
    with pytest.raises(DatasetError, match=r"crop 512 x 512 is larger than the clean image small.png of 451 x 300"
                                           r".*at most 451 x 300"):
        check_build(public_model, sizes, crop=(512, 512))
    assert check_build(public_model, sizes, crop=(300, 300)).planned == 2
    with pytest.raises(DatasetError, match="px per mm needs a crop"):
        check_build(public_model, sizes, px_per_mm=141.26)
    with pytest.raises(DatasetError, match="damage level"):
        check_build(public_model, sizes, damage_level=0)


def test_the_empty_items_are_those_the_build_leaves_without_damage(public_model, procedural_bank, tmp_path):
    # given: clean images and a small crop at a low damage level, where many overlays draw nothing
    clean = tmp_path / "clean"
    clean.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        write_image(clean / f"c{i}.png", rng.integers(0, 255, (300, 451, 3), dtype=np.uint8))
    settings = {"count": 12, "seed": 4, "crop": (64, 64), "damage_level": 0.3}
    # when: the build is checked, then made
    check = check_build(public_model, clean_image_sizes(clean), **settings)
    build_synthetic_dataset(public_model, procedural_bank, clean_dir=clean, out_dir=tmp_path / "out", grain=False,
                            **settings)
    # then: the items said to be empty are the ones whose masks hold no damage
    from imaging.io import read_image

    masks = sorted((tmp_path / "out" / "masks").glob("*.png"))
    empty = sum(not read_image(m).any() for m in masks)
    assert check.planned == 12 and 0 < check.empty <= empty
    assert check.empty_share == check.empty / 12
    # and: a larger crop at the normal level leaves fewer empty
    assert check_build(public_model, clean_image_sizes(clean), count=12, seed=4, crop=(256, 256)).empty < check.empty
