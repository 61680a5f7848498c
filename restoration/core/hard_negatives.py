"""Hard negatives: picture content that a damage detector mistakes for dust, hair and scratches.

Each renderer draws one kind of content onto a photographic background (a crop of a corpus
photograph) and returns a new ``uint8`` RGB image of the same shape; the background is never
changed in place. Everything random comes from the ``rng`` passed in, so the same generator state
gives the same bytes.

* ``text``: printed words in the given TrueType faces, cap height 6-120 px (log-uniform, at most a
  third of the image), one to four lines, light on dark and dark on light panels (film-box labels,
  signs) or bare captions in the colour that contrasts with the picture under them, rotated a few
  degrees (now and then a quarter turn), a third of the blocks blurred over part of their width;
* ``lineart``: antialiased strokes 1-12 px wide, polylines, outlined and flat-filled polygons,
  ellipses and arcs, window-like frames and hatching;
* ``wires``: sagging power lines (1-5 parallel catenaries, 1-3 px, dark, or light when sunlit) and
  branching twigs tapering to 1 px, half of them against a sky that replaces the top of the picture;
* ``stars``: the picture darkened to night, star fields of 1-5 px points (power-law brightness,
  colour temperature), clusters of small warm point lights and soft bokeh discs;
* ``highlights``: specular glints (1-6 px, clipped, white or saturated in the object's colour, some
  with cross streaks and halos) placed on the bright and edged parts of the picture, water
  sparkle bands of small horizontally stretched glints and short bright rim arcs.

Rendered pixels get the background's own fine noise level so that they are not the only
noise-free parts of the picture.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["HARD_NEGATIVE_KINDS", "render_hard_negative"]

#: The kinds of hard negative, in the order the corpus writes them.
HARD_NEGATIVE_KINDS = ("text", "lineart", "wires", "stars", "highlights")

#: Words on film boxes, signs, shop fronts and captions (a few accents and digits included).
WORDS = ("KODAK", "Tri-X", "400TX", "Portra 160", "Ilford HP5", "FP4 PLUS", "Agfa", "Fujicolor", "EXP 1987",
         "Process C-41", "36 EXP", "ISO 125/22°", "Made in England", "EXIT", "OPEN", "CLOSED", "Hotel",
         "Café", "Bäckerei", "Apotheke", "Station", "Bahnhof", "Platz", "Rue de la Paix", "BUS STOP",
         "Gate 4", "No. 27", "1974", "12.08.1983", "Theatre", "Cinema", "Kino", "SALE", "PARKING", "Taxi",
         "Push +1", "Frame 36", "f/2.8", "1/125 s", "Lager", "Pharmacy", "Zone 3", "Marché", "Øst",
         "Niño", "Straße", "www.example.org", "Tel. 0171 234", "Ferry", "Museum", "Entrance", "Bar",
         "quiet please", "Welcome", "Summer 1968", "Grand Hotel", "Police", "Post Office", "Fish & Chips")

_LIGHT = np.array([(246, 246, 240), (240, 232, 205), (252, 214, 48), (222, 226, 230), (250, 250, 250),
                   (238, 200, 150)], np.float32)
_DARK = np.array([(14, 14, 16), (22, 32, 84), (124, 22, 24), (22, 62, 34), (60, 40, 25), (45, 45, 50)],
                 np.float32)
_VIVID = np.array([(252, 188, 20), (206, 30, 36), (24, 84, 170), (30, 130, 70), (240, 120, 20),
                   (150, 40, 140), (0, 150, 170)], np.float32)


def render_hard_negative(kind: str, background: np.ndarray, *, fonts: Sequence[str | Path] = (),
                         rng: np.random.Generator) -> np.ndarray:
    """Render one hard negative of ``kind`` on a copy of ``background``.

    Parameters
    ----------
    kind : str
        One of :data:`HARD_NEGATIVE_KINDS`.
    background : (H, W, 3) uint8 array
        An RGB photograph (a crop); at least 32 px a side.
    fonts : sequence of paths
        TrueType/OpenType faces for ``text`` (required there, unused by the other kinds).
    rng : numpy.random.Generator
        The only source of randomness.

    Returns
    -------
    (H, W, 3) uint8 array
    """
    if kind not in HARD_NEGATIVE_KINDS:
        raise ValueError(f"unknown hard negative kind {kind!r}; allowed: {', '.join(HARD_NEGATIVE_KINDS)}")
    bg = np.asarray(background)
    if bg.dtype != np.uint8 or bg.ndim != 3 or bg.shape[2] != 3:
        raise ValueError(f"background must be a uint8 RGB array (H, W, 3), got {bg.dtype} {bg.shape}")
    if min(bg.shape[:2]) < 32:
        raise ValueError(f"background must be at least 32 px a side, got {bg.shape[1]} x {bg.shape[0]}")
    if kind == "text" and not fonts:
        raise ValueError("text needs at least one font file")
    base = bg.astype(np.float32)
    out = {"text": lambda: _text(base, [str(f) for f in fonts], rng), "lineart": lambda: _lineart(base, rng),
           "wires": lambda: _wires(base, rng), "stars": lambda: _stars(base, rng),
           "highlights": lambda: _highlights(base, rng)}[kind]()
    return _finish(base, out, rng)


# ----------------------------------------------------------------------------- shared helpers


def _noise_sigma(img: np.ndarray) -> float:
    grey = img.mean(axis=2)
    fine = grey - cv2.blur(grey, (3, 3))
    return float(np.clip(1.4826 * np.median(np.abs(fine)) * 1.2, 0.5, 4.0))


def _finish(base: np.ndarray, out: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Give the changed pixels the background's noise level; round to uint8."""
    changed = np.abs(out - base).max(axis=2) > 0.5
    if changed.any():
        noise = rng.standard_normal(out.shape[:2]).astype(np.float32) * _noise_sigma(base)
        out = out + (noise * changed)[..., None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _over(dst: np.ndarray, colour, alpha: np.ndarray) -> None:
    """Alpha-composite ``colour`` (RGB or an image) over ``dst`` in place."""
    a = np.clip(alpha, 0, 1)[..., None]
    dst *= 1 - a
    dst += a * np.asarray(colour, np.float32)


def _jitter(colour: np.ndarray, rng: np.random.Generator, amount: float = 12) -> np.ndarray:
    return np.clip(colour + rng.normal(0, amount, 3), 0, 255).astype(np.float32)


def _luma(img: np.ndarray) -> np.ndarray:
    return img @ np.array([0.299, 0.587, 0.114], np.float32)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(max(hi, lo * 1.0001)))))


def _stroke_mask(shape, draw) -> np.ndarray:
    """A float mask in [0, 1] drawn by ``draw(mask)`` with cv2 (coordinates shifted by 4 bits)."""
    mask = np.zeros(shape, np.uint8)
    draw(mask)
    return mask.astype(np.float32) / 255


def _pts(points: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(points, np.float64) * 16).astype(np.int32).reshape(-1, 1, 2)


def _add_spot(layer: np.ndarray, y: float, x: float, sy: float, sx: float, colour, *, angle: float = 0.0) -> None:
    """Add a Gaussian spot (peak ``colour``) centred at sub-pixel ``(y, x)``."""
    h, w = layer.shape[:2]
    r = int(math.ceil(3.5 * max(sy, sx))) + 1
    y0, y1, x0, x1 = max(0, int(y) - r), min(h, int(y) + r + 1), max(0, int(x) - r), min(w, int(x) + r + 1)
    if y0 >= y1 or x0 >= x1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dy, dx = yy - y, xx - x
    if angle:
        c, s = math.cos(angle), math.sin(angle)
        dx, dy = c * dx + s * dy, -s * dx + c * dy
    g = np.exp(-0.5 * ((dy / sy) ** 2 + (dx / sx) ** 2))
    layer[y0:y1, x0:x1] += g[..., None] * np.asarray(colour, np.float32)


def _sample_positions(weight: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` (y, x) positions drawn with probability proportional to ``weight`` (any shape, small)."""
    h, w = weight.shape
    p = weight.ravel().astype(np.float64) + 1e-9
    idx = rng.choice(p.size, size=n, p=p / p.sum())
    return np.stack([(idx // w) + rng.uniform(0, 1, n), (idx % w) + rng.uniform(0, 1, n)], axis=1)


# ----------------------------------------------------------------------------- text


@lru_cache(maxsize=64)
def _cap_ratio(font_path: str) -> float:
    """Cap height of 'H' per font size unit."""
    left, top, right, bottom = ImageFont.truetype(font_path, 200).getbbox("H")
    return max(bottom - top, 1) / 200


def _text_lines(rng: np.random.Generator) -> list[str]:
    lines = []
    for _ in range(int(rng.choice([1, 1, 2, 2, 3, 4]))):
        words = [WORDS[i] for i in rng.integers(len(WORDS), size=int(rng.integers(1, 4)))]
        line = " ".join(words)
        lines.append(line.upper() if rng.random() < 0.3 else line)
    return lines


def _text(base: np.ndarray, fonts: list[str], rng: np.random.Generator) -> np.ndarray:
    out = base.copy()
    h, w = out.shape[:2]
    for _ in range(int(rng.integers(1, 5))):
        font_path = fonts[int(rng.integers(len(fonts)))]
        cap = _log_uniform(rng, 6, max(6.5, min(120, h / 3, w / 4)))
        font = ImageFont.truetype(font_path, max(4, round(cap / _cap_ratio(font_path))))
        lines = _text_lines(rng)
        style = rng.choice(["dark_panel", "light_panel", "vivid_panel", "bare"], p=[0.3, 0.3, 0.15, 0.25])
        pad = round(cap * rng.uniform(0.3, 0.9))
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        spacing = round(cap * rng.uniform(0.3, 0.7))
        left, top, right, bottom = probe.multiline_textbbox((0, 0), "\n".join(lines), font=font, spacing=spacing)
        size = (right - left + 2 * pad, bottom - top + 2 * pad)
        if size[0] > 3 * w or size[1] > 3 * h:
            continue
        text_mask, box_mask = Image.new("L", size), Image.new("L", size)
        ImageDraw.Draw(text_mask).multiline_text((pad - left, pad - top), "\n".join(lines), font=font, fill=255,
                                                 spacing=spacing, align=str(rng.choice(["left", "center"])))
        if style != "bare":
            radius = int(pad * rng.uniform(0, 0.8))
            ImageDraw.Draw(box_mask).rounded_rectangle((0, 0, size[0] - 1, size[1] - 1), radius=radius, fill=255)
        angle = float(np.clip(rng.normal(0, 4), -15, 15)) if rng.random() > 0.06 else float(rng.choice([90, -90]))
        text_mask = text_mask.rotate(angle, resample=Image.BICUBIC, expand=True)
        box_mask = box_mask.rotate(angle, resample=Image.BICUBIC, expand=True)
        tm = np.asarray(text_mask, np.float32) / 255
        bm = np.asarray(box_mask, np.float32) / 255
        if rng.random() < 0.33:  # blurred over part of the block (out of focus, motion)
            sigma = rng.uniform(0.6, 3.0)
            ramp = np.clip(np.linspace(rng.uniform(-1, 0.5), rng.uniform(0.5, 2), tm.shape[1]), 0, 1)[None, :]
            if rng.random() < 0.5:
                ramp = ramp[:, ::-1]
            tm = tm * (1 - ramp) + cv2.GaussianBlur(tm, (0, 0), sigma) * ramp
            bm = bm * (1 - ramp) + cv2.GaussianBlur(bm, (0, 0), sigma) * ramp
        y = int(rng.integers(-tm.shape[0] // 4, max(1, h - 3 * tm.shape[0] // 4)))
        x = int(rng.integers(-tm.shape[1] // 4, max(1, w - 3 * tm.shape[1] // 4)))
        ys, xs = slice(max(y, 0), min(y + tm.shape[0], h)), slice(max(x, 0), min(x + tm.shape[1], w))
        if ys.start >= ys.stop or xs.start >= xs.stop:
            continue
        crop = (slice(ys.start - y, ys.stop - y), slice(xs.start - x, xs.stop - x))
        region = out[ys, xs]
        if style == "dark_panel":
            box, ink = _jitter(_DARK[rng.integers(len(_DARK))], rng), _jitter(_LIGHT[rng.integers(len(_LIGHT))], rng)
        elif style == "light_panel":
            box, ink = _jitter(_LIGHT[rng.integers(len(_LIGHT))], rng), _jitter(_DARK[rng.integers(len(_DARK))], rng)
        elif style == "vivid_panel":
            box = _jitter(_VIVID[rng.integers(len(_VIVID))], rng)
            ink = _jitter(_DARK[0] if _luma(box) > 140 else _LIGHT[0], rng, 6)
        else:
            box = None
            under = float(_luma(region.reshape(-1, 3).mean(axis=0)))
            ink = _jitter((_DARK if under > 120 else _LIGHT)[rng.integers(len(_DARK))], rng)
        if box is not None:
            _over(region, box, bm[crop] * rng.uniform(0.85, 1.0))
        _over(region, ink, tm[crop] * rng.uniform(0.8, 1.0))
    return out


# ----------------------------------------------------------------------------- line art


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    pick = rng.random()
    palette = _DARK if pick < 0.35 else _LIGHT if pick < 0.65 else _VIVID
    return _jitter(palette[rng.integers(len(palette))], rng, 20)


def _lineart(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = base.copy()
    h, w = out.shape[:2]
    s = max(h, w)
    for _ in range(int(rng.integers(3, 14))):
        shape = rng.choice(["polyline", "outline", "filled", "frame", "ellipse", "hatching"],
                           p=[0.25, 0.2, 0.15, 0.15, 0.15, 0.1])
        thick = int(round(_log_uniform(rng, 1, 12))) if rng.random() < 0.5 else int(rng.integers(1, 3))
        centre = rng.uniform([0, 0], [w, h])
        size = _log_uniform(rng, 0.05 * s, 0.7 * s)
        if shape in ("polyline", "outline", "filled"):
            n = int(rng.integers(2 if shape == "polyline" else 3, 9))
            if shape == "polyline":
                steps = rng.normal(0, size / 3, (n, 2))
                pts = centre + np.cumsum(steps, axis=0) - steps[0]
            else:
                ang = np.sort(rng.uniform(0, 2 * np.pi, n))
                rad = size / 2 * rng.uniform(0.4, 1.0, n)
                pts = centre + np.stack([np.cos(ang) * rad, np.sin(ang) * rad], axis=1)
            p = _pts(pts)
            if shape == "filled":
                mask = _stroke_mask((h, w), lambda m: cv2.fillPoly(m, [p], 255, cv2.LINE_AA, 4))
            else:
                mask = _stroke_mask((h, w), lambda m: cv2.polylines(m, [p], shape == "outline", 255, thick,
                                                                     cv2.LINE_AA, 4))
        elif shape == "frame":
            ww, hh = size * rng.uniform(0.4, 1), size * rng.uniform(0.4, 1)
            cols, rows = int(rng.integers(1, 4)), int(rng.integers(1, 4))

            def draw(m, ww=ww, hh=hh, cols=cols, rows=rows):
                x0, y0 = centre - (ww / 2, hh / 2)
                for i in range(cols + 1):
                    xi = x0 + ww * i / cols
                    cv2.line(m, tuple(_pts([xi, y0])[0, 0]), tuple(_pts([xi, y0 + hh])[0, 0]), 255, thick,
                             cv2.LINE_AA, 4)
                for j in range(rows + 1):
                    yj = y0 + hh * j / rows
                    cv2.line(m, tuple(_pts([x0, yj])[0, 0]), tuple(_pts([x0 + ww, yj])[0, 0]), 255, thick,
                             cv2.LINE_AA, 4)
            mask = _stroke_mask((h, w), draw)
        elif shape == "ellipse":
            axes = (int(size / 2 * 16), int(size / 2 * rng.uniform(0.3, 1) * 16))
            start = float(rng.uniform(0, 360))
            span = 360.0 if rng.random() < 0.5 else float(rng.uniform(30, 300))
            c = tuple(_pts(centre)[0, 0])
            mask = _stroke_mask((h, w), lambda m: cv2.ellipse(m, c, axes, float(rng.uniform(0, 180)), start,
                                                              start + span, 255, thick, cv2.LINE_AA, 4))
        else:  # hatching: parallel strokes in a band
            ang = rng.uniform(0, np.pi)
            d = np.array([np.cos(ang), np.sin(ang)])
            normal = np.array([-d[1], d[0]])
            gap = rng.uniform(3, 20)
            n = int(rng.integers(4, 30))

            def draw(m, d=d, normal=normal, gap=gap, n=n):
                for i in range(n):
                    o = centre + normal * (i - n / 2) * gap
                    cv2.line(m, tuple(_pts(o - d * size / 2)[0, 0]), tuple(_pts(o + d * size / 2)[0, 0]), 255,
                             max(1, thick // 3), cv2.LINE_AA, 4)
            mask = _stroke_mask((h, w), draw)
        if rng.random() < 0.3:
            mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(0.4, 1.2))
        _over(out, _random_colour(rng), mask * rng.uniform(0.6, 1.0))
    return out


# ----------------------------------------------------------------------------- wires and branches


_SKIES = np.array([[(150, 190, 235), (215, 230, 245)], [(205, 210, 215), (235, 236, 238)],
                   [(90, 120, 190), (250, 180, 120)], [(60, 110, 200), (170, 205, 240)],
                   [(180, 185, 190), (120, 125, 135)]], np.float32)


def _sky(out: np.ndarray, rng: np.random.Generator) -> None:
    """Replace the top of the picture by a sky gradient above a soft, uneven horizon."""
    h, w = out.shape[:2]
    top, bottom = (_jitter(c, rng, 10) for c in _SKIES[rng.integers(len(_SKIES))])
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    sky = top * (1 - t) + bottom * t
    sky = np.broadcast_to(sky, out.shape).copy()
    clouds = cv2.resize(rng.standard_normal((max(2, h // 64), max(2, w // 64))).astype(np.float32), (w, h),
                        interpolation=cv2.INTER_CUBIC)
    sky += clouds[..., None] * rng.uniform(0, 8)
    horizon = h * rng.uniform(0.55, 1.05) + np.cumsum(rng.normal(0, 1.5, w)) + rng.normal(0, h * 0.02, w)
    yy = np.arange(h, dtype=np.float32)[:, None]
    alpha = np.clip((horizon[None, :] - yy) / max(2.0, h * 0.02), 0, 1)
    _over(out, sky, alpha)


def _catenary(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    x = np.linspace(-0.1 * w, 1.1 * w, 200)
    y0, y1 = rng.uniform(-0.1 * h, 0.7 * h, 2)
    sag = rng.uniform(0.01, 0.25) * h
    t = (x - x[0]) / (x[-1] - x[0])
    return np.stack([x, y0 * (1 - t) + y1 * t + 4 * sag * t * (1 - t)], axis=1)


def _branch(m: np.ndarray, p: np.ndarray, angle: float, length: float, thick: float, depth: int,
            rng: np.random.Generator) -> None:
    if depth == 0 or length < 3:
        return
    bend = np.cumsum(rng.normal(0, 0.12, 6))
    pts = [p]
    for b in bend:
        a = angle + b
        pts.append(pts[-1] + length / 6 * np.array([math.cos(a), math.sin(a)]))
    cv2.polylines(m, [_pts(np.array(pts))], False, 255, max(1, int(round(thick))), cv2.LINE_AA, 4)
    for _ in range(int(rng.integers(1, 4))):
        k = int(rng.integers(2, 7))
        _branch(m, pts[k], angle + rng.normal(0, 0.6), length * rng.uniform(0.45, 0.75), thick * 0.65, depth - 1,
                rng)


def _wires(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = base.copy()
    h, w = out.shape[:2]
    if rng.random() < 0.5:
        _sky(out, rng)
    for _ in range(int(rng.integers(1, 4))):
        if rng.random() < 0.6:  # a bundle of parallel power lines
            line = _catenary(rng, h, w)
            n, gap = int(rng.integers(1, 6)), rng.uniform(3, 25)
            thick = int(rng.choice([1, 1, 2, 2, 3]))
            mask = _stroke_mask((h, w), lambda m: [cv2.polylines(m, [_pts(line + (0, i * gap))], False, 255, thick,
                                                                 cv2.LINE_AA, 4) for i in range(n)])
            fade = rng.uniform(0.5, 1.0) if thick == 1 else 1.0
        else:  # a twig growing in from an edge
            side = int(rng.integers(4))
            start = [np.array([rng.uniform(0, w), h + 2]), np.array([-2, rng.uniform(0, h)]),
                     np.array([w + 2, rng.uniform(0, h)]), np.array([rng.uniform(0, w), -2])][side]
            angle = [-np.pi / 2, 0, np.pi, np.pi / 2][side] + rng.normal(0, 0.4)
            length = rng.uniform(0.25, 0.6) * max(h, w)
            thick0 = rng.uniform(2, 7)
            mask = _stroke_mask((h, w), lambda m: _branch(m, start, angle, length, thick0, int(rng.integers(4, 8)),
                                                          rng))
            fade = 1.0
        if rng.random() < 0.4:
            mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(0.4, 1.0))
        light = rng.random() < 0.25
        colour = _jitter(np.float32([225, 225, 215]) if light else np.float32([38, 36, 34]), rng, 15)
        _over(out, colour, mask * fade * rng.uniform(0.75, 1.0))
    return out


# ----------------------------------------------------------------------------- stars and point lights


def _temperature(rng: np.random.Generator) -> np.ndarray:
    t = rng.uniform(-1, 1)
    return np.float32([1 + 0.25 * max(t, 0), 1 - 0.05 * abs(t), 1 + 0.3 * max(-t, 0)])


def _stars(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = base.shape[:2]
    dark = rng.uniform(0.04, 0.3)
    tint = np.float32([0.8, 0.9, 1.15]) if rng.random() < 0.7 else np.float32([1, 1, 1])
    out = base * dark * tint
    layer = np.zeros_like(out)
    n = int(h * w * _log_uniform(rng, 1e-4, 3e-3))
    if rng.random() < 0.25:  # a milky-way band: faint glow and a denser field
        ang, off = rng.uniform(0, np.pi), rng.uniform(0.2, 0.8)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        dist = (yy - off * h) * math.cos(ang) - (xx - 0.5 * w) * math.sin(ang)
        width = rng.uniform(0.05, 0.2) * max(h, w)
        band = np.exp(-0.5 * (dist / width) ** 2)
        layer += band[..., None] * np.float32([18, 18, 22]) * rng.uniform(0.5, 1.5)
        pos = _sample_positions(cv2.resize(band, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_AREA),
                                n, rng) * 8
    else:
        pos = rng.uniform(0, 1, (n, 2)) * (h, w)
    bright = np.minimum(30 * (1 - rng.random(n)) ** -1.2, 900)  # power law: few bright, many faint
    for (y, x), b in zip(pos, bright):
        sigma = 0.35 + 0.25 * math.log1p(b / 30)
        _add_spot(layer, y, x, sigma, sigma, b * _temperature(rng))
    if rng.random() < 0.5:  # town lights: small warm points in clusters low in the picture
        for _ in range(int(rng.integers(1, 5))):
            cy, cx = rng.uniform(0.55, 1.0) * h, rng.uniform(0, w)
            for _ in range(int(rng.integers(5, 60))):
                y, x = cy + rng.normal(0, 0.04 * h), cx + rng.normal(0, 0.1 * w)
                s = rng.uniform(0.5, 1.6)
                colour = np.float32([255, rng.uniform(150, 230), rng.uniform(60, 160)]) * rng.uniform(0.6, 1.8)
                _add_spot(layer, y, x, s, s, colour)
                if rng.random() < 0.3:
                    _add_spot(layer, y, x, 4 * s, 4 * s, colour * 0.08)
    if rng.random() < 0.4:  # out-of-focus lights: soft discs
        for _ in range(int(rng.integers(3, 25))):
            r = _log_uniform(rng, 4, 0.06 * max(h, w))
            c = tuple(_pts(rng.uniform([0, 0], [w, h]))[0, 0])
            disc = _stroke_mask((h, w), lambda m: cv2.circle(m, c, int(r * 16), 255, -1, cv2.LINE_AA, 4))
            disc = cv2.GaussianBlur(disc, (0, 0), max(0.8, r * 0.12))
            layer += disc[..., None] * _jitter(_VIVID[rng.integers(len(_VIVID))], rng, 30) * rng.uniform(0.15, 0.6)
    return out + layer


# ----------------------------------------------------------------------------- specular highlights


def _highlights(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = base.copy()
    h, w = out.shape[:2]
    layer = np.zeros_like(out)
    small = cv2.resize(out, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_AREA)
    lum = _luma(small) / 255
    edges = np.abs(cv2.Laplacian(lum, cv2.CV_32F))
    weight = lum ** 3 + 2 * edges + 0.02
    n = int(rng.integers(5, 60))
    for y, x in _sample_positions(weight, n, rng) * 8:
        local = out[min(int(y), h - 1), min(int(x), w - 1)]
        if rng.random() < 0.5:
            colour = np.float32([255, 255, 250])
        else:  # a saturated glint in the object's own colour
            colour = 255 * (local + 5) / (local.max() + 5)
        s = _log_uniform(rng, 0.4, 2.5)
        peak = rng.uniform(120, 420)
        _add_spot(layer, y, x, s, s * rng.uniform(1, 1.8), colour * peak / 255, angle=rng.uniform(0, np.pi))
        if rng.random() < 0.3:  # halo
            _add_spot(layer, y, x, 5 * s, 5 * s, colour * rng.uniform(0.05, 0.15))
        if rng.random() < 0.2:  # cross streaks
            length = rng.uniform(5, 40)
            a0 = rng.uniform(0, np.pi)
            for k in range(int(rng.choice([2, 3]))):
                _add_spot(layer, y, x, 0.5, length / 3, colour * rng.uniform(0.2, 0.5), angle=a0 + k * np.pi / 3)
    if rng.random() < 0.5:  # water sparkle: many small stretched glints in a band
        cy, band = rng.uniform(0.3, 1.0) * h, rng.uniform(0.05, 0.25) * h
        for _ in range(int(rng.integers(50, 400))):
            y, x = cy + rng.normal(0, band / 2), rng.uniform(0, w)
            _add_spot(layer, y, x, rng.uniform(0.35, 0.9), rng.uniform(0.8, 2.5),
                      np.float32([255, 250, 235]) * rng.uniform(0.3, 1.5))
    if rng.random() < 0.3:  # rim highlights: short bright arcs
        for _ in range(int(rng.integers(1, 6))):
            c = tuple(_pts(rng.uniform([0, 0], [w, h]))[0, 0])
            r = _log_uniform(rng, 5, 0.2 * max(h, w))
            start = float(rng.uniform(0, 360))
            arc = _stroke_mask((h, w), lambda m: cv2.ellipse(m, c, (int(r * 16), int(r * 16 * rng.uniform(0.3, 1))),
                                                             float(rng.uniform(0, 180)), start,
                                                             start + float(rng.uniform(15, 70)), 255,
                                                             int(rng.choice([1, 1, 2])), cv2.LINE_AA, 4))
            layer += cv2.GaussianBlur(arc, (0, 0), 0.6)[..., None] * np.float32([255, 252, 245]) * rng.uniform(0.5, 1.2)
    return out + layer

