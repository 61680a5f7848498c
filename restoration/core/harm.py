"""Do no harm: after inpainting, keep only the repairs of components that look like film damage.

A damage detector flags printed text, sharp edges, highlights and stars as well as
dust; inpainting those lowers image quality. :func:`review_components` judges each
connected component of the inpainting mask by what the repair changed
(``change = original - restored``, luma, in units of the grain around it) against
what damage on film is:

* a foreign object *covers* the picture: on negative film (shown as a positive) it is
  lighter than the picture, on positive film (slides) darker, so the change has one
  sign (``"wrong polarity"`` when it has the other one; ``"edge"`` when a strong
  share of it has each sign: the repair of an edge or of a text stroke with halos);
* it stands out of the grain (``"too faint"``) by more than a grain clump does
  (``"too small"``), and has a size that annotated artefacts have (``"too large"``);
* it blends the picture toward white (negative) or black (positive), so the change
  points from the repair toward that colour in RGB: little hue of its own
  (``"coloured"``: text of a coloured label, coloured highlights);
* it hides the grain under it: the inside of an artefact is flatter than the grain
  around it by as much as its opacity says (``"grain inside"``: picture content keeps
  its grain, a semi-transparent hair keeps only what shows through it).

Components that fail a rule are dropped: :func:`apply_review` puts the original's
pixels back there, bit-identical, and the repair's pixels where components were kept.
A component failing only because part of it changed with the wrong sign (a hair across
an edge or a label) is cut there and its pieces are judged on their own. The grain rule
needs the picture's colour grain, and is skipped on grey scans and on frames that were
JPEGs (found by their 8 px block grid).

Everything is measured on bounding-box crops of each component (with a margin), so
the cost follows the mask, not the frame.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

__all__ = ["DEFAULT_SENSITIVITY", "POLARITIES", "ComponentReport", "apply_review", "review_components"]

POLARITIES = ("negative", "positive")

#: The default of ``sensitivity`` (0: strictest, 1: keeps the most), chosen on synthetic data only,
#: never on an authentic frame. The study: 640 x 640 px pictures (generated scenes and crops of
#: scikit-image photographs, film grain 1.5-4.5% of full range) carrying damage drawn by the damage
#: model fitted on the public annotations and rendered from the public artefact images
#: (``fit_damage_model``, ``ArtefactBank``, ``render_overlay``; damage pixels: alpha >= 0.15), text
#: on labels in both contrasts (neutral and coloured inks and labels), shape edges, coloured
#: highlights, stars on a dark patch and the brightest fine picture detail; a detector flagging all
#: of it (dilated by 2 px at 60 px/mm); ``inpaint(method="grain")``; both polarities, 35 / 70 /
#: 141.26 px/mm, with and without JPEG quality 75; four pictures per condition. Share of damage
#: pixels kept (worst of the twelve conditions / mean), of damage touching no picture content kept
#: (worst), and of picture objects dropped (mean):
#: 0.25: 0.83 / 0.89, 0.87, 0.70; 0.5: 0.86 / 0.91, 0.90, 0.65; 0.6: 0.88 / 0.92, 0.92, 0.63;
#: 0.75: 0.89 / 0.95, 0.95, 0.59; 1.0: 0.90 / 0.96, 0.98, 0.55.
#: The damage lost is mostly damage merged with picture content into one component (a hair
#: across a label). 0.6 is the strictest value tried at which damage touching no picture content
#: keeps 90% of its pixels in every condition with a margin; more sensitivity keeps more damage
#: but also more picture, and keeping picture is harm while dropping damage leaves the input as is.
DEFAULT_SENSITIVITY = 0.6

# --------------------------------------------------------------------------- sizes (public data)
#: Smallest area of the part of a component that stands out of the grain (square microns): a
#: quarter of the smallest annotated artefact of the public data (a dust speck of 826 um^2 on
#: scan_06, computable from ``annotations/*.json`` with the 35 x 24 mm frame). Below it (about
#: 14 um across, the size of a clump of colour-film grain) a bright spot cannot be told from grain.
#: At 4944 px / 35 mm (141 px/mm) it is 4 px; below about 70 px/mm a single pixel is larger.
MIN_AREA_UM2 = 826.0 / 4.0
#: The largest annotated artefact of each class in the public data (square microns, over the
#: 12,135 usable polygons of the ten scans: dust on scan_05, dirt scan_08, short hair scan_10,
#: long hair scan_02, scratch scan_03; Table 1 of the paper gives the means: dust 3,344, dirt
#: 8,194, short hair 16,365, long hair 53,501, scratch 229,660).
LARGEST_ANNOTATED_UM2 = {"dust": 19_862.0, "dirt": 289_776.0, "short hair": 89_079.0,
                         "long hair": 310_062.0, "scratch": 2_886_498.0}
#: Upper area of a component that is not thin: twice the largest annotated non-scratch artefact
#: (long hair), leaving room for the detector's mask dilation (2 px at 60 px/mm on each side).
MAX_AREA_UM2 = 2.0 * LARGEST_ANNOTATED_UM2["long hair"]
#: Upper area of a thin component (scratches, hairs): twice the largest annotated scratch.
MAX_THIN_AREA_UM2 = 2.0 * LARGEST_ANNOTATED_UM2["scratch"]
#: A component is thin when its thickest point (twice the largest inscribed radius) is at most
#: this wide: the widest annotated scratch's minimum-area rectangle is 352 um wide, plus the
#: detector's dilation (33 um) on both sides, rounded up.
THIN_WIDTH_UM = 420.0

# --------------------------------------------------------------------------- measurement
#: The ring where the grain is measured: from ``RING_IN`` to ``RING_OUT`` px outside the component.
RING_IN, RING_OUT = 2, 7
#: Gaussian sigma (px) of the low-pass whose residual is the grain's high-pass.
HIGHPASS_SIGMA = 2.0
#: Floor of the grain sigma (share of full range): about one 8-bit level, so that a grainless
#: (JPEG-smoothed or synthetic) picture does not make every change look strong.
SIGMA_FLOOR = 1.0 / 255.0
#: A pixel whose change is at least this many grain sigmas (either sign) counts as changed.
BODY_SIGMAS = 3.0
#: The inside grain is compared on the changed pixels eroded by CORE_ERODE px (away from the
#: artefact's own edges), and only where at least MIN_CORE_PX of them are left.
CORE_ERODE, MIN_CORE_PX = 2, 12
#: Fewest ring pixels for a local grain estimate; below it, the frame's grain sigma is used.
MIN_RING_PX = 24

# --------------------------------------------------------------------------- what sensitivity moves
#: Each rule's threshold at sensitivity 0 (strict) and 1 (lenient); linear in between.
#: ``contrast``: smallest mean change of the changed pixels, in grain sigmas (pure grain gives
#: about 3.5 there); ``edge``: largest share of the change's energy of the wrong sign;
#: ``colour``: largest share of the change's energy off the blend-toward-white/black direction;
#: ``grain``: how much more grain the inside may keep than its opacity lets through.
RULES = {"contrast": (7.0, 3.5), "edge": (0.12, 0.4), "colour": (0.15, 0.35), "grain": (0.3, 0.8)}
#: Components whose peak detector probability is below ``PROB_CONFIDENT`` need more contrast:
#: the contrast threshold is multiplied by ``1 + PROB_WEIGHT * (PROB_CONFIDENT - peak)``.
PROB_CONFIDENT, PROB_WEIGHT = 0.9, 1.5
#: Grain clump area (px) by which ``evidence`` counts independent pixels: ``evidence`` is the
#: mean change over the whole component times sqrt(area / GRAIN_CLUMP_PX), a z-score for a
#: faint but extended artefact (a speckled dust cloud, a semi-transparent hair).
GRAIN_CLUMP_PX = 4.0
#: A component stands out of the grain when its changed pixels' mean change reaches the
#: contrast threshold, or its evidence reaches EVIDENCE_FACTOR times it.
EVIDENCE_FACTOR = 1.0
#: "grain inside" is judged only where the picture around has colour grain: fine detail across
#: the blend direction at least this share of the luma grain sigma (JPEG's halved chroma and
#: black-and-white film have none, and the rule is skipped there).
MIN_COLOUR_GRAIN = 0.42
#: A frame whose luma steps across the 8 px grid are this much larger than elsewhere was a JPEG:
#: its halved, blocky chroma bleeds colour into bright specks, and "grain inside" is not judged.
JPEG_BLOCKINESS = 1.1
#: Pieces judged at most when a component is split (the largest; the rest stay dropped).
MAX_PIECES = 256
#: Default limit on the number of components reviewed; the smallest beyond it are dropped.
MAX_COMPONENTS = 50_000


@dataclass(frozen=True)
class ComponentReport:
    """The review of a mask: what was kept, what was dropped and why, per component.

    ``kept_mask`` is the union of the kept components (bool, H x W); ``dropped`` counts
    dropped components by reason; ``components`` has one dict per component (label id,
    bbox ``[x, y, w, h]``, ``area_px``, ``area_um2``, ``mean_change_sigma`` (mean signed
    change over the component in local grain sigmas, positive = the damage's sign),
    ``contrast`` (mean over its changed pixels, those of at least :data:`BODY_SIGMAS`),
    ``neg_contrast``, ``evidence``, ``changed_px``, ``grain_sigma`` (in the image's levels),
    ``wrong_sign_share``, ``colour_share``, ``grain_ratio``, ``opacity``, ``colour_grain``,
    ``peak_probability`` when a probability map was given, ``decision`` and ``reason``).
    ``decision`` is ``"kept"``, ``"dropped"`` or ``"split"``: a split component's pieces
    follow it as records with ``"piece"``; ``kept`` and ``dropped`` count the final
    decisions (pieces, and the wrong-signed part of a split component under its reason).
    ``mask_px`` is the reviewed mask's pixel count.
    """

    kept_mask: np.ndarray
    kept: int
    dropped: dict[str, int]
    components: list[dict[str, Any]] = field(default_factory=list)
    mask_px: int = 0

    def summary(self) -> dict[str, Any]:
        """JSON-ready counts; the shares are of the reviewed mask's pixels."""
        kept_px = int(self.kept_mask.sum())
        total = max(self.mask_px, 1)
        return {"kept": int(self.kept), "dropped": {k: int(v) for k, v in sorted(self.dropped.items())},
                "kept_share": round(kept_px / total, 6) if self.mask_px else 0.0,
                "dropped_share": round((self.mask_px - kept_px) / total, 6) if self.mask_px else 0.0}


def _colour_planes(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image[..., None]
    return image[..., :3] if image.shape[2] == 4 else image


def _validate(original: np.ndarray, restored: np.ndarray, mask: np.ndarray, polarity: str, px_per_mm: float,
              sensitivity: float, probability: np.ndarray | None, max_components: int) -> None:
    for name, a in (("original", original), ("restored", restored)):
        if not isinstance(a, np.ndarray) or a.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"{name} must be a uint8 or uint16 array, got {getattr(a, 'dtype', type(a).__name__)}")
        if not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] in (1, 3, 4))) or a.size == 0:
            raise ValueError(f"{name} must be a non-empty (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array, "
                             f"got shape {a.shape}")
    if restored.shape != original.shape or restored.dtype != original.dtype:
        raise ValueError(f"restored must have the original's shape and dtype {original.shape} {original.dtype}, "
                         f"got {restored.shape} {restored.dtype}")
    if not isinstance(mask, np.ndarray) or mask.dtype != bool or mask.shape != original.shape[:2]:
        raise ValueError(f"mask must be a bool array of shape {original.shape[:2]} (the image's H, W), got "
                         f"{getattr(mask, 'dtype', type(mask).__name__)} of shape {getattr(mask, 'shape', None)}")
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    if isinstance(px_per_mm, bool) or not isinstance(px_per_mm, numbers.Real) or not (
            math.isfinite(px_per_mm) and px_per_mm > 0):
        raise ValueError(f"px_per_mm must be a positive finite number (a 35 mm frame W px wide: W / 35), "
                         f"got {px_per_mm!r}")
    if isinstance(sensitivity, bool) or not isinstance(sensitivity, numbers.Real) or not 0 <= sensitivity <= 1:
        raise ValueError(f"sensitivity must be a number in [0, 1] (0 strictest, 1 keeps most), got {sensitivity!r}")
    if probability is not None and (not isinstance(probability, np.ndarray) or probability.shape != mask.shape
                                    or probability.dtype.kind != "f"):
        raise ValueError(f"probability must be a float array of shape {mask.shape} or None, got "
                         f"{getattr(probability, 'dtype', type(probability).__name__)} of shape "
                         f"{getattr(probability, 'shape', None)}")
    if isinstance(max_components, bool) or not isinstance(max_components, numbers.Integral) or max_components < 1:
        raise ValueError(f"max_components must be a positive whole number, got {max_components!r}")


def _mad_sigma(values: np.ndarray) -> float:
    if values.size == 0:
        return 0.0
    med = np.median(values)
    return float(1.4826 * np.median(np.abs(values - med)))


def _highpass(luma: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``luma`` minus its low-pass over ``valid`` pixels only (normalised convolution)."""
    v = valid.astype(np.float32)
    num = cv2.GaussianBlur(luma * v, (0, 0), HIGHPASS_SIGMA, borderType=cv2.BORDER_REFLECT)
    den = cv2.GaussianBlur(v, (0, 0), HIGHPASS_SIGMA, borderType=cv2.BORDER_REFLECT)
    return luma - num / np.maximum(den, 1e-3)


def _frame_stats(planes: np.ndarray, mask: np.ndarray, top: float) -> tuple[float, float]:
    """The frame's grain sigma and JPEG blockiness, from up to 64 blocks of 64 x 64 px on the 8 px grid.

    The sigma is the median of the blocks' high-pass MAD over unmasked pixels; the blockiness
    is the mean luma step across the 8 px grid over the mean step anywhere (1 for a scan that
    never was a JPEG; 1.2 and more after JPEG quality 75).
    """
    h, w = mask.shape
    side = 64
    ys = np.unique((np.linspace(0, max(h - side, 0), 8) // 8 * 8).astype(int))
    xs = np.unique((np.linspace(0, max(w - side, 0), 8) // 8 * 8).astype(int))
    sigmas, grid, steps = [], 0.0, 0.0
    for y in ys:
        for x in xs:
            luma = planes[y:y + side, x:x + side].astype(np.float32).mean(axis=2) / np.float32(top)
            dx, dy = np.abs(np.diff(luma, axis=1)), np.abs(np.diff(luma, axis=0))
            if dx.shape[1] > 7 and dy.shape[0] > 7:
                grid += float(dx[:, 7::8].mean()) + float(dy[7::8].mean())
                steps += float(dx.mean()) + float(dy.mean())
            valid = ~mask[y:y + side, x:x + side]
            if valid.sum() >= MIN_RING_PX:
                sigmas.append(_mad_sigma(_highpass(luma, valid)[valid]))
    sigma = max(float(np.median(sigmas)) if sigmas else SIGMA_FLOOR, SIGMA_FLOOR)
    return sigma, grid / steps if steps > 0 and min(h, w) > 8 else 1.0


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


_RING_OUT_K, _RING_IN_K, _CORE_K = _disk(RING_OUT), _disk(RING_IN), _disk(CORE_ERODE)


def _thickness_px(comp: np.ndarray) -> float:
    dist = cv2.distanceTransform(np.pad(comp, 1).astype(np.uint8), cv2.DIST_L2, 3)
    return 2.0 * float(dist.max())


def _thresholds(sensitivity: float) -> dict[str, float]:
    return {k: lo + (hi - lo) * sensitivity for k, (lo, hi) in RULES.items()}


def _off_blend_grain(o: np.ndarray, toward: np.ndarray) -> np.ndarray:
    """Per pixel, the size of the fine detail of ``o`` (H x W x 3) across the blend direction ``toward``.

    Damage blends the picture toward white or black (``toward`` = target - picture): its own
    shape and texture lie along that direction, so what is left across it is film grain (the
    dye clouds of the colour layers), which an opaque artefact covers.
    """
    hp = o - cv2.GaussianBlur(o, (0, 0), 1.0, borderType=cv2.BORDER_REFLECT)
    toward = cv2.GaussianBlur(toward, (0, 0), HIGHPASS_SIGMA, borderType=cv2.BORDER_REFLECT)
    u = toward / np.maximum(np.linalg.norm(toward, axis=2, keepdims=True), 1e-4)
    across = hp - np.sum(hp * u, axis=2, keepdims=True) * u
    return np.linalg.norm(across, axis=2)


def _measure(o: np.ndarray, r: np.ndarray, comp: np.ndarray, others: np.ndarray, sign: float,
             frame_sigma: float, grain_rule: bool = True) -> tuple[dict[str, float], np.ndarray]:
    """Features of one component from its crops (float planes in [0, 1], H x W x C).

    Returns the features and the map of the component's pixels whose change has the
    wrong sign by at least :data:`BODY_SIGMAS` (where a split cuts).
    """
    comp_u8 = comp.astype(np.uint8)
    ring = (cv2.dilate(comp_u8, _RING_OUT_K) > 0) & ~(cv2.dilate(comp_u8, _RING_IN_K) > 0) & ~others
    lo, lr = o.mean(axis=2), r.mean(axis=2)
    valid = ~(comp | others)
    n_ring = int(ring.sum())
    sigma = max(_mad_sigma(_highpass(lo, valid)[ring]), SIGMA_FLOOR) if n_ring >= MIN_RING_PX else frame_sigma
    s_map = (lo - lr) * np.float32(sign / sigma)
    s = s_map[comp]
    body, wrong = s >= BODY_SIGMAS, s <= -BODY_SIGMAS
    e_pos, e_neg = float(np.sum(s[body] ** 2)), float(np.sum(s[wrong] ** 2))
    feats = {"grain_sigma": sigma, "mean_change_sigma": float(s.mean()),
             "evidence": float(s.mean() * math.sqrt(s.size / GRAIN_CLUMP_PX)),
             "contrast": float(s[body].mean()) if body.any() else 0.0,
             "neg_contrast": float(-s[wrong].mean()) if wrong.any() else 0.0,
             "body_px": int(body.sum()), "wrong_sign_share": e_neg / (e_pos + e_neg) if e_pos + e_neg else 0.0,
             "colour_share": 0.0, "grain_ratio": 0.0, "opacity": 0.0, "colour_grain": 0.0, "core_px": 0}
    wrong_map = comp & (s_map <= -BODY_SIGMAS)
    if not body.any():
        return feats, wrong_map
    body_map = comp & (s_map >= BODY_SIGMAS)
    target = np.float32(1.0 if sign > 0 else 0.0)
    if o.shape[2] == 3:
        c, d = (o - r)[body_map], (target - r)[body_map]
        along = (np.sum(c * d, axis=1) / np.maximum(np.sum(d * d, axis=1), 1e-8))[:, None] * d
        feats["colour_share"] = float(np.sum((c - along) ** 2) / max(float(np.sum(c * c)), 1e-12))
    core = cv2.erode(body_map.astype(np.uint8), _CORE_K) > 0
    feats["core_px"] = int(core.sum())
    if grain_rule and feats["core_px"] >= MIN_CORE_PX and n_ring >= MIN_RING_PX and o.shape[2] == 3:
        level = float(np.median(_off_blend_grain(o, target - o)[ring]))
        feats["colour_grain"] = level / sigma
        if level > 0:
            feats["grain_ratio"] = float(np.median(_off_blend_grain(o, target - r)[core])) / level
        room = np.abs(target - lr[core])
        feats["opacity"] = float(np.clip(np.median(np.abs(lo - lr)[core] / np.maximum(room, 1e-3)), 0, 1))
    return feats, wrong_map


def _decide(f: dict[str, float], t: dict[str, float], contrast_needed: float, um2_px: float) -> str | None:
    """The first rule the features fail, or None (keep)."""
    if f["wrong_sign_share"] >= 1.0 - t["edge"] and f["neg_contrast"] >= contrast_needed:
        return "wrong polarity"
    if f["wrong_sign_share"] > t["edge"] and f["neg_contrast"] >= contrast_needed:
        return "edge"
    if f["body_px"] * um2_px < MIN_AREA_UM2:
        return "too small"
    if f["contrast"] < contrast_needed and f["evidence"] < contrast_needed * EVIDENCE_FACTOR:
        return "too faint"
    if f["colour_share"] > t["colour"]:
        return "coloured"
    if (f["core_px"] >= MIN_CORE_PX and f["colour_grain"] >= MIN_COLOUR_GRAIN
            and f["grain_ratio"] > (1.0 - f["opacity"]) + t["grain"]):
        return "grain inside"
    return None


@dataclass
class _Context:
    po: np.ndarray
    pr: np.ndarray
    labels: np.ndarray
    probability: np.ndarray | None
    top: float
    sign: float
    um2_px: float
    frame_sigma: float
    thresholds: dict[str, float]
    grain_rule: bool


def _judge(ctx: _Context, box: tuple[int, int, int, int], comp: np.ndarray, others: np.ndarray,
           rec: dict[str, Any]) -> tuple[str | None, np.ndarray]:
    """Measure and decide one component (or piece) given as a mask over the crop ``box``."""
    y0, y1, x0, x1 = box
    o = ctx.po[y0:y1, x0:x1].astype(np.float32) / np.float32(ctx.top)
    r = ctx.pr[y0:y1, x0:x1].astype(np.float32) / np.float32(ctx.top)
    f, wrong_map = _measure(o, r, comp, others, ctx.sign, ctx.frame_sigma, ctx.grain_rule)
    needed = ctx.thresholds["contrast"]
    if ctx.probability is not None:
        peak = float(ctx.probability[y0:y1, x0:x1][comp].max())
        needed *= 1.0 + PROB_WEIGHT * max(0.0, PROB_CONFIDENT - peak)
        rec["peak_probability"] = round(peak, 4)
    reason = _decide(f, ctx.thresholds, needed, ctx.um2_px)
    rec.update({k: round(float(f[k]), 4) for k in ("mean_change_sigma", "contrast", "neg_contrast", "evidence",
                                                   "wrong_sign_share", "colour_share", "grain_ratio", "opacity",
                                                   "colour_grain")})
    rec["grain_sigma"] = round(f["grain_sigma"] * ctx.top, 3)
    rec["changed_px"] = f["body_px"]
    return reason, wrong_map


def _pieces(ctx: _Context, box: tuple[int, int, int, int], comp: np.ndarray, wrong_map: np.ndarray,
            label: int) -> list[tuple[np.ndarray, dict[str, Any], str | None]]:
    """Split a component at its wrong-signed change and judge each remaining piece on its own."""
    cut = comp & ~(cv2.dilate(wrong_map.astype(np.uint8), _RING_IN_K) > 0)
    n, plab, pstats, _ = cv2.connectedComponentsWithStats(cut.view(np.uint8), connectivity=8, ltype=cv2.CV_32S)
    lab = ctx.labels[box[0]:box[1], box[2]:box[3]]
    out = []
    largest = np.argsort(-pstats[1:, cv2.CC_STAT_AREA], kind="stable")[:MAX_PIECES] + 1
    for k in sorted(largest.tolist()):
        piece = plab == k
        x, y, w, h, area = (int(v) for v in pstats[k])
        rec: dict[str, Any] = {"label": label, "piece": k, "bbox": [x + box[2], y + box[0], w, h], "area_px": area,
                               "area_um2": round(area * ctx.um2_px, 1)}
        reason, _ = _judge(ctx, box, piece, (lab != 0) & ~piece, rec)
        out.append((piece, rec, reason))
    return out


def review_components(
    original: np.ndarray,
    restored: np.ndarray,
    mask: np.ndarray,
    *,
    polarity: str,
    px_per_mm: float,
    sensitivity: float = DEFAULT_SENSITIVITY,
    probability: np.ndarray | None = None,
    max_components: int = MAX_COMPONENTS,
) -> ComponentReport:
    """Judge every connected component of ``mask`` against what film damage looks like.

    Parameters
    ----------
    original, restored : ndarray, uint8 or uint16, (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)
        The scan and its inpainted repair (same shape and dtype; alpha is ignored).
    mask : ndarray of bool, (H, W)
        The pixels the repair was allowed to change (8-connected components).
    polarity : {"negative", "positive"}
        Negative film (damage lighter than the picture) or positive film (darker).
    px_per_mm : float
        Scale of the scan on the film (a 35 mm frame W px wide: ``W / 35``).
    sensitivity : float in [0, 1]
        Higher keeps more: it lowers the contrast-to-grain a component needs and raises
        the share of wrong-signed change (edges), of colour and of grain inside it may
        show (:data:`RULES`, linear in ``sensitivity``). Size limits do not move.
    probability : ndarray of float, (H, W), optional
        The detector's probability map: components whose peak probability is below
        :data:`PROB_CONFIDENT` need proportionally more contrast (:data:`PROB_WEIGHT`).
    max_components : int
        Components reviewed at most (the largest first); the rest are dropped (``"too many"``).

    Returns
    -------
    ComponentReport
        A component that fails only because part of it changed with the wrong sign (damage
        touching an edge or text) is split there: its pieces are judged on their own
        (records with ``"piece"``), the wrong-signed part stays dropped.
    """
    _validate(original, restored, mask, polarity, px_per_mm, sensitivity, probability, max_components)
    top = float(np.iinfo(original.dtype).max)
    po, pr = _colour_planes(original), _colour_planes(restored)
    um2_px = (1000.0 / px_per_mm) ** 2
    n, labels, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(mask).view(np.uint8),
                                                           connectivity=8, ltype=cv2.CV_32S)
    kept_mask = np.zeros(mask.shape, bool)
    dropped: dict[str, int] = {}
    components: list[dict[str, Any]] = []
    if n <= 1:
        return ComponentReport(kept_mask, 0, dropped, components, 0)
    sign = 1.0 if polarity == "negative" else -1.0
    frame_sigma, blockiness = _frame_stats(po, mask, top)
    ctx = _Context(po, pr, labels, probability, top, sign, um2_px, frame_sigma, _thresholds(float(sensitivity)),
                   blockiness < JPEG_BLOCKINESS)
    order = np.argsort(-stats[1:, cv2.CC_STAT_AREA], kind="stable") + 1
    reviewed = np.zeros(n, bool)
    reviewed[order[:max_components]] = True
    margin = RING_OUT + 1 + int(math.ceil(3 * HIGHPASS_SIGMA))
    kept = 0
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        rec: dict[str, Any] = {"label": i, "bbox": [x, y, bw, bh], "area_px": area,
                               "area_um2": round(area * um2_px, 1)}
        box = (max(0, y - margin), min(mask.shape[0], y + bh + margin),
               max(0, x - margin), min(mask.shape[1], x + bw + margin))
        results = _review_one(ctx, box, i, rec, px_per_mm) if reviewed[i] else [(None, rec, "too many")]
        if rec.get("decision") == "split":
            components.append(rec)
            dropped[rec["reason"]] = dropped.get(rec["reason"], 0) + 1  # its wrong-signed part
        for part, prec, reason in results:
            if reason is None:
                kept_mask[box[0]:box[1], box[2]:box[3]] |= part
                kept += 1
            else:
                dropped[reason] = dropped.get(reason, 0) + 1
            prec["decision"] = "kept" if reason is None else "dropped"
            prec["reason"] = reason
            components.append(prec)
    return ComponentReport(kept_mask, kept, dropped, components, int(stats[1:, cv2.CC_STAT_AREA].sum()))


def _review_one(ctx: _Context, box: tuple[int, int, int, int], label: int, rec: dict[str, Any],
                px_per_mm: float) -> list[tuple[np.ndarray, dict[str, Any], str | None]]:
    """(mask over the crop, record, reason or None) for a component, or for its pieces when split."""
    lab = ctx.labels[box[0]:box[1], box[2]:box[3]]
    comp = lab == label
    area_um2 = rec["area_px"] * ctx.um2_px
    if area_um2 > MAX_AREA_UM2 and (area_um2 > MAX_THIN_AREA_UM2 or
                                    _thickness_px(comp) * 1000.0 / px_per_mm > THIN_WIDTH_UM):
        return [(comp, rec, "too large")]
    reason, wrong_map = _judge(ctx, box, comp, (lab != 0) & ~comp, rec)
    if reason in ("edge", "wrong polarity") and rec["changed_px"] > 0:
        pieces = _pieces(ctx, box, comp, wrong_map, label)
        if any(r is None for _, _, r in pieces):
            rec["decision"], rec["reason"], rec["pieces"] = "split", reason, len(pieces)
            return pieces
    return [(comp, rec, reason)]


def apply_review(original: np.ndarray, restored: np.ndarray, report: ComponentReport) -> np.ndarray:
    """``restored`` where ``report`` kept a component, ``original`` bit-identical everywhere else."""
    if not isinstance(original, np.ndarray) or not isinstance(restored, np.ndarray) or \
            original.shape != restored.shape or original.dtype != restored.dtype:
        raise ValueError(f"original and restored must be arrays of one shape and dtype, got "
                         f"{getattr(original, 'shape', None)} {getattr(original, 'dtype', None)} and "
                         f"{getattr(restored, 'shape', None)} {getattr(restored, 'dtype', None)}")
    if report.kept_mask.shape != original.shape[:2]:
        raise ValueError(f"the report is for a {report.kept_mask.shape} mask, the images are {original.shape[:2]}")
    out = original.copy()
    out[report.kept_mask] = restored[report.kept_mask]
    return out
