"""Procedural artefact appearances: dust specks, dirt, hairs (alpha masks in [0, 1]).

Shapes are drawn at ``SUPERSAMPLE`` times the size with OpenCV and reduced by
area averaging, which gives anti-aliased edges; a light blur softens them as
an out-of-focus particle on film looks. All randomness comes from the
``rng`` passed in.
"""
from __future__ import annotations

import cv2
import numpy as np

SUPERSAMPLE = 4


def _reduce(canvas: np.ndarray, soften: float) -> np.ndarray:
    h, w = canvas.shape
    small = cv2.resize(canvas.astype(np.float32) / 255.0, (max(1, w // SUPERSAMPLE), max(1, h // SUPERSAMPLE)),
                       interpolation=cv2.INTER_AREA)
    if soften > 0:
        small = cv2.GaussianBlur(small, (0, 0), soften)
    return np.clip(small, 0.0, 1.0)


def blob_alpha(*, radius_px: float, rng: np.random.Generator, roughness: float = 0.25,
               lobes: int = 5, soften: float = 0.5) -> np.ndarray:
    """An irregular speck: a star-shaped outline ``r(t) = R (1 + sum a_k cos(k t + phi_k))``."""
    if radius_px <= 0:
        raise ValueError(f"radius_px must be > 0, got {radius_px}")
    t = np.linspace(0.0, 2.0 * np.pi, 64, endpoint=False)
    r = np.ones_like(t)
    for k in range(2, 2 + lobes):
        r += rng.normal(0.0, roughness / k ** 0.8) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    r = np.clip(r, 0.3, 2.0) * radius_px
    stretch = rng.uniform(0.7, 1.0)
    pts = np.stack([r * np.cos(t), stretch * r * np.sin(t)], axis=1)
    return _fill(pts, soften)


def _fill(pts: np.ndarray, soften: float) -> np.ndarray:
    margin = 2 + int(np.ceil(2 * soften))
    pts = (pts - pts.min(axis=0) + margin) * SUPERSAMPLE
    w, h = (np.ceil(pts.max(axis=0)) + margin * SUPERSAMPLE).astype(int)
    canvas = np.zeros((h, w), dtype=np.uint8)
    cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], 255)
    return _reduce(canvas, soften)


def dirt_alpha(*, radius_px: float, rng: np.random.Generator, soften: float = 0.6) -> np.ndarray:
    """A clump: a rough blob with a few satellite specks, opacity varying a little."""
    core = blob_alpha(radius_px=radius_px, rng=rng, roughness=0.45, lobes=7, soften=soften)
    h, w = core.shape
    pad = int(radius_px) + 2
    out = np.zeros((h + 2 * pad, w + 2 * pad), dtype=np.float32)
    out[pad:pad + h, pad:pad + w] = core
    for _ in range(int(rng.integers(0, 4))):
        sat = blob_alpha(radius_px=max(0.6, radius_px * rng.uniform(0.12, 0.3)), rng=rng, soften=soften)
        y = int(rng.integers(0, out.shape[0] - sat.shape[0] + 1))
        x = int(rng.integers(0, out.shape[1] - sat.shape[1] + 1))
        region = out[y:y + sat.shape[0], x:x + sat.shape[1]]
        np.maximum(region, sat, out=region)
    return out * np.float32(rng.uniform(0.8, 1.0))


def hair_alpha(*, length_px: float, thickness_px: float, rng: np.random.Generator,
               curl: float = 0.12, soften: float = 0.4) -> np.ndarray:
    """A hair: a random walk whose heading drifts by ``curl`` rad per step, drawn with thickness."""
    if length_px <= 0 or thickness_px <= 0:
        raise ValueError("length_px and thickness_px must be > 0")
    step = max(1.0, thickness_px)
    n = max(3, int(length_px / step))
    heading = rng.uniform(-np.pi, np.pi) + np.cumsum(rng.normal(0.0, curl, n))
    pts = np.cumsum(np.stack([np.cos(heading), np.sin(heading)], axis=1) * step, axis=0)
    margin = 2 + thickness_px
    pts = (pts - pts.min(axis=0) + margin) * SUPERSAMPLE
    w, h = (np.ceil(pts.max(axis=0)) + margin * SUPERSAMPLE).astype(int)
    canvas = np.zeros((h, w), dtype=np.uint8)
    thick = max(1, int(round(thickness_px * SUPERSAMPLE)))
    cv2.polylines(canvas, [np.round(pts).astype(np.int32)], False, 255, thickness=thick, lineType=cv2.LINE_AA)
    return _reduce(canvas, soften) * np.float32(rng.uniform(0.75, 1.0))


def procedural_set(cls: str, *, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``n`` procedural appearances of a class, sizes log-uniform over the class's usual range.

    Ranges are in pixels at about 7 um per pixel (a 35 mm frame at 4944 px):
    dust radius 2-12, dirt radius 3-30, short hair 20-250 px long, long hair
    100-900 px long. Scratches are made at render time (see ``scratches``).
    """
    out = []
    for _ in range(n):
        if cls == "dust":
            out.append(blob_alpha(radius_px=float(np.exp(rng.uniform(np.log(2), np.log(12)))), rng=rng))
        elif cls == "dirt":
            out.append(dirt_alpha(radius_px=float(np.exp(rng.uniform(np.log(3), np.log(30)))), rng=rng))
        elif cls in ("short hair", "long hair"):
            lo, hi = (20, 250) if cls == "short hair" else (100, 900)
            out.append(hair_alpha(length_px=float(np.exp(rng.uniform(np.log(lo), np.log(hi)))),
                                  thickness_px=float(rng.uniform(1.2, 3.5)), rng=rng,
                                  curl=0.15 if cls == "short hair" else 0.06))
        else:
            raise ValueError(f"no procedural generator for class {cls!r}")
    return out
