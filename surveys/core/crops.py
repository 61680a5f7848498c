"""Crops of survey images and the rendering of one pair (two images of the same crop).

* :func:`damage_mask` and :func:`measure_polarity` read the real damage of an
  image-pair set off the difference between the damaged scan and its restoration.
* :func:`crop_origin` picks a seeded square crop, preferring crops that hold
  real damage when a damage mask is given.
* :func:`render_real_vs_synthetic` (survey 1) and :func:`render_two_methods`
  (survey 2) return the pair ``(a, b)``: in survey 1 ``a`` is the authentic
  damage and ``b`` the synthetic damage rendered on the restored crop; in
  survey 2 ``a`` is method A and ``b`` method B on the same clean crop. In a
  catch trial ``b`` is the clean crop with obviously artificial marks
  (:func:`surveys.core.methods.fake_damage`), so ``a`` is the right answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from imaging.io import to_display_8bit

from .methods import DamageMethod, crop_frame, fake_damage
from .plan import PairSpec

__all__ = ["RenderedPair", "as_display", "crop_frame", "crop_origin", "damage_mask", "default_um_per_px",
           "measure_polarity", "render_real_vs_synthetic", "render_two_methods"]

#: Absolute difference (share of the full range) above which a pixel counts as damaged.
DAMAGE_THRESHOLD = 0.06
#: A crop "holds damage" when at least this share of its pixels is damaged.
MIN_DAMAGED_SHARE = 1e-3
#: Candidate crops tried before settling for the most damaged one.
CROP_TRIES = 16


@dataclass
class RenderedPair:
    """The two images of a pair (same shape and dtype as the source) and what was done."""

    a: np.ndarray
    b: np.ndarray
    x: int
    y: int
    meta: dict = field(default_factory=dict)


def _full_range(image: np.ndarray) -> float:
    if image.dtype in (np.uint8, np.uint16):
        return float(np.iinfo(image.dtype).max)
    if image.dtype.kind == "f":
        return 1.0
    raise ValueError(f"image dtype must be uint8, uint16 or float, got {image.dtype}")


def _check_same(damaged: np.ndarray, restored: np.ndarray) -> None:
    if damaged.shape != restored.shape or damaged.dtype != restored.dtype:
        raise ValueError(f"damaged {damaged.shape} {damaged.dtype} and restored {restored.shape} {restored.dtype} "
                         "must have the same shape and dtype")


#: Rows processed at a time when comparing whole scans (bounded memory on 100-megapixel images).
BAND_ROWS = 512


def _bands(height: int):
    for y in range(0, height, BAND_ROWS):
        yield slice(y, min(y + BAND_ROWS, height))


def damage_mask(damaged: np.ndarray, restored: np.ndarray, *, threshold: float = DAMAGE_THRESHOLD) -> np.ndarray:
    """Pixels where the damaged scan differs from its restoration by more than ``threshold`` of the range."""
    _check_same(damaged, restored)
    limit = threshold * _full_range(damaged)
    mask = np.empty(damaged.shape[:2], dtype=bool)
    for rows in _bands(damaged.shape[0]):
        diff = np.abs(damaged[rows].astype(np.float32) - restored[rows].astype(np.float32))
        mask[rows] = (diff.max(axis=2) if diff.ndim == 3 else diff) > limit
    return mask


def measure_polarity(damaged: np.ndarray, restored: np.ndarray, *, mask: np.ndarray | None = None) -> str:
    """``"negative"`` when the real damage is brighter than the restoration (white artefacts), else ``"positive"``.

    Raises ``ValueError`` when the two images do not differ (no damage to measure).
    """
    mask = damage_mask(damaged, restored) if mask is None else mask
    if not mask.any():
        raise ValueError("the damaged and restored images do not differ: no damage to measure the polarity of")
    total = 0.0
    for rows in _bands(damaged.shape[0]):
        diff = damaged[rows].astype(np.float64) - restored[rows].astype(np.float64)
        if diff.ndim == 3:
            diff = diff.mean(axis=2)
        total += float(diff[mask[rows]].sum())
    return "negative" if total > 0 else "positive"


def default_um_per_px(width: int, height: int) -> float:
    """Pixel pitch when the image is a whole 35 mm x 24 mm frame: 35000 um over its long edge."""
    return 35000.0 / max(width, height)


def crop_origin(*, width: int, height: int, size: int, rng: np.random.Generator,
                mask: np.ndarray | None = None, min_share: float = MIN_DAMAGED_SHARE,
                tries: int = CROP_TRIES) -> tuple[int, int]:
    """Top-left corner ``(x, y)`` of a seeded ``size`` x ``size`` crop inside a ``width`` x ``height`` image.

    Without ``mask`` the corner is uniform. With a damage ``mask`` (H x W
    bool) up to ``tries`` uniform candidates are drawn and the first one
    whose damaged share reaches ``min_share`` is kept, else the most damaged.
    """
    if size < 1 or size > min(width, height):
        raise ValueError(f"a {size} px crop does not fit in a {width} x {height} px image")
    if mask is None:
        return int(rng.integers(0, width - size + 1)), int(rng.integers(0, height - size + 1))
    if mask.shape != (height, width):
        raise ValueError(f"mask is {mask.shape[1]} x {mask.shape[0]} but the image is {width} x {height}")
    best, best_count = (0, 0), -1
    for _ in range(max(1, tries)):
        x, y = int(rng.integers(0, width - size + 1)), int(rng.integers(0, height - size + 1))
        count = int(np.count_nonzero(mask[y:y + size, x:x + size]))
        if count >= min_share * size * size:
            return x, y
        if count > best_count:
            best, best_count = (x, y), count
    return best


def _sub_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**62))


def _render_b(clean: np.ndarray, *, spec: PairSpec, method: DamageMethod, seed: int,
              um_per_px: float) -> tuple[np.ndarray, dict]:
    """Image ``b`` of a pair and its record: ``method`` on ``clean``, or artificial marks in a catch trial."""
    if spec.catch:
        return fake_damage(clean, seed=seed), {"method": "catch: artificial marks", "seed": seed}
    b, info = method(clean, seed=seed, polarity=spec.polarity, um_per_px=um_per_px)
    return b, {"method": method.label, "seed": seed, **info}


def render_real_vs_synthetic(damaged: np.ndarray, restored: np.ndarray, *, spec: PairSpec, method: DamageMethod,
                             um_per_px: float | None = None, mask: np.ndarray | None = None) -> RenderedPair:
    """Survey 1: ``a`` = the authentic damaged crop, ``b`` = ``method`` rendered on the restored crop.

    ``mask`` (the :func:`damage_mask` of the pair, computed once per image)
    steers the crop towards real damage. ``spec.polarity`` is the damage's
    polarity (white or black artefacts) for the synthetic side.
    """
    _check_same(damaged, restored)
    h, w = damaged.shape[:2]
    rng = np.random.default_rng(spec.seed)
    mask = damage_mask(damaged, restored) if mask is None else mask
    x, y = crop_origin(width=w, height=h, size=spec.crop_size, rng=rng, mask=mask)
    s = spec.crop_size
    real, clean = damaged[y:y + s, x:x + s].copy(), restored[y:y + s, x:x + s].copy()
    um = um_per_px or default_um_per_px(w, h)
    meta = {"real_damaged_share": float(mask[y:y + s, x:x + s].mean()), "um_per_px": um}
    b, meta["b"] = _render_b(clean, spec=spec, method=method, seed=_sub_seed(rng), um_per_px=um)
    return RenderedPair(real, b, x, y, meta)


def render_two_methods(clean_image: np.ndarray, *, spec: PairSpec, method_a: DamageMethod, method_b: DamageMethod,
                       um_per_px: float | None = None) -> RenderedPair:
    """Survey 2: ``a`` = ``method_a`` and ``b`` = ``method_b`` (or artificial marks in a catch trial) on one crop."""
    h, w = clean_image.shape[:2]
    rng = np.random.default_rng(spec.seed)
    x, y = crop_origin(width=w, height=h, size=spec.crop_size, rng=rng)
    s = spec.crop_size
    clean = clean_image[y:y + s, x:x + s].copy()
    um = um_per_px or default_um_per_px(w, h)
    seed_a, seed_b = _sub_seed(rng), _sub_seed(rng)
    a, info_a = method_a(clean, seed=seed_a, polarity=spec.polarity, um_per_px=um)
    meta = {"um_per_px": um, "a": {"method": method_a.label, "seed": seed_a, **info_a}}
    b, meta["b"] = _render_b(clean, spec=spec, method=method_b, seed=seed_b, um_per_px=um)
    return RenderedPair(a, b, x, y, meta)


def as_display(image: np.ndarray) -> np.ndarray:
    """An 8-bit image for the browser: 16-bit mapped linearly over the full range, alpha dropped."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[..., :3]
    if image.dtype.kind == "f":
        return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    return to_display_8bit(image, mode="full")
