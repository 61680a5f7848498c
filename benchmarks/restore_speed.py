"""Restoration speed on a 4944 x 3396 scan, with ratios against baselines run in the same process.

Prints, for the CPU (and the GPU when one is visible):

* seconds to restore a synthetic 16-bit RGB scan with the default method
  (segmentation U-Net over 256 x 256 tiles at 50% overlap, then grain-preserving
  inpainting of the damaged blocks), and the share of tiles without damage;
* the tiler's overhead: wall time of the tiled, blended pass divided by the
  time of the bare forward passes of the same network on the same tiles
  (measured in a separate pass, and inside the tiled pass itself);
* the mask-based cost: a tiled network pass that skips undamaged tiles, with
  10% of the tiles damaged, divided by the same pass over all tiles
  (the design bar: at most 0.2).

Uses ``restoration/weights/segmentation-default.pt`` when it exists, else a
randomly initialised U-Net of the default size (and then the synthetic truth
mask for the inpainting stage, since a random net's mask means nothing).

    .venv/bin/python benchmarks/restore_speed.py [--width 4944 --height 3396] [--threads N]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imaging.masks import dilate_mask  # noqa: E402
from restoration.core.inpaint import inpaint  # noqa: E402
from restoration.core.methods import SEGMENTATION_WEIGHTS, default_weights_dir  # noqa: E402
from restoration.core.pipeline import detect_damage  # noqa: E402
from restoration.core.tiler import Tile, run_tiled, tile_grid  # noqa: E402
from restoration.core.unet import UNet, UNetConfig, load_model  # noqa: E402

TILE, OVERLAP = 256, 0.5


def synthetic_scan(h: int, w: int, *, damaged_share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A 16-bit RGB scan (gradient + grain) with white specks in ``damaged_share`` of the tiles."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.25, 0.65, w, dtype=np.float32)[None, :, None] * np.array([1.0, 0.92, 0.85], np.float32)
    img = np.empty((h, w, 3), np.uint16)
    for y in range(0, h, 512):  # band by band: no full float copy
        rows = min(512, h - y)
        band = ramp + rng.normal(0, 0.02, (rows, w, 3)).astype(np.float32)
        img[y: y + rows] = np.clip(band * 65535, 0, 65535).astype(np.uint16)
    truth = np.zeros((h, w), bool)
    grid = tile_grid(h, w, tile=TILE, overlap=OVERLAP)
    for i in rng.choice(len(grid), size=max(1, int(round(damaged_share * len(grid)))), replace=False):
        t = grid[i]
        for _ in range(5):
            y, x = t.y0 + int(rng.integers(8, TILE - 8)), t.x0 + int(rng.integers(8, TILE - 8))
            truth[y - 2: y + 3, x - 2: x + 3] = True
    img[truth] = 65535
    return img, truth


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def bare_forward_seconds(image: np.ndarray, fn, device: str, batch_size: int) -> float:
    """Time ``fn`` alone over the batches of tiles that the tiler would make (extraction untimed)."""
    h, w = image.shape[:2]
    grid = tile_grid(h, w, tile=TILE, overlap=OVERLAP)
    spent = 0.0
    with torch.no_grad():
        for y0 in sorted({t.y0 for t in grid}):
            rows = torch.from_numpy(image[y0: y0 + TILE].astype(np.float32) / 65535.0).permute(2, 0, 1)
            row = [t for t in grid if t.y0 == y0]
            for i in range(0, len(row), batch_size):
                x = torch.stack([rows[:, :, t.x0: t.x0 + TILE] for t in row[i: i + batch_size]]).to(device)
                _sync(device)
                start = time.perf_counter()
                fn(x)
                _sync(device)
                spent += time.perf_counter() - start
    return spent


class Timed:
    """Wraps a tile function and adds up the time spent inside it."""

    def __init__(self, fn, device: str) -> None:
        self.fn, self.device, self.seconds, self.tiles = fn, device, 0.0, 0

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        _sync(self.device)
        start = time.perf_counter()
        out = self.fn(x)
        _sync(self.device)
        self.seconds += time.perf_counter() - start
        self.tiles += len(x)
        return out


def run_device(device: str, image: np.ndarray, truth: np.ndarray, args: argparse.Namespace) -> dict:
    weights = Path(args.weights) if args.weights else default_weights_dir() / SEGMENTATION_WEIGHTS
    if weights.is_file():
        seg, _ = load_model(weights)
        source = f"trained weights {weights}"
    else:
        torch.manual_seed(args.seed)
        seg = UNet(UNetConfig()).eval()
        source = f"randomly initialised U-Net {UNetConfig()} ({weights} is missing)"
    seg = seg.to(device).eval()
    print(f"[{device}] segmentation network: {source}")
    h, w = image.shape[:2]
    grid = tile_grid(h, w, tile=TILE, overlap=OVERLAP)

    # 1. Restore: detect over all tiles, then inpaint the damaged blocks.
    start = time.perf_counter()
    damage = detect_damage(image, seg, batch_size=args.batch_size, device=device)
    t_detect = time.perf_counter() - start
    mask = damage.mask if weights.is_file() else dilate_mask(truth, 2, disk="ellipse")
    start = time.perf_counter()
    inpaint(image, mask, method="grain", seed=args.seed)
    t_inpaint = time.perf_counter() - start
    skipped = sum(not mask[t.slices].any() for t in grid) / len(grid)

    # 2. Tiler overhead against bare forward passes of the same network on the same tiles.
    def sig(x):
        return torch.sigmoid(seg(x))
    t_bare = bare_forward_seconds(image, sig, device, args.batch_size)
    timed = Timed(sig, device)
    start = time.perf_counter()
    run_tiled(image, timed, scale=65535, out_channels=1, batch_size=args.batch_size, device=device)
    t_tiled = time.perf_counter() - start

    # 3. Mask-based pass (a 3-channel network, skipping undamaged tiles) vs the full pass.
    torch.manual_seed(args.seed + 1)
    net = UNet(UNetConfig(in_channels=3, out_channels=3, base=seg.config.base, depth=seg.config.depth,
                          task="restoration")).to(device).eval()
    rng = np.random.default_rng(args.seed + 2)
    chosen = {(grid[i].row, grid[i].col) for i in
              rng.choice(len(grid), size=max(1, int(round(args.damaged_share * len(grid)))), replace=False)}

    def undamaged(t: Tile) -> bool:
        return (t.row, t.col) not in chosen
    start = time.perf_counter()
    run_tiled(image, net, scale=65535, batch_size=args.batch_size, device=device)
    t_full = time.perf_counter() - start
    start = time.perf_counter()
    run_tiled(image, net, scale=65535, batch_size=args.batch_size, device=device, skip=undamaged)
    t_masked = time.perf_counter() - start

    result = {
        "device": device, "tiles": len(grid), "restore_seconds": t_detect + t_inpaint,
        "detect_seconds": t_detect, "inpaint_seconds": t_inpaint, "tiles_skipped_share": skipped,
        "bare_forward_seconds": t_bare, "tiled_seconds": t_tiled,
        "forward_seconds_inside_tiled": timed.seconds,
        "tiler_overhead_ratio": t_tiled / t_bare, "tiler_overhead_ratio_same_run": t_tiled / timed.seconds,
        "damaged_tile_share": len(chosen) / len(grid), "full_pass_seconds": t_full,
        "mask_based_pass_seconds": t_masked, "mask_based_cost_ratio": t_masked / t_full,
    }
    print(f"[{device}] restore {w}x{h}: {t_detect + t_inpaint:.1f} s (detect {t_detect:.1f} s over "
          f"{len(grid)} tiles, inpaint {t_inpaint:.2f} s); tiles without damage: {skipped:.1%}")
    print(f"[{device}] tiler overhead: tiled {t_tiled:.1f} s / bare forward {t_bare:.1f} s = "
          f"{result['tiler_overhead_ratio']:.3f} (vs forward time inside the same run: "
          f"{result['tiler_overhead_ratio_same_run']:.3f})")
    print(f"[{device}] mask-based pass with {len(chosen) / len(grid):.1%} of tiles damaged: "
          f"{t_masked:.1f} s / full pass {t_full:.1f} s = {t_masked / t_full:.3f} (bar: <= 0.2)")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=4944)
    parser.add_argument("--height", type=int, default=3396)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--damaged-share", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--weights", default=None, help="segmentation checkpoint (default: the shipped one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads; "
          f"synthetic 16-bit RGB scan {args.width} x {args.height}")
    image, truth = synthetic_scan(args.height, args.width, damaged_share=args.damaged_share, seed=args.seed)
    results = [run_device("cpu", image, truth, args)]
    if torch.cuda.is_available():
        results.append(run_device("cuda", image, truth, args))
    else:
        print("no CUDA GPU visible: GPU numbers skipped")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
