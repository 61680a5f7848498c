"""Rendering damage overlays from a damage model and an artefact bank (paper, Section 4.4).

Rendering is split in two, as MONAI's random transforms are: :func:`plan_overlay`
draws everything random from the seed (counts, areas, appearances, centres,
rotations, procedural scratches) and the compositors turn the plan into an
alpha map deterministically, each artefact transformed and composited only
inside its own bounding box:

* :func:`composite_cpu` (NumPy/OpenCV): ``cv2.warpAffine`` of the small patch,
  then ``T *= 1 - a`` on the transmittance ``T`` of its box;
* :func:`synthesis.core.render_torch.composite_torch`: the same plan batched
  with ``grid_sample`` on a torch device (used on a GPU).

Alpha compositing of the artefacts is ``1 - prod(1 - a_i)`` ("over" for
the alpha channel), which does not depend on the order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from annotation.core.types import CLASSES, FrameGeometry

from .bank import ArtefactBank, BankError
from .model import DamageModel, DamageModelError
from .perlin import noise_density, sample_points
from .plan import OverlayPlan, item_affine, item_source
from .scratches import scratch_for_area

POLARITIES = ("negative", "positive")
#: Cell size (px) of the sampling density grid.
DENSITY_CELL_PX = 16


@dataclass
class Overlay:
    """A rendered overlay: alpha in [0, 1] (H x W float32), its binary mask and its numbers."""

    alpha: np.ndarray
    mask: np.ndarray
    counts: dict[str, int]
    damaged_fraction: float
    polarity: str
    seed: int


def _frame(width: int, height: int, frame: FrameGeometry | None) -> FrameGeometry:
    if width < 1 or height < 1:
        raise ValueError(f"width and height must be >= 1, got {width} x {height}")
    if frame is None:
        return FrameGeometry.for_35mm(width, height)
    if (frame.width_px, frame.height_px) != (width, height):
        raise ValueError(f"frame is {frame.width_px} x {frame.height_px} px but the target is {width} x {height}")
    return frame


def sample_counts(model: DamageModel, *, n_patches: float, rng: np.random.Generator, cls: str) -> int:
    """Artefacts of ``cls`` on ``n_patches`` patches: per patch, Bernoulli(p) then round(Gamma)."""
    m = model.classes.get(cls)
    if m is None or m.count_gamma is None or m.p_nonempty <= 0 or n_patches <= 0:
        return 0
    whole = int(math.floor(n_patches))
    whole += int(rng.random() < n_patches - whole)
    nonempty = int(rng.binomial(whole, m.p_nonempty))
    draws = rng.gamma(m.count_gamma.shape, m.count_gamma.scale, size=nonempty)
    return int(np.rint(draws).sum())


def _appearances(cls: str, bank: ArtefactBank, area_px: np.ndarray, rng: np.random.Generator, *, width: int,
                 height: int, um_per_px: float, procedural_share: float | None, max_upscale: float):
    """Bank entries, scales, rotations and procedural scratch patches of one class's artefacts.

    Returns (entry, scale, angle, {index: patch}, number of capped up-scales).
    """
    n = len(area_px)
    entry, scale = np.full(n, -1, dtype=np.int64), np.ones(n)
    if cls == "scratch":
        share = procedural_share if procedural_share is not None else (0.5 if bank.count(cls) else 1.0)
        procedural = rng.random(n) < share
        angle = rng.normal(0.0, np.radians(0.5), n) + np.pi * (rng.random(n) < 0.5)
        angle += np.pi / 2 if height > width else 0.0
    else:
        procedural = np.zeros(n, dtype=bool)
        angle = rng.uniform(-np.pi, np.pi, n)
    from_bank = np.flatnonzero(~procedural)
    capped = 0
    if from_bank.size:
        if bank.count(cls) == 0:
            raise BankError(f"the bank holds no appearance of class {cls!r}, which the model generates")
        entry[from_bank] = bank.pick_many(cls, area_px[from_bank], rng)
        bank_area = np.array([bank.area(cls, int(e)) for e in entry[from_bank]])
        s = np.sqrt(area_px[from_bank] / bank_area)
        capped = int(np.sum(s > max_upscale))
        scale[from_bank] = np.minimum(s, max_upscale)
    patches = {}
    for k in np.flatnonzero(procedural):
        # made along the long edge already, so not rotated further
        patches[int(k)] = scratch_for_area(area_px=float(area_px[k]), width=width, height=height, rng=rng,
                                           um_per_px=um_per_px)
        angle[k] = 0.0
    return entry, scale, angle, patches, capped


def overlay_counts(model: DamageModel, *, width: int, height: int, frame: FrameGeometry | None = None,
                   seed: int, damage_level: float = 1.0, count_basis: str = "pixels") -> dict[str, int]:
    """The artefacts per class that :func:`plan_overlay` draws for ``seed``, without drawing the rest.

    The counts are the first draws of each class's random stream, so they are the plan's counts
    exactly (a test holds the two together); a dataset build uses them to tell, before it starts,
    how many of its items would carry no damage at all.
    """
    frame = _frame(width, height, frame)
    n_patches = model.patch_equivalents(width=width, height=height, frame=frame, count_basis=count_basis)
    n_patches *= damage_level
    seqs = np.random.SeedSequence(int(seed)).spawn(len(CLASSES))
    return {cls: sample_counts(model, n_patches=n_patches, rng=np.random.default_rng(seq), cls=cls)
            for cls, seq in zip(CLASSES, seqs)}


def plan_overlay(model: DamageModel, bank: ArtefactBank, *, width: int, height: int,
                 frame: FrameGeometry | None = None, seed: int, damage_level: float = 1.0,
                 count_basis: str = "pixels", use_kde_map: bool = False,
                 procedural_scratch_share: float | None = None, max_upscale: float = 2.0) -> OverlayPlan:
    """Draw counts, areas, appearances, centres and rotations of one overlay.

    ``procedural_scratch_share`` is the share of scratches made procedurally
    (default: 0.5 when the bank holds scratches, else 1). Scales above
    ``max_upscale`` (linear) are capped; ``upscale_capped`` counts them.
    Scratches run along the frame's long edge (see ``scratches``); every
    other artefact gets a rotation uniform on [-pi, pi].
    """
    frame = _frame(width, height, frame)
    if not (damage_level >= 0 and math.isfinite(damage_level)):
        raise ValueError(f"damage_level must be a finite number >= 0, got {damage_level}")
    n_patches = model.patch_equivalents(width=width, height=height, frame=frame, count_basis=count_basis)
    n_patches *= damage_level
    rows, cols = math.ceil(height / DENSITY_CELL_PX), math.ceil(width / DENSITY_CELL_PX)
    seqs = np.random.SeedSequence(int(seed)).spawn(len(CLASSES))
    parts, patches, counts, capped = [], {}, {}, 0
    offset = 0
    for ci, (cls, seq) in enumerate(zip(CLASSES, seqs)):
        rng = np.random.default_rng(seq)
        n = sample_counts(model, n_patches=n_patches, rng=rng, cls=cls)
        counts[cls] = n
        if n == 0:
            continue
        m = model.classes[cls]
        area_um2 = np.minimum(rng.gamma(m.area_gamma.shape, m.area_gamma.scale, size=n), m.area_max_um2)
        area_px = np.maximum(area_um2 / frame.um2_per_px, 1.0)
        density = noise_density((rows, cols), m.perlin, rng=rng,
                                kde_map=m.density if use_kde_map else None)
        centres = sample_points(density, n, rng, width=width, height=height)
        entry, scale, angle, local, n_capped = _appearances(
            cls, bank, area_px, rng, width=width, height=height, um_per_px=math.sqrt(frame.um2_per_px),
            procedural_share=procedural_scratch_share, max_upscale=max_upscale)
        patches.update({offset + k: v for k, v in local.items()})
        capped += n_capped
        parts.append((np.full(n, ci), entry, scale, angle, centres[:, 0], centres[:, 1], area_px))
        offset += n
    cols_ = [np.concatenate([p[i] for p in parts]) if parts else np.zeros(0) for i in range(7)]
    return OverlayPlan(width, height, cols_[0].astype(np.int64), cols_[1].astype(np.int64), cols_[2], cols_[3],
                       cols_[4], cols_[5], cols_[6], patches, counts, capped)


def composite_cpu(plan: OverlayPlan, bank: ArtefactBank) -> np.ndarray:
    """Alpha (H x W float32) of a plan, each artefact warped and composited in its own box."""
    width, height = plan.width, plan.height
    trans = np.ones((height, width), dtype=np.float32)
    for i in range(len(plan)):
        src, sx, sy = item_source(plan, bank, i)
        m, x0, y0, pw, ph = item_affine(src.shape, sx, sy, float(plan.angle[i]), plan.x[i], plan.y[i])
        xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + pw, width), min(y0 + ph, height)
        if xa >= xb or ya >= yb:
            continue
        patch = cv2.warpAffine(src, m, (pw, ph), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=0)
        sub = patch[ya - y0:yb - y0, xa - x0:xb - x0]
        trans[ya:yb, xa:xb] *= 1.0 - np.clip(sub, 0.0, 1.0)
    np.subtract(np.float32(1.0), trans, out=trans)
    return trans


def binarise(alpha: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Binary damage mask: True where ``alpha >= threshold`` (``threshold`` in (0, 1])."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    return np.asarray(alpha) >= threshold


def render_overlay(model: DamageModel, bank: ArtefactBank, *, width: int, height: int,
                   frame: FrameGeometry | None = None, seed: int, damage_level: float = 1.0,
                   polarity: str = "negative", device: str | None = None, threshold: float = 0.5,
                   count_basis: str = "pixels", use_kde_map: bool = False) -> Overlay:
    """Render one damage overlay.

    Parameters
    ----------
    width, height : int
        Target size in pixels (any, e.g. 4944 x 3396).
    frame : FrameGeometry, optional
        Physical frame of the target (default: 35 mm x 24 mm); converts the
        sampled areas from square microns to pixels.
    seed : int
        Same seed, same overlay (bit for bit on the CPU path).
    damage_level : float
        Multiplies the expected counts (1: as the fitted frames).
    polarity : {"negative", "positive"}
        White (negative film) or black (slides) artefacts; kept with the
        overlay for :func:`apply_overlay`, the alpha does not depend on it.
    device : str, optional
        ``"cpu"`` for NumPy/OpenCV, a torch device (``"cuda"``) for the torch
        path; default: CUDA when torch sees one, else the CPU path.
    threshold : float
        Alpha at and above which a pixel is in the mask.
    """
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    if not isinstance(model, DamageModel):
        raise DamageModelError("model must be a DamageModel (use DamageModel.from_dict on stored JSON)")
    plan = plan_overlay(model, bank, width=width, height=height, frame=frame, seed=seed,
                        damage_level=damage_level, count_basis=count_basis, use_kde_map=use_kde_map)
    device = default_device() if device is None else device
    if device == "cpu":
        alpha = composite_cpu(plan, bank)
    else:
        from .render_torch import composite_torch

        alpha = composite_torch(plan, bank, device=device)
    mask = binarise(alpha, threshold)
    return Overlay(alpha, mask, dict(plan.counts), float(mask.mean()), polarity, int(seed))


def default_device() -> str:
    """``"cuda"`` when torch is installed and sees a GPU, else ``"cpu"``."""
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def apply_overlay(clean: np.ndarray, overlay: Overlay | np.ndarray, *, polarity: str | None = None) -> np.ndarray:
    """Damage a clean image with an overlay, in the clean image's dtype.

    Negative polarity blends toward white (the dtype's maximum: 255, 65535,
    or 1.0 for floats), positive toward black: ``out = clean + (target -
    clean) * alpha``. ``polarity`` defaults to the overlay's own.
    """
    alpha = overlay.alpha if isinstance(overlay, Overlay) else np.asarray(overlay)
    polarity = polarity or (overlay.polarity if isinstance(overlay, Overlay) else None)
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    clean = np.asarray(clean)
    if clean.shape[:2] != alpha.shape:
        raise ValueError(f"the overlay is {alpha.shape[1]} x {alpha.shape[0]} but the image is "
                         f"{clean.shape[1]} x {clean.shape[0]}")
    if clean.dtype.kind == "f":
        top = 1.0
    elif clean.dtype in (np.uint8, np.uint16):
        top = float(np.iinfo(clean.dtype).max)
    else:
        raise ValueError(f"image dtype must be uint8, uint16 or float, got {clean.dtype}")
    a = alpha.astype(np.float32)[..., None] if clean.ndim == 3 else alpha.astype(np.float32)
    target = np.float32(top if polarity == "negative" else 0.0)
    out = clean.astype(np.float32) + (target - clean.astype(np.float32)) * a
    if clean.dtype.kind == "f":
        return out.astype(clean.dtype)
    return np.clip(np.rint(out), 0, top).astype(clean.dtype)
