"""Ways of damaging a clean crop, compared in the surveys, and the catch-trial marks.

A damage method is a callable ``method(clean, *, seed, polarity, um_per_px)
-> (damaged, info)`` with a ``label``; same seed, same image.

* :class:`ModelDamage`: the paper's generator, a fitted damage model rendered
  by :func:`synthesis.core.render.render_overlay` at the crop's physical size.
* :class:`UniformDamage`: a plain overlay baseline without the statistics:
  appearances drawn uniformly from the bank (class and entry), at their stored
  size (at most a quarter of the crop side), uniform positions and rotations,
  a Poisson count with the same mean as a damage model's.
* :class:`OverlayImageDamage`: a plain overlay method that pastes a random
  crop of a pre-made overlay image (e.g. damage scanned from blank film).
* :func:`fake_damage`: saturated coloured discs and bars, which no film
  shows: the known wrong answer of a catch trial.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from annotation.core.types import CLASSES, FrameGeometry
from synthesis.core.bank import ArtefactBank
from synthesis.core.model import DamageModel
from synthesis.core.render import OverlayPlan, apply_overlay, composite_cpu, render_overlay

__all__ = ["DamageMethod", "crop_frame", "ModelDamage", "OverlayImageDamage", "UniformDamage", "fake_damage"]


class DamageMethod(Protocol):
    label: str

    def __call__(self, clean: np.ndarray, *, seed: int, polarity: str,
                 um_per_px: float) -> tuple[np.ndarray, dict]: ...


def crop_frame(*, width: int, height: int, um_per_px: float) -> FrameGeometry:
    """Physical geometry of a ``width`` x ``height`` crop of a scan with pixel pitch ``um_per_px``."""
    if not um_per_px > 0:
        raise ValueError(f"um_per_px must be > 0, got {um_per_px}")
    return FrameGeometry(width, height, width * um_per_px / 1000.0, height * um_per_px / 1000.0)


@dataclass
class ModelDamage:
    """A fitted damage model rendered on the crop (``device``: None picks CUDA when present)."""

    model: DamageModel
    bank: ArtefactBank
    label: str = "damage model"
    damage_level: float = 1.0
    device: str | None = None

    def __call__(self, clean, *, seed, polarity, um_per_px):
        h, w = clean.shape[:2]
        frame = crop_frame(width=w, height=h, um_per_px=um_per_px)
        overlay = render_overlay(self.model, self.bank, width=w, height=h, frame=frame, seed=seed,
                                 damage_level=self.damage_level, polarity=polarity, device=self.device)
        return apply_overlay(clean, overlay), {"counts": overlay.counts,
                                               "damaged_fraction": overlay.damaged_fraction}


@dataclass
class UniformDamage:
    """Bank appearances with uniform class, entry, position and rotation; count Poisson(model's mean)."""

    model: DamageModel
    bank: ArtefactBank
    label: str = "uniform overlay"
    damage_level: float = 1.0

    def __call__(self, clean, *, seed, polarity, um_per_px):
        h, w = clean.shape[:2]
        rng = np.random.default_rng(seed)
        frame = crop_frame(width=w, height=h, um_per_px=um_per_px)
        mean = sum(self.model.expected_counts(width=w, height=h, frame=frame,
                                              damage_level=self.damage_level).values())
        classes = [i for i, c in enumerate(CLASSES) if self.bank.count(c)]
        if not classes:
            raise ValueError("the artefact bank is empty")
        n = int(rng.poisson(mean))
        cls = np.array([classes[i] for i in rng.integers(0, len(classes), n)], dtype=np.int64)
        entry = np.array([rng.integers(0, self.bank.count(CLASSES[c])) for c in cls], dtype=np.int64)
        longest = np.array([max(self.bank.alpha(CLASSES[c], e).shape) for c, e in zip(cls, entry)], dtype=float)
        scale = np.minimum(1.0, (min(w, h) / 4.0) / np.maximum(longest, 1.0))
        counts = {c: int(np.sum(cls == i)) for i, c in enumerate(CLASSES)}
        plan = OverlayPlan(w, h, cls, entry, scale, rng.uniform(-math.pi, math.pi, n), rng.uniform(0, w, n),
                           rng.uniform(0, h, n), np.zeros(n), {}, counts, 0)
        alpha = composite_cpu(plan, self.bank)
        return apply_overlay(clean, alpha, polarity=polarity), {"counts": counts,
                                                                "damaged_fraction": float((alpha >= 0.5).mean())}


def overlay_alpha(image: np.ndarray) -> np.ndarray:
    """Alpha (float32 in [0, 1]) of an overlay image: its alpha channel, else its grey level (white = damage)."""
    image = np.asarray(image)
    top = float(np.iinfo(image.dtype).max) if image.dtype.kind == "u" else 1.0
    if image.ndim == 3 and image.shape[2] == 4:
        plane = image[..., 3]
    elif image.ndim == 3:
        plane = image[..., :3].mean(axis=2)
    else:
        plane = image
    return (plane.astype(np.float32) / np.float32(top)).clip(0.0, 1.0)


@dataclass
class OverlayImageDamage:
    """A random crop (with a random quarter turn and flip) of one of ``overlays`` pasted on the image."""

    overlays: list[np.ndarray] = field(default_factory=list)
    label: str = "overlay images"

    def __post_init__(self):
        if not self.overlays:
            raise ValueError("OverlayImageDamage needs at least one overlay image")
        self.overlays = [overlay_alpha(o) for o in self.overlays]

    @classmethod
    def from_folder(cls, root: str | os.PathLike, *, label: str = "overlay images",
                    max_pixels: int | None = None) -> OverlayImageDamage:
        from imaging.io import read_image

        from .sources import find_images

        return cls([read_image(path, max_pixels=max_pixels) for _, path, _, _ in find_images(root)], label=label)

    def __call__(self, clean, *, seed, polarity, um_per_px):
        h, w = clean.shape[:2]
        rng = np.random.default_rng(seed)
        k = int(rng.integers(0, len(self.overlays)))
        alpha = np.rot90(self.overlays[k], int(rng.integers(0, 4)))
        if rng.random() < 0.5:
            alpha = alpha[:, ::-1]
        oh, ow = alpha.shape
        grow = max(h / oh, w / ow, 1.0)
        if grow > 1.0:
            alpha = cv2.resize(np.ascontiguousarray(alpha), (math.ceil(ow * grow), math.ceil(oh * grow)),
                               interpolation=cv2.INTER_LINEAR)
            oh, ow = alpha.shape
        y, x = int(rng.integers(0, oh - h + 1)), int(rng.integers(0, ow - w + 1))
        alpha = np.ascontiguousarray(alpha[y:y + h, x:x + w])
        return apply_overlay(clean, alpha, polarity=polarity), {"overlay": k,
                                                                "damaged_fraction": float((alpha >= 0.5).mean())}


#: Saturated colours (RGB, share of the range) of the catch-trial marks.
FAKE_COLOURS = ((1.0, 0.0, 1.0), (0.0, 1.0, 1.0), (1.0, 1.0, 0.0), (0.0, 1.0, 0.0))


def fake_damage(clean: np.ndarray, *, seed: int, marks: int = 8) -> np.ndarray:
    """The crop with ``marks`` solid, saturated coloured discs and bars (grey images: black and white)."""
    image = np.asarray(clean)
    top = float(np.iinfo(image.dtype).max) if image.dtype.kind == "u" else 1.0
    rng = np.random.default_rng(seed)
    out = np.ascontiguousarray(image.copy())
    h, w = out.shape[:2]
    channels = out.shape[2] if out.ndim == 3 else 1
    for j in range(marks):
        rgb = FAKE_COLOURS[j % len(FAKE_COLOURS)]
        colour = tuple(float(c * top) for c in rgb)[:channels] if channels >= 3 else (top * (j % 2),)
        if channels == 4:
            colour = colour + (top,)
        r = max(2, int(rng.uniform(0.04, 0.09) * min(h, w)))
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        if j % 2:
            cv2.circle(out, (cx, cy), r, colour, thickness=-1)
        else:
            cv2.rectangle(out, (cx - 2 * r, cy - r // 2), (cx + 2 * r, cy + r // 2), colour, thickness=-1)
    return out
