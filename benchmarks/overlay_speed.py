"""Seconds per 4944 x 3396 damage overlay, against a naive per-artefact full-frame baseline.

The damage model is fitted on the ten public annotation files and the bank
holds the public synthetic images (``--max-per-folder``), the dust and dirt
polygons and procedural shapes. Timed, per overlay:

* ``fast cpu``: ``render_overlay(device="cpu")`` (plan + composite + mask);
* ``fast gpu``: the same with ``device="cuda"``, when torch sees a GPU;
* ``baseline``: the same plan composited as a naive generator (such as the
  paper's public reference) does: for each artefact, warp it into a
  full-frame layer and alpha-composite that layer over the full frame. It is
  timed on the first ``--baseline-artefacts`` artefacts and scaled to the
  overlay's artefact count (its cost is linear in the count); ``0`` runs all.

The baseline's output is checked against the fast compositor's on the same
artefacts, so both compute the same overlay. Usage::

    .venv/bin/python benchmarks/overlay_speed.py [--count 5] [--baseline-artefacts 100]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from annotation.core.formats import load_public_dataset  # noqa: E402
from synthesis.core.bank import ArtefactBank  # noqa: E402
from synthesis.core.fit import fit_damage_model  # noqa: E402
from synthesis.core.render import (  # noqa: E402
    OverlayPlan,
    composite_cpu,
    default_device,
    item_affine,
    item_source,
    plan_overlay,
    render_overlay,
)

WIDTH, HEIGHT = 4944, 3396


def data_dir() -> Path:
    return Path(os.environ.get("FILM_DAMAGE_DATA", REPO.parent / "shared" / "data" / "film-damage-simulator"))


def composite_naive(plan: OverlayPlan, bank: ArtefactBank) -> np.ndarray:
    """Per artefact: warp into a full-frame layer, then composite the full frame over the result."""
    alpha = np.zeros((plan.height, plan.width), np.float32)
    for i in range(len(plan)):
        src, sx, sy = item_source(plan, bank, i)
        m, x0, y0, _, _ = item_affine(src.shape, sx, sy, float(plan.angle[i]), plan.x[i], plan.y[i])
        m = m.copy()
        m[:, 2] += (x0, y0)  # patch coordinates -> frame coordinates
        layer = cv2.warpAffine(src, m, (plan.width, plan.height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        alpha = alpha + np.clip(layer, 0, 1) * (1.0 - alpha)
    return alpha


def head(plan: OverlayPlan, n: int) -> OverlayPlan:
    """The plan's first ``n`` artefacts."""
    cut = {k: getattr(plan, k)[:n] for k in ("cls", "entry", "scale", "angle", "x", "y", "area_px")}
    return replace(plan, patches={k: v for k, v in plan.patches.items() if k < n}, **cut)


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=5, help="overlays timed per path")
    parser.add_argument("--baseline-artefacts", type=int, default=100, help="0: the whole overlay")
    parser.add_argument("--max-per-folder", type=int, default=50, help="synthetic images per folder")
    parser.add_argument("--threads", type=int, default=0, help="OpenCV / torch threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        cv2.setNumThreads(args.threads)
    root = data_dir()
    scans, _report = load_public_dataset(root)
    model = fit_damage_model(scans, description="public annotations")
    bank = ArtefactBank.from_synthetic_folder(root / "synthetic", max_per_folder=args.max_per_folder)
    bank.add_polygons(scans)
    bank.add_procedural(seed=0, per_class=100)
    print(f"bank: {len(bank)} entries; target {WIDTH} x {HEIGHT}; cv2 threads {cv2.getNumThreads()}")

    render_overlay(model, bank, width=WIDTH, height=HEIGHT, seed=0, device="cpu")  # warm-up
    seeds = iter(range(1, 10 ** 6))
    cpu = timed(lambda: render_overlay(model, bank, width=WIDTH, height=HEIGHT, seed=next(seeds),
                                       device="cpu"), args.count)
    fast = statistics.median(cpu)
    print(f"fast cpu : {fast:.3f} s per overlay (median of {args.count}; min {min(cpu):.3f})")

    plan = plan_overlay(model, bank, width=WIDTH, height=HEIGHT, seed=1)
    n = len(plan) if args.baseline_artefacts <= 0 else min(args.baseline_artefacts, len(plan))
    part = head(plan, n)
    start = time.perf_counter()
    naive = composite_naive(part, bank)
    naive_s = (time.perf_counter() - start) * len(plan) / n
    diff = float(np.abs(naive - composite_cpu(part, bank)).max())
    print(f"baseline : {naive_s:.2f} s per overlay ({n} of {len(plan)} artefacts timed"
          f"{', scaled linearly' if n < len(plan) else ''}); max |alpha difference| vs fast {diff:.1e}")
    print(f"ratio    : baseline / fast cpu = {naive_s / fast:.0f}x")

    if default_device() == "cuda":
        import torch

        render_overlay(model, bank, width=WIDTH, height=HEIGHT, seed=0, device="cuda")
        gpu = timed(lambda: (render_overlay(model, bank, width=WIDTH, height=HEIGHT, seed=next(seeds),
                                            device="cuda"), torch.cuda.synchronize()), args.count)
        print(f"fast gpu : {statistics.median(gpu):.3f} s per overlay ({torch.cuda.get_device_name()}); "
              f"baseline / fast gpu = {naive_s / statistics.median(gpu):.0f}x")
    else:
        print("fast gpu : no GPU visible to torch, skipped")


if __name__ == "__main__":
    main()
