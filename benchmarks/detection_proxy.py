"""Damage detection and restoration on held-out sources only: false alarms, detection scores, do-no-harm.

``restoration_quality.py`` measures on the photographs the detector was trained on, with dense damage,
so it cannot show that a detector flags printed text, edges and highlights on real scans. This benchmark
uses only sources that training never saw:

* **Pictures**: the MATE desktop backgrounds (``/usr/share/backgrounds/mate/**``, Debian package
  mate-backgrounds), read through the project's one image reader. Only photographs are kept, by the clean
  corpus's test (``restoration.core.corpus.is_photograph``: flat, gradient, vector and dithered art fails it; the
  PNG files, ``GreenTraditional.jpg``). Copies of one picture at other sizes
  (``Elephants_3840x2160.jpg``) are kept once, the largest. ``abstract/Elephants`` (a textured
  digital painting, not flat) passes the test and is kept.
* **Hard negatives**, rendered here with a seeded generator on crops of those photographs (no held-out
  corpus manifest was in the project when this was written): printed text in the Liberation and
  FreeFont faces (``/usr/share/fonts/truetype/liberation*/``, ``.../freefont/``; the DejaVu faces are
  training's and are never used), light on dark and dark on light, cap heights 6-120 px, half of the
  lines on a sign panel; line art and hard edges (flat polygons, outlines, hatching); thin wires
  (catenaries) and branches; star fields (the crop darkened to night, hundreds of 1-3 px bright dots);
  specular highlights (small bright glints, some with cross streaks). Two more content kinds are crops
  of the held-out photographs picked by a rule on the clean crop, with texture = mean grey-level Sobel
  gradient after a sigma-1 blur, in levels per 1/35 mm of film (per px times px_per_mm / 35, so that a
  picture scores alike at every scale): **foliage**: at least half the pixels green (G above R and B by
  12 levels) and texture >= 2; **sky**: at least 60% of the pixels blue (B >= R and B >= G - 10) or
  bright (grey >= 170) and texture <= 1.5. Up to 60 seeded candidate crops are tried; when none meets
  the rule, the best-scoring one is used and the report says how many met it. Picture ``i`` of scale
  ``s`` (its position in ``--scales``) and polarity ``p`` (negative 0, positive 1) shows content kind
  ``(6 i + 2 s + p) mod 7`` of text, edges, wires, stars, highlights, foliage, sky.
* Never used: the DejaVu fonts, the other Debian wallpapers and the scikit-image photographs
  (training's sources), and the training seeds (below 1,000; default seed here 900,000).

Each picture is a crop of ``--size`` px at one of ``--scales`` px/mm: the photograph is taken as a
whole 35 x 24 mm frame (cropped to that aspect in its middle) and resampled so that the crop is the part
of the frame it would be at that scale (area averaging down, bilinear up, as ``realism.resample``). The
photographs are 1,280 to 5,640 px wide, so at 141 px/mm (4,935 px a frame) most are upsampled 2-4x and
softer than a real 4,000 dpi scan; the grain is added after, at the crop's own pixels.
Degradation reuses :mod:`restoration.core.realism` at full resolution: film grain (``add_film_grain``,
strength 0.01-0.05, grain size 0.5-1.5 px: realism's ranges), damage drawn by the model fitted on the
public annotations as ``restoration_quality.proxy_set`` fits it (``render_overlay`` with
``FrameGeometry(w, h, w / px_per_mm, h / px_per_mm)``, ``damage_level=1``: the annotated frames' own
density, full opacity), light damage on negative film and dark damage on positive film
(``apply_overlay``), and JPEG (``jpeg_roundtrip``, quality 70-95) on every image whose index plus
polarity index (negative 0, positive 1) is odd, that is half of them; the clean reference goes through
the same JPEG. The true damage mask is overlay alpha >= ``realism.MASK_ALPHA`` (0.15). Every picture is
scored twice: undamaged (grain and JPEG only) and damaged.

Tables: (a) share of the pixels each method's mask flags on the undamaged images, by content kind (whole
image, and in brackets on the rendered element's own pixels), bar 0.05%, and how many undamaged images
each method changed at all; (b) detection IoU / F1 / precision / recall of
the masks against the true damage (pixels summed over the images), per scale; (c) full-frame PSNR,
SSIM (metric card), LPIPS (``--lpips``) against the clean image with the do-nothing row first, PSNR
inside / outside the true damage dilated by max(2, 0.05 mm) px, per scale, and the number of images where
a method's full-frame PSNR is below doing nothing (bar: zero); (d) the same figures on the authentic
development frame (``../shared/data/authentic-dev``, 40.7 px/mm, negative), reported, not optimised.

Detecting methods (those with a ``polarity`` option) get the true polarity and px/mm (``--polarity auto``
tests auto-detection instead and says how often it chose right); ``dust-scratches`` and
``restoration-unet`` masks are the pixels they change. Same seed and options, same numbers.

Cost: the default (3 pictures per scale and polarity, 384 px, 3 scales: 18 pictures, 36 restorations per
method, and the authentic frame) takes about 10 minutes on 2 busy CPU cores with the shipped weights
(about 3 s per 384 px restoration for each U-Net method, 20-25 s each on the authentic frame);
``--lpips`` adds about a minute. A detector with a canonical scale costs more at 35 px/mm (it sees the
crop upsampled to its scale) and less at 141.

Usage::

    .venv/bin/python benchmarks/detection_proxy.py [--images 3] [--size 384] [--scales 35,70,141]
        [--seed 900000] [--polarity true|auto] [--lpips] [--json OUT]
        [--weights-dir DIR] [--methods unet-grain,dust-scratches]
"""
from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from annotation.core.formats import load_public_dataset  # noqa: E402
from annotation.core.types import FrameGeometry  # noqa: E402
from evaluation.core.metrics import dilate_mask, masked_psnr, psnr, ssim  # noqa: E402
from restoration.core import corpus  # noqa: E402
from restoration.core.methods import get_methods  # noqa: E402
from restoration.core.pipeline import FRAME_LONG_MM  # noqa: E402
from restoration.core.realism import MASK_ALPHA, SampleSettings, jpeg_roundtrip, resample  # noqa: E402
from synthesis.core.bank import ArtefactBank  # noqa: E402
from synthesis.core.fit import fit_damage_model  # noqa: E402
from synthesis.core.grain import add_film_grain  # noqa: E402
from synthesis.core.render import apply_overlay, render_overlay  # noqa: E402

HELD_OUT_SEED = 900_000  # training used seeds below 1,000
BACKGROUNDS = Path("/usr/share/backgrounds/mate")
FONT_DIRS = (Path("/usr/share/fonts/truetype"),)
FONT_GLOBS = ("liberation*/*.ttf", "freefont/*.ttf")  # held out; DejaVu is training's
FRAME_SHORT_MM = 24.0
KINDS = ("text", "edges", "wires", "stars", "highlights", "foliage", "sky")
RENDERED = KINDS[:5]
POLARITIES = ("negative", "positive")
AUTHENTIC = REPO.parent / "shared" / "data" / "authentic-dev"
AUTHENTIC_PX_PER_MM = 40.7
BAR_FLAGGED = 0.0005  # 0.05% of the pixels
WORDS = ("KODAK", "Tri-X", "400TX", "EXIT", "Hotel", "Café", "OPEN", "No. 27", "1974", "12.08.1983", "Station",
         "Apotheke", "BUS STOP", "Ilford HP5", "Theatre", "Push +1", "Frame 36", "SALE", "ñandú", "quiet",
         "Rue de la Paix", "Σ 35mm", "Platz", "Bahnhof", "f/2.8", "ISO 125", "Agfa", "Lager", "Gate 4", "www")
GRAIN = SampleSettings()  # realism's grain ranges


# ----------------------------------------------------------------------------- held-out pictures


def is_photograph(path: Path) -> bool:
    """A photograph, not flat or vector art: the clean corpus's own test (restoration.core.corpus)."""
    return bool(corpus.is_photograph(path))


def held_out_photos(root: Path = BACKGROUNDS) -> list[tuple[str, np.ndarray]]:
    """(name, uint8 RGB) of the held-out photographs, cropped to the 35:24 frame aspect, sorted by name."""
    chosen: dict[str, Path] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if not is_photograph(path):
            continue
        stem = re.sub(r"_\d+x\d+$", "", path.stem)  # the same picture at another size
        key = f"{path.parent.name}/{stem}"
        if key not in chosen or path.stat().st_size > chosen[key].stat().st_size:
            chosen[key] = path
    photos = []
    for key in sorted(chosen):
        image = corpus.read_picture(chosen[key])
        h, w = image.shape[:2]
        aspect = FRAME_LONG_MM / FRAME_SHORT_MM
        if w / h > aspect:
            cw = round(h * aspect)
            image = image[:, (w - cw) // 2:(w - cw) // 2 + cw]
        else:
            ch = round(w / aspect)
            image = image[(h - ch) // 2:(h - ch) // 2 + ch]
        photos.append((key, np.ascontiguousarray(image)))
    if not photos:
        raise SystemExit(f"no held-out photographs under {root} (install the Debian package mate-backgrounds)")
    return photos


def frame_crop(photo: np.ndarray, size: int, px_per_mm: float, rng: np.random.Generator) -> np.ndarray:
    """A ``size`` px square of ``photo`` (a whole 35 x 24 mm frame) as scanned at ``px_per_mm``."""
    h, w = photo.shape[:2]
    photo_ppm = w / FRAME_LONG_MM
    side = min(h, w, size * photo_ppm / px_per_mm)  # source pixels under the crop (clamped to the frame)
    s = max(1, math.ceil(side))
    y0, x0 = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
    return np.ascontiguousarray(resample(np.ascontiguousarray(photo[y0:y0 + s, x0:x0 + s]), (size, size)))


def _gradient(image: np.ndarray) -> float:
    grey = cv2.GaussianBlur(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32), (0, 0), 1.0)
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3) / 8, cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3) / 8
    return float(np.mean(np.hypot(gx, gy)))


def classify(image: np.ndarray, px_per_mm: float) -> dict[str, float]:
    """The rule's numbers for a clean crop: green share, blue-or-bright share, texture.

    Texture is the mean grey-level gradient (Sobel after a sigma-1 blur) in levels per 1/35 mm of film,
    i.e. per pixel times ``px_per_mm / 35``, so that one picture scores alike at every scale.
    """
    r, g, b = (image[..., k].astype(np.int16) for k in range(3))
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return {"green": float(np.mean((g > r + 12) & (g > b + 12))),
            "sky_tone": float(np.mean(((b >= r) & (b >= g - 10)) | (grey >= 170))),
            "texture": _gradient(image) * px_per_mm / 35.0}


def _rule(kind: str, c: dict[str, float]) -> tuple[bool, float]:
    """(meets the rule, score to rank candidates when none does)."""
    if kind == "foliage":
        return c["green"] >= 0.5 and c["texture"] >= 2.0, min(c["green"] / 0.5, c["texture"] / 2.0)
    return c["sky_tone"] >= 0.6 and c["texture"] <= 1.5, min(c["sky_tone"] / 0.6, 1.5 / max(c["texture"], 1e-3))


# ----------------------------------------------------------------------------- hard negatives


@cache
def held_out_fonts() -> tuple[str, ...]:
    fonts = sorted({str(p) for d in FONT_DIRS for g in FONT_GLOBS for p in d.glob(g)})
    fonts = tuple(f for f in fonts if "dejavu" not in f.lower())
    if not fonts:
        raise SystemExit("no Liberation or FreeFont faces under /usr/share/fonts/truetype (fonts-liberation, "
                         "fonts-freefont-ttf)")
    return fonts


@cache
def _cap_ratio(font_path: str) -> float:
    from PIL import ImageFont

    left, top, right, bottom = ImageFont.truetype(font_path, 200).getbbox("H")
    return (bottom - top) / 200.0


def _tone(rng: np.random.Generator, light: bool) -> np.ndarray:
    base = rng.uniform(215, 255) if light else rng.uniform(0, 45)
    return np.clip(base + rng.normal(0, 6, 3), 0, 255).astype(np.float32)


def _blend(image: np.ndarray, alpha: np.ndarray, tone: np.ndarray) -> np.ndarray:
    a = np.clip(alpha, 0, 1)[..., None].astype(np.float32)
    return image * (1 - a) + tone[None, None, :] * a


def _render_text(base: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image, ImageDraw, ImageFont

    h, w = base.shape[:2]
    out = base.astype(np.float32)
    for _ in range(int(rng.integers(3, 8))):
        font_path = held_out_fonts()[int(rng.integers(len(held_out_fonts())))]
        cap = math.exp(rng.uniform(math.log(6), math.log(120)))
        size = max(4, round(cap / _cap_ratio(font_path)))
        font = ImageFont.truetype(font_path, size)
        words = " ".join(WORDS[int(k)] for k in rng.integers(0, len(WORDS), int(rng.integers(1, 4))))
        x, y = int(rng.integers(-w // 8, w - w // 8)), int(rng.integers(-size // 2, h - size // 2))
        light = bool(rng.random() < 0.5)  # light text on dark or dark text on light
        layer = Image.new("L", (w, h), 0)
        ImageDraw.Draw(layer).text((x, y), words, font=font, fill=255)
        alpha = np.asarray(layer, np.float32) / 255.0
        if rng.random() < 0.5:  # a sign: a panel of the other tone under the line
            ys, xs = np.nonzero(alpha > 0)
            if ys.size:
                pad = max(2, size // 4)
                panel = np.zeros((h, w), np.float32)
                panel[max(0, ys.min() - pad):ys.max() + pad, max(0, xs.min() - pad):xs.max() + pad] = 1.0
                out = _blend(out, panel * rng.uniform(0.8, 1.0), _tone(rng, not light))
        out = _blend(out, alpha, _tone(rng, light))
    return out, np.zeros((h, w), bool)


def _render_edges(base: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    h, w = base.shape[:2]
    out = base.astype(np.float32)
    for _ in range(int(rng.integers(2, 6))):  # flat shapes with hard edges (buildings, graphics)
        pts = (rng.uniform(-0.2, 1.2, (int(rng.integers(3, 7)), 2)) * [w, h]).astype(np.int32)
        layer = np.zeros((h, w), np.uint8)
        cv2.fillPoly(layer, [pts], 255, lineType=cv2.LINE_AA)
        flat = np.clip(rng.uniform(0, 255) + rng.normal(0, 20, 3), 0, 255).astype(np.float32)
        out = _blend(out, layer / 255.0, flat)
    for _ in range(int(rng.integers(6, 20))):  # strokes: outlines and hatching, 1-4 px
        layer = np.zeros((h, w), np.uint8)
        t = int(rng.integers(1, 5))
        p0 = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        if rng.random() < 0.3:
            cv2.circle(layer, p0, int(rng.integers(5, max(6, w // 3))), 255, t, cv2.LINE_AA)
        elif rng.random() < 0.5:
            cv2.rectangle(layer, p0, (int(rng.integers(0, w)), int(rng.integers(0, h))), 255, t, cv2.LINE_AA)
        else:
            angle, step = rng.uniform(0, math.pi), int(rng.integers(4, 16))
            for k in range(int(rng.integers(1, 10))):
                d = np.array([math.cos(angle), math.sin(angle)])
                o = np.array(p0) + k * step * np.array([-d[1], d[0]])
                a, b = (o - d * w / 2).astype(int), (o + d * w / 2).astype(int)
                cv2.line(layer, tuple(int(v) for v in a), tuple(int(v) for v in b), 255, t, cv2.LINE_AA)
        out = _blend(out, layer / 255.0, _tone(rng, bool(rng.random() < 0.5)))
    return out, np.zeros((h, w), bool)


def _render_wires(base: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    h, w = base.shape[:2]
    out = base.astype(np.float32)
    for _ in range(int(rng.integers(2, 7))):  # power lines: catenaries across the crop
        layer = np.zeros((h, w), np.uint8)
        xs = np.linspace(-10, w + 10, 200)
        c, x0, y0 = rng.uniform(w * 0.5, w * 4), rng.uniform(0, w), rng.uniform(0.1 * h, 0.9 * h)
        ys = y0 + c * (np.cosh((xs - x0) / c) - 1)
        pts = np.stack([xs, ys], 1).astype(np.int32)
        cv2.polylines(layer, [pts], False, 255, int(rng.integers(1, 4)), cv2.LINE_AA)
        out = _blend(out, layer / 255.0 * rng.uniform(0.7, 1.0), _tone(rng, bool(rng.random() < 0.3)))
    for _ in range(int(rng.integers(1, 4))):  # branches: tapering random walks that fork
        layer = np.zeros((h, w), np.uint8)
        stack = [(rng.uniform(0, w), float(h + 5), -math.pi / 2 + rng.normal(0, 0.4), 4.0)]
        segments = 0
        while stack and segments < 400:
            x, y, a, t = stack.pop()
            n = int(rng.integers(5, 15))
            for _ in range(n):
                nx, ny = x + 8 * math.cos(a), y + 8 * math.sin(a)
                cv2.line(layer, (int(x), int(y)), (int(nx), int(ny)), 255, max(1, round(t)), cv2.LINE_AA)
                x, y, a, segments = nx, ny, a + rng.normal(0, 0.25), segments + 1
            t *= 0.7
            if t >= 0.6:
                stack += [(x, y, a + rng.uniform(0.3, 0.8), t), (x, y, a - rng.uniform(0.3, 0.8), t)]
        out = _blend(out, layer / 255.0, _tone(rng, bool(rng.random() < 0.3)))
    return out, np.zeros((h, w), bool)


def _splats(h: int, w: int, n: int, sigma: tuple[float, float], rng: np.random.Generator,
            faint: float = 0.35) -> np.ndarray:
    """Alpha of ``n`` Gaussian dots of sigma in ``sigma`` px, peak ``faint``-1 (most of them faint)."""
    alpha = np.zeros((h, w), np.float32)
    for _ in range(n):
        s = rng.uniform(*sigma)
        r = max(1, math.ceil(3 * s))
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        x0, y0 = int(cx) - r, int(cy) - r
        yy, xx = np.mgrid[y0:y0 + 2 * r + 1, x0:x0 + 2 * r + 1]
        g = (min(1.0, faint / math.sqrt(rng.uniform(faint ** 2, 1.0)))
             * np.exp(-((xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2) / (2 * s * s)))
        ya, yb, xa, xb = max(0, y0), min(h, y0 + 2 * r + 1), max(0, x0), min(w, x0 + 2 * r + 1)
        if ya < yb and xa < xb:
            part = alpha[ya:yb, xa:xb]
            np.maximum(part, g[ya - y0:yb - y0, xa - x0:xb - x0], out=part)
    return alpha


def _render_stars(base: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    h, w = base.shape[:2]
    night = base.astype(np.float32) * rng.uniform(0.05, 0.2)
    alpha = _splats(h, w, int(rng.integers(200, 800) * h * w / 512 ** 2), (0.4, 1.2), rng)
    return _blend(night, alpha, _tone(rng, True)), alpha > 0.1


def _render_highlights(base: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    h, w = base.shape[:2]
    alpha = _splats(h, w, int(rng.integers(15, 60)), (1.0, 6.0), rng, faint=0.8)
    for _ in range(int(rng.integers(2, 8))):  # glints with cross streaks
        layer = np.zeros((h, w), np.float32)
        cx, cy, length = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(10, 60)
        a = rng.uniform(0, math.pi)
        for k in range(2):
            d = np.array([math.cos(a + k * math.pi / 2), math.sin(a + k * math.pi / 2)]) * length
            cv2.line(layer, (int(cx - d[0]), int(cy - d[1])), (int(cx + d[0]), int(cy + d[1])), 1.0, 1, cv2.LINE_AA)
        layer = cv2.GaussianBlur(layer, (0, 0), 0.7) * 1.6
        np.maximum(alpha, np.clip(layer, 0, 1), out=alpha)
    return _blend(base.astype(np.float32), alpha, _tone(rng, True)), alpha > 0.1


RENDERERS = {"text": _render_text, "edges": _render_edges, "wires": _render_wires, "stars": _render_stars,
             "highlights": _render_highlights}


# ----------------------------------------------------------------------------- the proxy set


@dataclass
class Item:
    name: str
    scale: float
    polarity: str
    kind: str
    photo: str
    jpeg: int  # 0: none
    seed: int
    reference: np.ndarray  # clean, grain, JPEG: the undamaged input and the reference of both
    damaged: np.ndarray
    truth: np.ndarray  # bool, overlay alpha >= MASK_ALPHA
    element: np.ndarray | None  # bool, the rendered element's pixels (None: photo kinds)
    rule_ok: bool | None = None
    facts: dict = field(default_factory=dict)


def damage_model(data_root: Path):  # noqa: ANN201 - (DamageModel, ArtefactBank)
    """The damage model and bank, fitted and built as ``restoration_quality.proxy_set`` does."""
    scans, _ = load_public_dataset(data_root)
    model = fit_damage_model(scans)
    bank = ArtefactBank.from_synthetic_folder(data_root / "synthetic",
                                              cache_path=REPO / "var" / "cache" / "artefact-bank.npz")
    bank.add_procedural(seed=0, per_class=100)
    return model, bank


def make_item(photos, model, bank, *, seed: int, scale: float, s_idx: int, p_idx: int, i: int,  # noqa: ANN001
              size: int) -> Item:
    polarity = POLARITIES[p_idx]
    kind = KINDS[(i * 6 + s_idx * 2 + p_idx) % len(KINDS)]
    rng = np.random.default_rng([seed, round(scale * 100), p_idx, i])
    rule_ok, element = None, None
    if kind in RENDERED:
        name, photo = photos[int(rng.integers(len(photos)))]
        crop = frame_crop(photo, size, scale, rng)
        rendered, element = RENDERERS[kind](crop, rng)
        clean = np.clip(np.rint(rendered), 0, 255).astype(np.uint8)
        if not element.any():  # text, edges, wires: where the rendering changed the picture
            element = np.abs(clean.astype(np.int16) - crop).max(axis=2) > 10
    else:
        best = None
        for _ in range(60):
            name, photo = photos[int(rng.integers(len(photos)))]
            crop = frame_crop(photo, size, scale, rng)
            ok, score = _rule(kind, classify(crop, scale))
            if best is None or (ok, score) > best[:2]:
                best = (ok, score, name, crop)
            if ok:
                break
        rule_ok, _, name, clean = best
    grained = add_film_grain(clean, strength=float(rng.uniform(*GRAIN.grain_strength)),
                             grain_size=float(rng.uniform(*GRAIN.grain_size)), seed=int(rng.integers(2**31)))
    frame = FrameGeometry(size, size, size / scale, size / scale)
    overlay = render_overlay(model, bank, width=size, height=size, frame=frame, seed=int(rng.integers(2**31)),
                             damage_level=1.0, polarity=polarity, device="cpu")
    damaged = apply_overlay(grained, overlay, polarity=polarity)
    quality = int(rng.integers(70, 96)) if (i + p_idx) % 2 else 0
    if quality:
        grained, damaged = jpeg_roundtrip(grained, quality), jpeg_roundtrip(damaged, quality)
    truth = overlay.alpha >= MASK_ALPHA
    label = f"{scale:g}ppmm-{polarity[:3]}-{i}-{kind}"
    return Item(label, scale, polarity, kind, name, quality, int(rng.integers(2**31)), grained, damaged, truth,
                element, rule_ok, {"true_share": float(truth.mean())})


# ----------------------------------------------------------------------------- scoring


def confusion(pred: np.ndarray, truth: np.ndarray) -> list[int]:
    return [int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())]


def detection_scores(tp: int, fp: int, fn: int) -> dict[str, float]:
    return {"iou": tp / max(tp + fp + fn, 1), "f1": 2 * tp / max(2 * tp + fp + fn, 1),
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / (tp + fn) if tp + fn else float("nan")}


def mean(values) -> float:  # noqa: ANN001
    vals = [v for v in values if v is not None and np.isfinite(v)]
    return statistics.mean(vals) if vals else float("nan")


def truth_radius(px_per_mm: float) -> int:
    """Dilation of the true mask for the inside / outside PSNR: max(2, 0.05 mm) px."""
    return max(2, round(0.05 * px_per_mm))


def run_method(method, image: np.ndarray, *, polarity: str, px_per_mm: float, seed: int):  # noqa: ANN001, ANN201
    opts: dict = {}
    if "polarity" in method.defaults:
        opts.update(polarity=polarity, px_per_mm=float(px_per_mm))
    if "seed" in method.defaults:
        opts["seed"] = int(seed)
    start = time.perf_counter()
    result = method.run(image, options=opts, device="cpu")
    return result, time.perf_counter() - start


def add_components(total: dict, info: dict) -> None:
    comp = info.get("components")
    if not comp:
        return
    total["kept"] = total.get("kept", 0) + int(comp.get("kept", 0))
    for reason, n in (comp.get("dropped") or {}).items():
        total.setdefault("dropped", {})
        total["dropped"][reason] = total["dropped"].get(reason, 0) + int(n)


def _plain(obj):  # noqa: ANN001, ANN202 - JSON-ready: numpy scalars to Python, inf / nan to strings
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else str(float(obj))
    if isinstance(obj, (np.integer, np.bool_)):
        return obj.item()
    return obj


def fmt(v: float, spec: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return format(v, spec)


def pct(v: float) -> str:
    return "-" if v is None or math.isnan(v) else f"{100 * v:.3f}%"


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3, help="Pictures per scale and polarity (default 3).")
    parser.add_argument("--size", type=int, default=384, help="Crop side in px (default 384).")
    parser.add_argument("--scales", default="35,70,141", help="px/mm of film, comma-separated.")
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    parser.add_argument("--polarity", choices=("true", "auto"), default="true",
                        help="Tell detecting methods the true polarity (default) or let them decide (auto).")
    parser.add_argument("--lpips", action="store_true", help="Also compute LPIPS (slower).")
    parser.add_argument("--json", type=Path, help="Write every number here.")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "film-damage-simulator")
    parser.add_argument("--authentic", default=str(AUTHENTIC), help="Authentic frame folder ('' to skip).")
    parser.add_argument("--weights-dir", type=Path, help="Candidate weights (default: the shipped ones).")
    parser.add_argument("--methods", help="Comma-separated method names (default: every available one).")
    args = parser.parse_args()
    scales = [float(s) for s in args.scales.split(",") if s.strip()]
    if args.images < 1 or args.size < 64 or not scales or min(scales) <= 0:
        parser.error("need --images >= 1, --size >= 64 and positive --scales")
    import torch

    torch.set_num_threads(2)
    sys.stdout.reconfigure(line_buffering=True)  # the tables and the progress lines (stderr) in order
    started = time.perf_counter()
    methods = get_methods(weights_dir=args.weights_dir)
    if args.methods:
        wanted = [m for m in args.methods.split(",") if m]
        unknown = sorted(set(wanted) - set(methods))
        if unknown:
            parser.error(f"unknown methods {unknown}; known: {sorted(methods)}")
        methods = {k: v for k, v in methods.items() if k in wanted}
    for name, m in list(methods.items()):
        if not m.available():
            print(f"{name:<18} unavailable: {m.reason_unavailable}")
            del methods[name]
    detecting = [n for n, m in methods.items() if "polarity" in m.defaults]

    photos = held_out_photos()
    model, bank = damage_model(args.data)
    items = [make_item(photos, model, bank, seed=args.seed, scale=scale, s_idx=si, p_idx=pi, i=i, size=args.size)
             for i in range(args.images) for si, scale in enumerate(scales) for pi in range(2)]
    setup_s = time.perf_counter() - started
    lp = None
    if args.lpips:
        from imaging.lpips import lpips_distance as lp

    records: dict[str, list[dict]] = {name: [] for name in ["do-nothing", *methods]}
    for it in items:
        dil = dilate_mask(it.truth, truth_radius(it.scale))
        records["do-nothing"].append({
            "item": it.name, "psnr": psnr(it.reference, it.damaged), "ssim": ssim(it.reference, it.damaged),
            "psnr_damage": masked_psnr(it.reference, it.damaged, dil),
            "psnr_clean": masked_psnr(it.reference, it.damaged, ~dil),
            "lpips": lp(it.reference, it.damaged) if lp else None})
    components: dict[str, dict[str, dict]] = {name: {"undamaged": {}, "damaged": {}} for name in methods}
    for name, method in methods.items():
        for it in items:
            pol = it.polarity if args.polarity == "true" else "auto"
            clean_run, t0 = run_method(method, it.reference, polarity=pol, px_per_mm=it.scale, seed=it.seed)
            dmg_run, t1 = run_method(method, it.damaged, polarity=pol, px_per_mm=it.scale, seed=it.seed)
            add_components(components[name]["undamaged"], clean_run.info)
            add_components(components[name]["damaged"], dmg_run.info)
            flagged, pred = clean_run.mask > 0, dmg_run.mask > 0
            dil = dilate_mask(it.truth, truth_radius(it.scale))
            rec = {"item": it.name, "seconds": (t0 + t1) / 2,
                   "flagged": float(flagged.mean()),
                   "flagged_element": float(flagged[it.element].mean()) if it.element is not None and it.element.any()
                   else None,
                   "changed_undamaged": bool(np.any(clean_run.image != it.reference)),
                   "confusion": confusion(pred, it.truth),
                   "psnr": psnr(it.reference, dmg_run.image), "ssim": ssim(it.reference, dmg_run.image),
                   "psnr_damage": masked_psnr(it.reference, dmg_run.image, dil),
                   "psnr_clean": masked_psnr(it.reference, dmg_run.image, ~dil),
                   "lpips": lp(it.reference, dmg_run.image) if lp else None,
                   "polarity_chosen": [clean_run.info.get("polarity"), dmg_run.info.get("polarity")]}
            records[name].append(rec)
        print(f"  {name}: {len(items)} pictures done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    out: dict = {"config": {"images": args.images, "size": args.size, "scales": scales, "seed": args.seed,
                            "polarity": args.polarity, "lpips": args.lpips, "methods": list(methods),
                            "photos": [n for n, _ in photos], "fonts": [Path(f).name for f in held_out_fonts()],
                            "mask_alpha": MASK_ALPHA},
                 "items": [{"name": it.name, "scale": it.scale, "polarity": it.polarity, "kind": it.kind,
                            "photo": it.photo, "jpeg": it.jpeg, "rule_ok": it.rule_ok,
                            "element_share": float(it.element.mean()) if it.element is not None else None,
                            **it.facts} for it in items],
                 "records": records, "components": components}
    by_item = {it.name: it for it in items}
    n = len(items)
    print(f"\nHeld-out proxy: {n} pictures ({args.images} per scale and polarity) of {args.size} x {args.size} px at "
          f"{', '.join(f'{s:g}' for s in scales)} px/mm, seed {args.seed}; {len(photos)} MATE photographs, "
          f"{len(held_out_fonts())} Liberation/FreeFont faces")
    print(f"JPEG (q 70-95) on {sum(1 for it in items if it.jpeg)} of {n} (index + polarity index odd); true damage "
          f"= overlay alpha >= {MASK_ALPHA}, mean share {statistics.mean(it.facts['true_share'] for it in items):.4f}, "
          f"{sum(1 for it in items if not it.truth.any())} damaged images hold no damage at all")
    kinds_seen = [k for k in KINDS if any(it.kind == k for it in items)]
    rule = {k: (sum(1 for it in items if it.kind == k and it.rule_ok), sum(1 for it in items if it.kind == k))
            for k in ("foliage", "sky") if k in kinds_seen}
    print("content: " + ", ".join(f"{k} {sum(1 for it in items if it.kind == k)}" for k in kinds_seen)
          + "".join(f"; {k} crops meeting the rule {a}/{b}" for k, (a, b) in rule.items()))

    # (a) false alarms on undamaged images
    print(f"\n(a) UNDAMAGED images (grain, JPEG, no damage): share of pixels flagged by each mask, by content kind "
          f"(bar <= {100 * BAR_FLAGGED:.2f}%); [on the rendered element itself]")
    head = f"{'method':<18}" + "".join(f"{k:>16}" for k in kinds_seen) + f"{'overall':>10}{'changed':>9}{'bar':>6}"
    print(head)
    table_a: dict = {}
    for name in methods:
        recs = records[name]
        row, cells = {}, []
        for k in kinds_seen:
            ks = [r for r in recs if by_item[r["item"]].kind == k]
            share = statistics.mean(r["flagged"] for r in ks)
            elem = mean(r["flagged_element"] for r in ks) if k in RENDERED else float("nan")
            row[k] = {"flagged": share, "flagged_element": elem}
            cells.append(f"{pct(share)}" + (f" [{100 * elem:.1f}%]" if np.isfinite(elem) else ""))
        overall = statistics.mean(r["flagged"] for r in recs)
        changed = sum(r["changed_undamaged"] for r in recs)
        row.update(overall=overall, changed_images=changed)
        table_a[name] = row
        mark = "" if name in detecting else " *"
        print(f"{name + mark:<18}" + "".join(f"{c:>16}" for c in cells) + f"{pct(overall):>10}{changed:>5}/{n:<3}"
              f"{'ok' if overall <= BAR_FLAGGED else 'FAIL':>6}")
    print("  * not a detector: its mask is the pixels it changes; 'changed': undamaged images it altered at all")

    # (b) detection against the true mask
    print(f"\n(b) DAMAGED images: detection of the true damage (alpha >= {MASK_ALPHA}); pixels summed over the images")
    groups = [(f"{s:g} px/mm", lambda it, s=s: it.scale == s) for s in scales]
    groups += [(p, lambda it, p=p: it.polarity == p) for p in POLARITIES] + [("overall", lambda it: True)]
    print(f"{'method':<18}{'set':<12}{'IoU':>8}{'F1':>8}{'precision':>11}{'recall':>8}{'flagged':>10}{'true':>9}")
    table_b: dict = {}
    for name in methods:
        for label, keep in groups:
            recs = [r for r in records[name] if keep(by_item[r["item"]])]
            tp, fp, fn = (sum(r["confusion"][k] for r in recs) for k in range(3))
            total = len(recs) * args.size * args.size
            sc = {**detection_scores(tp, fp, fn), "flagged": (tp + fp) / total, "true": (tp + fn) / total}
            table_b.setdefault(name, {})[label] = sc
            print(f"{name if label == groups[0][0] else '':<18}{label:<12}{sc['iou']:8.3f}{sc['f1']:8.3f}"
                  f"{fmt(sc['precision'], '11.3f'):>11}{fmt(sc['recall'], '8.3f'):>8}{pct(sc['flagged']):>10}"
                  f"{pct(sc['true']):>9}")

    # (c) restoration quality against the clean image
    print("\n(c) DAMAGED images: restoration against the clean image: means of per-image scores over the images that "
          "hold damage (doing nothing is not exact); dmg / clean: PSNR inside / outside the true damage dilated by "
          "max(2, 0.05 mm) px; below: images, of all, whose full-frame PSNR is below doing nothing (bar: 0)")
    table_c: dict = {}
    for label, keep in [g for g in groups if g[0] not in POLARITIES]:
        print(f"-- {label}")
        print(f"{'method':<18}{'PSNR':>8}{'SSIM':>8}" + (f"{'LPIPS':>8}" if lp else "")
              + f"{'PSNR dmg':>10}{'PSNR clean':>12}{'ΔPSNR':>8}{'below':>8}{'s/img':>8}")
        base = {r["item"]: r["psnr"] for r in records["do-nothing"]}
        for name, recs in records.items():
            recs = [r for r in recs if keep(by_item[r["item"]])]
            below = sum(1 for r in recs if r["psnr"] < base[r["item"]]) if name != "do-nothing" else 0
            n_all = len(recs)
            recs = [r for r in recs if math.isfinite(base[r["item"]])]  # means over the images that hold damage
            row = {"psnr": mean(r["psnr"] for r in recs), "ssim": mean(r["ssim"] for r in recs),
                   "lpips": mean(r["lpips"] for r in recs) if lp else None,
                   "psnr_damage": mean(r["psnr_damage"] for r in recs),
                   "psnr_clean": mean(r["psnr_clean"] for r in recs),
                   "below_nothing": below, "images": n_all, "images_with_damage": len(recs),
                   "seconds": mean(r.get("seconds") for r in recs) if name != "do-nothing" else 0.0}
            row["delta_psnr"] = row["psnr"] - mean(base[r["item"]] for r in recs)
            table_c.setdefault(label, {})[name] = row
            print(f"{name:<18}{fmt(row['psnr'], '8.2f'):>8}{fmt(row['ssim'], '8.4f'):>8}"
                  + (f"{fmt(row['lpips'], '8.4f'):>8}" if lp else "")
                  + f"{fmt(row['psnr_damage'], '10.2f'):>10}{fmt(row['psnr_clean'], '12.2f'):>12}"
                  f"{fmt(row['delta_psnr'], '+8.2f'):>8}{below:>5}/{n_all:<2}{row['seconds']:8.2f}")

    # components and polarity
    if any(components[n]["undamaged"] or components[n]["damaged"] for n in methods):
        print("\ndo-no-harm review (components kept / dropped, summed over the images):")
        for name in methods:
            for which in ("undamaged", "damaged"):
                c = components[name][which]
                if c:
                    print(f"  {name:<18}{which:<10} kept {c.get('kept', 0):>5}  dropped "
                          + (", ".join(f"{k} {v}" for k, v in sorted(c.get('dropped', {}).items())) or "0"))
    polarity_right: dict = {}
    if args.polarity == "auto":
        print("\nauto polarity: how often each detecting method chose the film's true polarity")
        for name in detecting:
            right = [[r["polarity_chosen"][k] == by_item[r["item"]].polarity for r in records[name]] for k in (0, 1)]
            polarity_right[name] = {"undamaged": sum(right[0]) / n, "damaged": sum(right[1]) / n}
            print(f"  {name:<18} undamaged {sum(right[0])}/{n}, damaged {sum(right[1])}/{n}")

    authentic = authentic_frame(Path(args.authentic), methods, lp) if args.authentic else None
    out["tables"] = {"a": table_a, "b": table_b, "c": table_c, "authentic": authentic,
                     "auto_polarity": polarity_right}
    total = time.perf_counter() - started
    out["seconds"] = {"setup": setup_s, "total": total}
    print(f"\n{total:.0f} s in all ({setup_s:.0f} s to fit the damage model and build the pictures)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(_plain(out), indent=1, allow_nan=False))
        print(f"numbers written to {args.json}")


def authentic_frame(root: Path, methods: dict, lp) -> dict | None:  # noqa: ANN001
    """(d) The authentic development frame: reported, not optimised."""
    from imaging.io import read_image

    pairs = sorted((root / "benchmark" / "damaged").glob("*")) if root.is_dir() else []
    if not pairs:
        print(f"\n(d) authentic frame: none at {root}")
        return None
    result = {}
    for path in pairs:
        damaged = read_image(path)
        expert = read_image(root / "benchmark" / "restored" / path.name)
        truth = read_image(root / "reference" / f"{path.stem}.expert-mask.png") > 127
        truth = truth if truth.ndim == 2 else truth[..., 0]
        inside = dilate_mask(truth, truth_radius(AUTHENTIC_PX_PER_MM))
        print(f"\n(d) AUTHENTIC frame {path.name} ({damaged.shape[1]} x {damaged.shape[0]}, "
              f"{AUTHENTIC_PX_PER_MM} px/mm, "
              f"negative; expert mask {pct(float(truth.mean()))}): reported, not optimised")
        print(f"{'method':<18}{'PSNR':>8}{'SSIM':>8}" + (f"{'LPIPS':>8}" if lp else "")
              + f"{'PSNR dmg':>10}{'PSNR clean':>12}{'ΔPSNR':>8}{'IoU':>7}{'F1':>7}{'prec':>7}{'recall':>7}"
              f"{'flagged':>10}{'s':>7}")
        rows = {}
        for name, method in [("do-nothing", None), *methods.items()]:
            if method is None:
                image, mask, secs, info = damaged, None, 0.0, {}
            else:
                res, secs = run_method(method, damaged, polarity="negative", px_per_mm=AUTHENTIC_PX_PER_MM, seed=0)
                image, mask, info = res.image, res.mask > 0, res.info
            row = {"psnr": psnr(expert, image), "ssim": ssim(expert, image),
                   "lpips": lp(expert, image) if lp else None,
                   "psnr_damage": masked_psnr(expert, image, inside), "psnr_clean": masked_psnr(expert, image, ~inside),
                   "seconds": secs, "components": info.get("components")}
            if mask is not None:
                row.update(detection_scores(*confusion(mask, truth)), flagged=float(mask.mean()))
            row["delta_psnr"] = row["psnr"] - rows["do-nothing"]["psnr"] if rows else 0.0
            rows[name] = row
            print(f"{name:<18}{row['psnr']:8.2f}{row['ssim']:8.4f}" + (f"{row['lpips']:8.4f}" if lp else "")
                  + f"{row['psnr_damage']:10.2f}{fmt(row['psnr_clean'], '12.2f'):>12}{row['delta_psnr']:+8.2f}"
                  + (f"{row['iou']:7.3f}{row['f1']:7.3f}{fmt(row['precision'], '7.3f'):>7}"
                     f"{fmt(row['recall'], '7.3f'):>7}"
                     f"{pct(row['flagged']):>10}" if mask is not None else f"{'':>38}") + f"{secs:7.1f}")
        for name, row in rows.items():
            if row.get("components"):
                c = row["components"]
                print(f"  {name}: review kept {c.get('kept')}, dropped {c.get('dropped')}")
        result[path.name] = rows
    return result


if __name__ == "__main__":
    main()
