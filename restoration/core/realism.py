"""Training and proxy samples that look like a real film scan seen at the detector's canonical scale.

A detector trained on clean digital photographs with dense damage learns to
call every sharp, light detail damage. Real scans differ in five ways that
this module reproduces, each sampled from a seeded generator:

* **scale**: a user brings anything from a web-sized full frame (about
  30 px/mm) to a 4,000 dpi scan (about 160 px/mm); a sample is made at a
  native scale drawn log-uniformly from that range and resampled to the
  canonical scale the detector runs at (:data:`CANONICAL_PX_PER_MM`), as the
  pipeline does with a user's scan;
* **grain** at the levels measured on authentic scans (high-pass sigma 0.02 of
  the full range in the mid-tones of the authentic development frame, 0.002 to
  0.06 over its blocks), added at the native scale;
* **damage density as annotated**: the fitted damage model's own counts
  (``damage_level`` 1), or a level drawn log-uniformly from a range (``damage_level=(lo, hi)``; the
  detector's recipe draws 1-8, which spans the 0.2-2.6% of damaged pixels of the annotated frames,
  since at level 1 a 192 px crop holds about 0.12% damage and six crops in ten none), with a share of
  crops that hold no damage at all;
* **capture and delivery**: a slight blur and JPEG re-encoding at quality 70-95
  at the native scale;
* **polarity**: the detector always sees damage as *light* (negative film);
  positive film (slides, dark damage) is inverted before the network, so a
  sample of positive film is an inverted picture with light damage.

The picture itself is the point: clean images come from a corpus of
photographs and rendered hard negatives (text, line art, wires, stars,
highlights), so that the detector learns what is *not* damage.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from annotation.core.types import FrameGeometry
from imaging.io import encode_image, read_image
from synthesis.core.bank import ArtefactBank
from synthesis.core.grain import add_film_grain
from synthesis.core.model import DamageModel
from synthesis.core.render import render_overlay

#: The scale (px/mm of film) at which the detector sees every scan (a 35 mm frame is 2,100 px wide).
CANONICAL_PX_PER_MM = 60.0
#: Native scales a user brings: a web-sized full frame to a 4,000 dpi scan.
SCALE_RANGE = (30.0, 160.0)
#: Alpha of the (resampled, opacity-scaled) overlay at and above which a canonical pixel is damage: fainter
#: pixels change the picture by less than its grain, and labelling them taught a small network to flag nothing.
MASK_ALPHA = 0.35


@dataclass(frozen=True)
class SampleSettings:
    """What is random in a sample, and its ranges."""

    size: int = 256
    canonical_px_per_mm: float = CANONICAL_PX_PER_MM
    scale_range: tuple[float, float] = SCALE_RANGE
    empty_share: float = 0.2
    invert_share: float = 0.5
    grain_strength: tuple[float, float] = (0.01, 0.05)
    grain_size: tuple[float, float] = (0.5, 1.5)
    jpeg_share: float = 0.6
    jpeg_quality: tuple[int, int] = (70, 95)
    blur_share: float = 0.5
    blur_sigma: tuple[float, float] = (0.3, 1.0)
    opacity: tuple[float, float] = (0.5, 1.0)
    #: The damage model's density multiplier, or a ``(low, high)`` range drawn log-uniformly per sample.
    damage_level: float | tuple[float, float] = 1.0

    def __post_init__(self) -> None:
        ranged = isinstance(self.damage_level, tuple)
        levels = self.damage_level if ranged else (self.damage_level,) * 2
        if len(levels) != 2 or not (0 < levels[0] if ranged else 0 <= levels[0]) or not levels[0] <= levels[1] \
                or not math.isfinite(levels[1]):
            raise ValueError(f"damage_level must be > 0 or a range 0 < low <= high, got {self.damage_level}")
        if self.size < 32 or self.size % 8:
            raise ValueError(f"size must be a multiple of 8 of at least 32, got {self.size}")
        lo, hi = self.scale_range
        if not 0 < lo <= hi:
            raise ValueError(f"scale_range must be 0 < low <= high, got {self.scale_range}")
        for name in ("empty_share", "invert_share", "jpeg_share", "blur_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")


@dataclass(frozen=True)
class Sample:
    """One canonical-scale sample: damaged and clean uint8 RGB, mask bool, and how it was made."""

    damaged: np.ndarray
    clean: np.ndarray
    mask: np.ndarray
    facts: dict


def log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def jpeg_roundtrip(image: np.ndarray, quality: int) -> np.ndarray:
    """``image`` (uint8 RGB) encoded as JPEG at ``quality`` and decoded again."""
    return read_image(encode_image(image, fmt="JPEG", quality=quality))


def resample(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to ``(width, height)``: area averaging down, bilinear up (as the pipeline does)."""
    w, h = size
    down = w < image.shape[1]
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA if down else cv2.INTER_LINEAR)


def _native_crop(photo: np.ndarray, side: int, rng: np.random.Generator) -> np.ndarray:
    """A ``side`` x ``side`` crop of ``photo`` at a random picture scale (the picture has no physical size)."""
    h, w = photo.shape[:2]
    fit = side / min(h, w)  # the smallest zoom at which the crop fits
    zoom = max(fit, log_uniform(rng, 0.3, 1.5))
    if abs(zoom - 1.0) > 1e-3:
        nh, nw = max(side, round(h * zoom)), max(side, round(w * zoom))
        if zoom < 1:  # resize only the part the crop comes from: cheaper on large photographs
            ch, cw = min(h, math.ceil(side / zoom) + 2), min(w, math.ceil(side / zoom) + 2)
            y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
            part = photo[y0:y0 + ch, x0:x0 + cw]
            photo = resample(part, (max(side, round(cw * zoom)), max(side, round(ch * zoom))))
        else:
            photo = resample(photo, (nw, nh))
        h, w = photo.shape[:2]
    y0, x0 = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    return np.ascontiguousarray(photo[y0:y0 + side, x0:x0 + side])


def make_sample(photo: np.ndarray, model: DamageModel, bank: ArtefactBank, *, rng: np.random.Generator,
                settings: SampleSettings = SampleSettings(), native_px_per_mm: float | None = None,
                damaged: bool | None = None, invert: bool | None = None) -> Sample:
    """One realistic sample from a clean uint8 RGB ``photo``; see the module docstring.

    ``native_px_per_mm``, ``damaged`` and ``invert`` fix what is otherwise drawn from ``rng``.
    """
    if photo.dtype != np.uint8 or photo.ndim != 3 or photo.shape[2] != 3:
        raise ValueError(f"photo must be uint8 RGB (H, W, 3), got {photo.dtype} {photo.shape}")
    s = settings
    native = native_px_per_mm if native_px_per_mm is not None else log_uniform(rng, *s.scale_range)
    side = max(8, round(s.size * native / s.canonical_px_per_mm))
    clean = _native_crop(photo, side, rng)
    inverted = invert if invert is not None else bool(rng.random() < s.invert_share)
    if inverted:
        clean = 255 - clean
    clean = add_film_grain(clean, strength=float(rng.uniform(*s.grain_strength)),
                           grain_size=float(rng.uniform(*s.grain_size)), seed=int(rng.integers(2**31)))
    has_damage = damaged if damaged is not None else rng.random() >= s.empty_share
    alpha = np.zeros((side, side), np.float32)
    if has_damage:
        frame = FrameGeometry(side, side, side / native, side / native)
        level = log_uniform(rng, *s.damage_level) if isinstance(s.damage_level, tuple) else s.damage_level
        overlay = render_overlay(model, bank, width=side, height=side, frame=frame, seed=int(rng.integers(2**31)),
                                 damage_level=level, polarity="negative", device="cpu")
        alpha = overlay.alpha.astype(np.float32) * np.float32(rng.uniform(*s.opacity))
    out = clean.astype(np.float32)
    out += (255.0 - out) * alpha[..., None]
    damaged_img = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    blur = float(rng.uniform(*s.blur_sigma)) if rng.random() < s.blur_share else 0.0
    quality = int(rng.integers(s.jpeg_quality[0], s.jpeg_quality[1] + 1)) if rng.random() < s.jpeg_share else 0
    pair = []
    for img in (damaged_img, clean):  # capture and delivery degrade the picture and the damage alike
        if blur:
            img = cv2.GaussianBlur(img, (0, 0), blur)
        if quality:
            img = jpeg_roundtrip(img, quality)
        pair.append(resample(img, (s.size, s.size)))
    mask = resample(alpha, (s.size, s.size)) >= MASK_ALPHA
    facts = {"native_px_per_mm": round(native, 2), "inverted": inverted, "blur": round(blur, 3),
             "jpeg": quality, "damaged_share": float(mask.mean())}
    return Sample(pair[0], pair[1], mask, facts)
