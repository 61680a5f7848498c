"""Real photographs (scikit-image's bundled data) with seeded synthetic film damage and a restoration.

Stands in for the authentic benchmark (damaged scan, expert restoration) in tests: ``clean`` plays the
expert restoration, ``add_damage`` draws dust specks, hairs and a scratch in white (negative damage)
or black (positive damage), and ``inpaint`` is a plausible method output (OpenCV Telea inpainting of
the known damage), so the scores compared with the references are not trivial.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage import data

IMAGES = {"astronaut": data.astronaut, "chelsea": data.chelsea, "coffee": data.coffee}


def add_damage(image: np.ndarray, *, seed: int, negative: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Return (damaged copy, boolean mask of the drawn damage) for a uint8 or uint16 RGB image."""
    rng = np.random.default_rng(seed)
    height, width = image.shape[:2]
    mask = np.zeros((height, width), dtype=np.uint8)
    for _ in range(25):  # dust
        centre = (int(rng.integers(width)), int(rng.integers(height)))
        cv2.circle(mask, centre, int(rng.integers(1, 4)), 255, -1)
    for _ in range(3):  # hairs: random walks
        points = np.cumsum(rng.normal(0, 6, (12, 2)), axis=0) + rng.uniform([0, 0], [width, height])
        cv2.polylines(mask, [points.astype(np.int32)], False, 255, 1)
    x = int(rng.integers(width))  # a near-vertical scratch
    cv2.line(mask, (x, 0), (x + int(rng.integers(-5, 6)), height - 1), 255, 1)
    damage = mask > 0
    damaged = image.copy()
    top = np.iinfo(image.dtype).max
    damaged[damage] = top if negative else 0
    return damaged, damage


def inpaint(damaged: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Telea inpainting of ``mask`` (8-bit), as a stand-in restoration method."""
    return cv2.inpaint(damaged, mask.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA)


def triplet(name: str, *, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ground truth, damaged, restored) uint8 RGB for one of IMAGES."""
    clean = IMAGES[name]()
    damaged, damage = add_damage(clean, seed=seed, negative=seed % 2 == 0)
    return clean, damaged, inpaint(damaged, damage)
