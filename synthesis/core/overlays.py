"""Writing batches of overlays and masks as PNG files (what ``generate_overlays`` runs)."""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from annotation.core.types import FrameGeometry
from imaging.files import write_png_atomic
from imaging.progress import ProgressFn

from .bank import ArtefactBank
from .model import DamageModel
from .render import POLARITIES, Overlay, render_overlay

POLARITY_CHOICES = POLARITIES + ("random",)


def item_seed(seed: int, index: int) -> int:
    """The seed of item ``index`` of a batch seeded ``seed`` (independent of the batch size)."""
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1, dtype=np.uint64)[0] >> 1)


def item_polarity(seed: int, index: int, polarity: str) -> str:
    """``polarity``, or for ``"random"`` negative / positive with equal probability per item."""
    if polarity != "random":
        return polarity
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(index), 1]))
    return POLARITIES[int(rng.random() < 0.5)]


def overlay_rgba(overlay: Overlay) -> np.ndarray:
    """An 8-bit RGBA image of an overlay: white (negative) or black (positive) with the alpha."""
    h, w = overlay.alpha.shape
    out = np.empty((h, w, 4), dtype=np.uint8)
    out[..., :3] = 255 if overlay.polarity == "negative" else 0
    out[..., 3] = np.rint(overlay.alpha * 255.0).astype(np.uint8)
    return out


def generate_overlays(model: DamageModel, bank: ArtefactBank, *, width: int, height: int, count: int,
                      seed: int, out_dir: str | os.PathLike, polarity: str = "negative",
                      frame: FrameGeometry | None = None, damage_level: float = 1.0,
                      device: str | None = None,
                      progress: ProgressFn | None = None) -> dict:
    """Render ``count`` overlays and write ``overlay_NNNN.png`` and ``mask_NNNN.png`` to ``out_dir``.

    Overlays are 8-bit RGBA (colour by polarity, the alpha is the damage);
    masks are 8-bit grey, 255 where damaged and 0 elsewhere. Item ``i``
    (from 1) uses :func:`item_seed` ``(seed, i)``, so any one overlay can be
    rendered again alone.

    Returns
    -------
    dict
        ``{"overlays": [{"overlay": path, "mask": path, "counts": {class: n},
        "damaged_fraction": f, "seconds": s, "polarity": p, "seed": s}, ...]}``.
    """
    if polarity not in POLARITY_CHOICES:
        raise ValueError(f"polarity must be one of {POLARITY_CHOICES}, got {polarity!r}")
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    digits = max(4, len(str(count)))
    results = []
    for i in range(1, count + 1):
        start = time.perf_counter()
        pol = item_polarity(seed, i, polarity)
        ov = render_overlay(model, bank, width=width, height=height, frame=frame, seed=item_seed(seed, i),
                            damage_level=damage_level, polarity=pol, device=device)
        name = f"{i:0{digits}d}"
        overlay_path, mask_path = out / f"overlay_{name}.png", out / f"mask_{name}.png"
        write_png_atomic(overlay_path, overlay_rgba(ov), sparse=True)
        write_png_atomic(mask_path, ov.mask.astype(np.uint8) * np.uint8(255), sparse=True)
        results.append({"overlay": str(overlay_path), "mask": str(mask_path), "counts": ov.counts,
                        "damaged_fraction": ov.damaged_fraction, "seconds": time.perf_counter() - start,
                        "polarity": pol, "seed": ov.seed})
        if progress is not None:
            progress(i, count)
    return {"overlays": results}
