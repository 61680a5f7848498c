"""LPIPS on a full-resolution pair: peak memory and time of the streaming evaluation vs a baseline.

Baseline (same process type, same run): the lpips package's way of evaluating, reproduced with the
same weights: both inputs converted at once, the whole five-level feature pyramid of both images
held, normalised copies and differences made out of place. Each mode runs in a fresh subprocess so
that ``ru_maxrss`` (peak resident memory) is its own; memory is reported above the resident size
after the model is loaded and the two uint8 images exist.

    .venv/bin/python benchmarks/eval_lpips_memory.py [--width 4944 --height 3396 --threads 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _images(width: int, height: int):
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    b = a.copy()
    b[height // 3 : height // 3 + 100, width // 2 : width // 2 + 500] = 255  # a scratch-like band
    return a, b


def _naive(model, a, b) -> float:
    import torch
    import torch.nn.functional as F

    from imaging.lpips import image_to_tensor

    with torch.no_grad():
        pyramids = []
        for x in (image_to_tensor(a), image_to_tensor(b)):
            h = (x - model.shift) / model.scale
            levels = []
            for k, conv in enumerate(model.convs):
                if k in (1, 2):
                    h = F.max_pool2d(h, 3, 2)
                h = F.relu(conv(h))
                levels.append(h)
            pyramids.append(levels)
        total = 0.0
        for k, (f0, f1) in enumerate(zip(*pyramids)):
            n0 = f0 / (torch.sqrt((f0**2).sum(1, keepdim=True)) + 1e-10)
            n1 = f1 / (torch.sqrt((f1**2).sum(1, keepdim=True)) + 1e-10)
            total += float(model.lins[k]((n0 - n1) ** 2).mean())
        return total


def _child(mode: str, width: int, height: int, threads: int) -> None:
    import torch

    sys.path.insert(0, str(ROOT))
    from imaging.lpips import load_lpips_alexnet

    torch.set_num_threads(threads)
    model = load_lpips_alexnet("cpu")
    a, b = _images(width, height)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    value = model.image_distance(a, b) if mode == "streaming" else _naive(model, a, b)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"value": value, "seconds": seconds, "extra_mib": (peak - before) / 1024,
                      "peak_mib": peak / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=4944)
    parser.add_argument("--height", type=int, default=3396)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--child", choices=["streaming", "baseline"])
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.width, args.height, args.threads)
        return
    results = {}
    for mode in ("baseline", "streaming"):
        command = [sys.executable, __file__, "--child", mode, "--width", str(args.width),
                   "--height", str(args.height), "--threads", str(args.threads)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results[mode] = json.loads(output.strip().splitlines()[-1])
        r = results[mode]
        print(f"{mode:9s}  lpips {r['value']:.6f}  {r['seconds']:6.1f} s  +{r['extra_mib']:7.0f} MiB "
              f"(peak RSS {r['peak_mib']:.0f} MiB)")
    base, stream = results["baseline"], results["streaming"]
    print(f"{args.width} x {args.height} RGB, {args.threads} threads: streaming / baseline: "
          f"memory {stream['extra_mib'] / base['extra_mib']:.2f}, time {stream['seconds'] / base['seconds']:.2f}, "
          f"|difference| {abs(stream['value'] - base['value']):.2e}")


if __name__ == "__main__":
    main()
