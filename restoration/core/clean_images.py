"""Clean training images at hand offline: scikit-image's bundled photographs and generated scenes.

Users bring their own clean scans (the paper used 6,228 Documerica scans); this
module makes a small, reproducible stand-in so that the default networks can be
trained on a fresh machine. Film grain is added later by the dataset builder.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

#: scikit-image sample images bundled with the package (no download needed).
SKIMAGE_SAMPLES = ("astronaut", "brick", "camera", "chelsea", "clock", "coffee", "coins", "grass", "gravel",
                   "hubble_deep_field", "immunohistochemistry", "moon", "retina", "rocket")


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return np.ascontiguousarray(image[..., :3])


def _scaled(image: np.ndarray, *, long_side: int) -> np.ndarray:
    h, w = image.shape[:2]
    f = long_side / max(h, w)
    return cv2.resize(image, (round(w * f), round(h * f)), interpolation=cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA)


def generated_scene(*, size: tuple[int, int], seed: int) -> np.ndarray:
    """A smooth, photo-like RGB scene: coloured gradients, soft shapes and fractal texture."""
    h, w = size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.zeros((h, w, 3), np.float32)
    c0, c1 = rng.uniform(0.1, 0.9, 3), rng.uniform(0.1, 0.9, 3)
    t = (xx * np.cos(a := rng.uniform(0, np.pi)) + yy * np.sin(a)) / max(h, w)
    img += c0 * (1 - t[..., None]) + c1 * t[..., None]
    for _ in range(rng.integers(4, 10)):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.3) * max(h, w)
        blob = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)))
        img += (rng.uniform(-0.5, 0.5, 3) * blob[..., None]).astype(np.float32)
    texture = np.zeros((h, w), np.float32)
    for octave in range(1, 6):
        small = rng.normal(0, 1, (max(2, h >> (7 - octave)), max(2, w >> (7 - octave)))).astype(np.float32)
        texture += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) / octave
    img += 0.04 * texture[..., None]
    return np.clip(img * 255, 0, 255).astype(np.uint8)


def write_clean_images(out_dir: str | Path, *, long_side: int | Sequence[int] = 1024, generated: int = 10,
                       seed: int = 0) -> list[Path]:
    """Write the clean set as PNGs into ``out_dir``; returns the paths (sorted).

    ``long_side`` may list several sizes: the photographs are then written at each
    (``skimage-NAME.png`` at the first, ``skimage-NAME@SIZE.png`` at the others), so that
    a detector trained on them sees detail at several scales and learns that sharp image
    detail is not damage. The generated scenes are written at the first size.
    """
    from skimage import data

    from imaging.io import write_image

    sides = [long_side] if isinstance(long_side, int) else list(long_side)
    if not sides or any(not isinstance(s, int) or s < 64 for s in sides) or len(set(sides)) != len(sides):
        raise ValueError(f"long sides must be distinct whole numbers of at least 64 px, got {long_side!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SKIMAGE_SAMPLES:
        photo = _rgb(getattr(data, name)())
        for k, side in enumerate(sides):
            stem = f"skimage-{name}" if k == 0 else f"skimage-{name}@{side}"
            paths.append(write_image(out / f"{stem}.png", _scaled(photo, long_side=side)))
    for i in range(generated):
        scene = generated_scene(size=(round(sides[0] * 0.69), sides[0]), seed=seed * 1000 + i)
        paths.append(write_image(out / f"generated-{i:02d}.png", scene))
    return sorted(paths)
