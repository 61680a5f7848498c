"""The torch compositor of an :class:`~synthesis.core.plan.OverlayPlan` (for a GPU).

Artefacts are grouped in buckets of equal padded size (powers of two per
axis), each bucket is warped in one ``grid_sample`` call (bilinear, zeros
outside) with the same affine maps as the CPU path, and composited as
``1 - prod(1 - a)`` by summing ``log(1 - a)`` into the frame with
``index_add_``. The logs are summed in 2**-20 fixed point (int64), so the sum
is exact and does not depend on the order of the atomic additions: the same
plan gives the same bytes on any run. Sources are reduced by area averaging
on the CPU first when they shrink below half size, exactly as on the CPU path.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from .bank import ArtefactBank
from .plan import OverlayPlan, item_affine, item_source

#: Fixed-point scale of the summed log-transmittance.
FIXED_POINT = float(2 ** 20)
#: Largest number of pixels warped in one grid_sample call.
CHUNK_PIXELS = 1 << 24


def _pow2(n: int) -> int:
    return 1 << max(0, math.ceil(math.log2(max(n, 1))))


def _bucket_items(plan: OverlayPlan, bank: ArtefactBank) -> dict[tuple[int, int], list]:
    buckets: dict[tuple[int, int], list] = {}
    for i in range(len(plan)):
        src, sx, sy = item_source(plan, bank, i)
        m, x0, y0, pw, ph = item_affine(src.shape, sx, sy, float(plan.angle[i]), plan.x[i], plan.y[i])
        if x0 + pw <= 0 or y0 + ph <= 0 or x0 >= plan.width or y0 >= plan.height:
            continue
        key = (_pow2(max(src.shape[0], ph)), _pow2(max(src.shape[1], pw)))
        buckets.setdefault(key, []).append((src, m, x0, y0))
    return buckets


def _warp(items: list, key: tuple[int, int], device: torch.device) -> torch.Tensor:
    """Warp a bucket's sources into (B, H, W) patches (patch pixel = inverse affine into the source)."""
    hh, ww = key
    batch = np.zeros((len(items), 1, hh, ww), dtype=np.float32)
    inverse = np.zeros((len(items), 2, 3), dtype=np.float64)
    for b, (src, m, _, _) in enumerate(items):
        batch[b, 0, :src.shape[0], :src.shape[1]] = src
        a_inv = np.linalg.inv(m[:, :2])
        inverse[b, :, :2] = a_inv
        inverse[b, :, 2] = -a_inv @ m[:, 2]
    ys, xs = torch.meshgrid(torch.arange(hh, dtype=torch.float64, device=device),
                            torch.arange(ww, dtype=torch.float64, device=device), indexing="ij")
    inv = torch.from_numpy(inverse).to(device)
    sx = inv[:, 0, 0, None, None] * xs + inv[:, 0, 1, None, None] * ys + inv[:, 0, 2, None, None]
    sy = inv[:, 1, 0, None, None] * xs + inv[:, 1, 1, None, None] * ys + inv[:, 1, 2, None, None]
    grid = torch.stack([2.0 * sx / max(ww - 1, 1) - 1.0, 2.0 * sy / max(hh - 1, 1) - 1.0], dim=-1)
    out = F.grid_sample(torch.from_numpy(batch).to(device), grid.float(), mode="bilinear",
                        padding_mode="zeros", align_corners=True)
    return out[:, 0]


def _accumulate(canvas: torch.Tensor, patches: torch.Tensor, origins: np.ndarray, width: int,
                height: int) -> None:
    b, hh, ww = patches.shape
    dev = patches.device
    org = torch.from_numpy(origins).to(dev)
    ys = org[:, 1, None, None] + torch.arange(hh, device=dev)[None, :, None]
    xs = org[:, 0, None, None] + torch.arange(ww, device=dev)[None, None, :]
    keep = (patches > 0) & (ys >= 0) & (ys < height) & (xs >= 0) & (xs < width)
    alpha = patches.clamp(0.0, 1.0 - 1e-6)[keep]
    flat = (ys.expand(b, hh, ww)[keep] * width + xs.expand(b, hh, ww)[keep])
    logs = torch.round(torch.log1p(-alpha.double()) * FIXED_POINT).long()
    canvas.index_add_(0, flat, logs)


def composite_torch(plan: OverlayPlan, bank: ArtefactBank, *, device: str | torch.device = "cuda") -> np.ndarray:
    """Alpha (H x W float32, NumPy) of a plan, warped and composited with torch on ``device``."""
    device = torch.device(device)
    canvas = torch.zeros(plan.width * plan.height, dtype=torch.int64, device=device)
    for key, items in sorted(_bucket_items(plan, bank).items()):
        per_chunk = max(1, CHUNK_PIXELS // (key[0] * key[1]))
        for start in range(0, len(items), per_chunk):
            chunk = items[start:start + per_chunk]
            patches = _warp(chunk, key, device)
            origins = np.array([[x0, y0] for _, _, x0, y0 in chunk], dtype=np.int64)
            _accumulate(canvas, patches, origins, plan.width, plan.height)
    alpha = 1.0 - torch.exp(canvas.double() / FIXED_POINT)
    return alpha.float().reshape(plan.height, plan.width).cpu().numpy()
