"""Seconds to turn a 4K restoration mask with 2,000 components into polygons and back (issue 13).

Baseline, in the same run: OpenCV's connected-component labelling of the same mask alone, the least any
per-component conversion must do. Prints the ratio, and the round trip's lost and added pixels.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from restoration.core.components import components_to_mask, mask_to_components  # noqa: E402


def mask_4k(count: int, *, seed: int = 0, shape=(3396, 4944)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h, w = shape
    mask = np.zeros(shape, np.uint8)
    for i in range(count):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if i % 4 == 0:  # a hair
            p = np.array([[x, y], [x + rng.integers(-80, 80), y + rng.integers(-80, 80)],
                          [x + rng.integers(-150, 150), y + rng.integers(-150, 150)]], float)
            t = np.linspace(0, 1, 40)[:, None]
            curve = (1 - t) ** 2 * p[0] + 2 * (1 - t) * t * p[1] + t ** 2 * p[2]
            cv2.polylines(mask, [np.round(curve).astype(np.int32)], False, 255, int(rng.integers(1, 4)))
        else:
            cv2.circle(mask, (x, y), int(rng.integers(1, 7)), 255, -1)
    return mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2200)
    args = parser.parse_args()
    mask = mask_4k(args.count)
    t0 = time.perf_counter()
    n, _ = cv2.connectedComponents(mask, connectivity=8)
    t_label = time.perf_counter() - t0
    t0 = time.perf_counter()
    comps = mask_to_components(mask, px_per_mm=4944 / 35)
    t_poly = time.perf_counter() - t0
    t0 = time.perf_counter()
    back = components_to_mask(comps, mask.shape)
    t_back = time.perf_counter() - t0
    m = mask > 0
    print(f"{mask.shape[1]} x {mask.shape[0]} mask, {n - 1} components, {int(m.sum())} px")
    print(f"labelling alone        {t_label:.3f} s")
    print(f"mask -> polygons       {t_poly:.3f} s  ({t_poly / t_label:.0f}x labelling)")
    print(f"polygons -> mask       {t_back:.3f} s  ({t_back / t_label:.0f}x labelling)")
    print(f"round trip lost {(m & ~back).sum() / m.sum():.4%}, added {(back & ~m).sum() / m.sum():.4%}")


if __name__ == "__main__":
    main()
