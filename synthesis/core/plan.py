"""The plan of one overlay (everything random about it) and the geometry of its items.

:func:`synthesis.core.render.plan_overlay` draws a plan from a seed; the compositors
(:func:`synthesis.core.render.composite_cpu`, :func:`synthesis.core.render_torch.composite_torch`)
turn it into an alpha map with the same sources and affine transforms, taken from here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from annotation.core.types import CLASSES

from .bank import ArtefactBank

#: Below this linear scale a source is first reduced by area averaging (no aliasing).
PREFILTER_BELOW = 0.5


@dataclass
class OverlayPlan:
    """Everything random about one overlay; compositing it is deterministic.

    Arrays have one entry per artefact: class index into ``CLASSES``, bank
    entry (-1: the procedural patch in ``patches``), linear scale, rotation
    (rad), centre (x, y) and target area (px).
    """

    width: int
    height: int
    cls: np.ndarray
    entry: np.ndarray
    scale: np.ndarray
    angle: np.ndarray
    x: np.ndarray
    y: np.ndarray
    area_px: np.ndarray
    patches: dict[int, np.ndarray] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    upscale_capped: int = 0

    def __len__(self) -> int:
        return len(self.cls)


def item_source(plan: OverlayPlan, bank: ArtefactBank, i: int) -> tuple[np.ndarray, float, float]:
    """The (possibly pre-reduced) float32 source of artefact ``i`` and its remaining x / y scales."""
    if plan.entry[i] < 0:
        return plan.patches[i].astype(np.float32, copy=False), 1.0, 1.0
    src = bank.alpha(CLASSES[plan.cls[i]], int(plan.entry[i]))
    s = float(plan.scale[i])
    h, w = src.shape
    if s < PREFILTER_BELOW:
        nw, nh = max(1, round(w * s * 2)), max(1, round(h * s * 2))
        src = cv2.resize(src, (nw, nh), interpolation=cv2.INTER_AREA)
        return src.astype(np.float32) * np.float32(1 / 255), s * w / nw, s * h / nh
    return src.astype(np.float32) * np.float32(1 / 255), s, s


def item_affine(src_shape: tuple[int, int], sx: float, sy: float, angle: float, cx: float,
                cy: float) -> tuple[np.ndarray, int, int, int, int]:
    """Affine (2 x 3, source -> patch pixels) and the patch box (x0, y0, w, h) in the frame."""
    h, w = src_shape
    c, s = math.cos(angle), math.sin(angle)
    a = np.array([[c * sx, -s * sy], [s * sx, c * sy]])
    half_w = 0.5 * (abs(c) * w * sx + abs(s) * h * sy) + 1.0
    half_h = 0.5 * (abs(s) * w * sx + abs(c) * h * sy) + 1.0
    x0, y0 = math.floor(cx - half_w), math.floor(cy - half_h)
    pw, ph = math.ceil(cx + half_w) - x0 + 1, math.ceil(cy + half_h) - y0 + 1
    centre_src = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    t = np.array([cx - x0, cy - y0]) - a @ centre_src
    return np.hstack([a, t[:, None]]), x0, y0, pw, ph
