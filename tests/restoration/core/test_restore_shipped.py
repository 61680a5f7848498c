"""The weights the project ships: on held-out damage they repair more than they harm.

A generated scene (a kind of picture the detector never saw; the direct restoration network was trained
on such scenes, at other seeds) with film grain gets dust specks, a hair and a scratch of the sizes found
on 4K scans, white on one image and black on the other. Both shipped networks must raise full-frame PSNR
over doing nothing by more than 3 dB, and leave every pixel outside their mask as it was.
"""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from evaluation.core.metrics import psnr
from restoration.core.clean_images import generated_scene
from restoration.core.methods import default_weights_dir, get_methods
from synthesis.core.grain import add_film_grain


def damaged_scene(*, seed: int, value: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    clean = add_film_grain(generated_scene(size=(384, 384), seed=seed), strength=0.03, seed=seed)
    damaged, mask = clean.copy(), np.zeros(clean.shape[:2], np.uint8)
    rng = np.random.default_rng(seed)
    for _ in range(14):  # dust and dirt: 3 to 9 px blobs
        centre = tuple(int(v) for v in rng.integers(20, 364, 2))
        axes = tuple(int(v) for v in rng.integers(2, 5, 2))
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    hair = np.cumsum(rng.normal(0, 2.5, (40, 2)), axis=0) + [120, 90] + np.linspace(0, 160, 40)[:, None]
    cv2.polylines(mask, [hair.astype(np.int32)], False, 255, 2)
    cv2.line(mask, (300, 10), (310, 370), 255, 1)  # a scratch
    damaged[mask > 0] = value
    return clean, damaged, mask > 0


@pytest.mark.parametrize("name", ["unet-grain", "restoration-unet"])
def test_shipped_weights_repair_held_out_damage(name):
    method = get_methods(weights_dir=default_weights_dir())[name]
    assert method.available(), method.reason_unavailable
    for seed, value in ((424_242, 255), (434_343, 0)):
        clean, damaged, truth = damaged_scene(seed=seed, value=value)
        # the damage has the sizes of a 4K scan's (4944 px over 35 mm); white is negative film's, black a slide's
        options = {"px_per_mm": 4944 / 35, "polarity": "negative" if value else "positive"} \
            if method.kind != "blind" else {}
        result = method.run(damaged, device="cpu", options=options)
        gain = psnr(clean, result.image) - psnr(clean, damaged)
        assert gain > 3.0, f"{name}: {gain:+.2f} dB on seed {seed}"
        # found much of the damage and little else (the detector runs at its operating point, chosen to flag
        # at most 0.05% of undamaged pixels, so it gives up recall for precision), and changed nothing outside
        # its mask
        found = result.mask > 0
        near = cv2.dilate(truth.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
        assert found[truth].mean() > 0.5, f"{name}: recall {found[truth].mean():.2f} on seed {seed}"
        assert near[found].mean() > 0.9, f"{name}: {near[found].mean():.0%} of the mask on damage, seed {seed}"
        assert np.array_equal(result.image[result.mask == 0], damaged[result.mask == 0])
