"""Restoration quality on a held-out proxy of authentic damage, against the do-nothing baseline.

No authentic damaged scans with expert restorations are at hand here, so the
proxy is built the way the issue asks: clean film-like images (generated scenes
with seeds the training set never used, and fresh crops of the bundled
photographs), film grain, and damage drawn by the damage model fitted on the
ten public annotation files, with seeds the training set never used, at the
resolution of the paper's 4K scans (4944 px over 35 mm). Every available method
restores every image; full-frame PSNR and SSIM (metric card) and LPIPS (AlexNet)
are reported with the do-nothing row, and inside/outside the damage.

Usage::

    .venv/bin/python benchmarks/restoration_quality.py [--images 8] [--size 768] [--lpips]
        [--weights-dir DIR] [--methods unet-grain,restoration-unet]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from annotation.core.formats import load_public_dataset  # noqa: E402
from annotation.core.types import FrameGeometry  # noqa: E402
from evaluation.core.metrics import masked_psnr, psnr, ssim  # noqa: E402
from restoration.core.clean_images import SKIMAGE_SAMPLES, generated_scene  # noqa: E402
from restoration.core.methods import get_methods  # noqa: E402
from synthesis.core.bank import ArtefactBank  # noqa: E402
from synthesis.core.fit import fit_damage_model  # noqa: E402
from synthesis.core.grain import add_film_grain  # noqa: E402
from synthesis.core.render import apply_overlay, render_overlay  # noqa: E402

PX_PER_MM = 4944 / 35.0
HELD_OUT_SEED = 900_000  # the training set used seeds below 1,000


def proxy_set(n: int, size: int, data_root: Path) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """``n`` (name, clean, damaged, damage mask) triples, half generated scenes, half photo crops."""
    import cv2
    from skimage import data

    scans, _ = load_public_dataset(data_root)
    model = fit_damage_model(scans)
    bank = ArtefactBank.from_synthetic_folder(data_root / "synthetic", cache_path=REPO / "var" / "cache" /
                                              "artefact-bank.npz")
    bank.add_procedural(seed=0, per_class=100)
    rng = np.random.default_rng(HELD_OUT_SEED)
    items = []
    for i in range(n):
        if i % 2 == 0:
            clean, name = generated_scene(size=(size, size), seed=HELD_OUT_SEED + i), f"scene-{i}"
        else:
            photo = getattr(data, SKIMAGE_SAMPLES[(i // 2) % len(SKIMAGE_SAMPLES)])()
            photo = photo if photo.ndim == 3 else np.repeat(photo[..., None], 3, axis=2)
            f = 2 * size / min(photo.shape[:2])
            big = cv2.resize(photo[..., :3], None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
            y, x = rng.integers(0, big.shape[0] - size + 1), rng.integers(0, big.shape[1] - size + 1)
            clean, name = np.ascontiguousarray(big[y:y + size, x:x + size]), f"photo-{i}"
        clean = add_film_grain(clean, strength=0.03, grain_size=1.0, seed=HELD_OUT_SEED + i)
        frame = FrameGeometry(size, size, size / PX_PER_MM, size / PX_PER_MM)
        overlay = render_overlay(model, bank, width=size, height=size, frame=frame, seed=HELD_OUT_SEED + i,
                                 polarity="negative" if i % 4 < 2 else "positive", device="cpu")
        items.append((name, clean, apply_overlay(clean, overlay), overlay.alpha > 0.02))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--size", type=int, default=768)
    parser.add_argument("--lpips", action="store_true", help="Also compute LPIPS (slower).")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "film-damage-simulator")
    parser.add_argument("--weights-dir", type=Path, help="Candidate weights (default: the shipped ones).")
    parser.add_argument("--methods", help="Comma-separated method names (default: every available one).")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    items = proxy_set(args.images, args.size, args.data)
    methods = get_methods(weights_dir=args.weights_dir)
    if args.methods:
        wanted = args.methods.split(",")
        unknown = sorted(set(wanted) - set(methods))
        if unknown:
            parser.error(f"unknown methods {unknown}; known: {sorted(methods)}")
        methods = {k: v for k, v in methods.items() if k in wanted}
    rows: dict[str, dict[str, list[float]]] = {}
    for label, method in [("do-nothing", None), *methods.items()]:
        if method is not None and not method.available():
            print(f"{label:<18} unavailable: {method.reason_unavailable}")
            continue
        scores = rows.setdefault(label, {"psnr": [], "ssim": [], "psnr_damage": [], "psnr_clean": [],
                                         "lpips": [], "seconds": []})
        for _name, clean, damaged, mask in items:
            start = time.perf_counter()
            restored = damaged if method is None else method.run(damaged, device="cpu").image
            scores["seconds"].append(time.perf_counter() - start)
            scores["psnr"].append(psnr(clean, restored))
            scores["ssim"].append(ssim(clean, restored))
            scores["psnr_damage"].append(masked_psnr(clean, restored, mask))
            scores["psnr_clean"].append(masked_psnr(clean, restored, ~mask))
            if args.lpips:
                from imaging.lpips import lpips_distance

                scores["lpips"].append(lpips_distance(clean, restored))
    print(f"\n{args.images} held-out {args.size} x {args.size} images, damage at {PX_PER_MM:.1f} px/mm "
          f"(mean damaged share {statistics.mean(float(m.mean()) for *_, m in items):.4f})")
    head = f"{'method':<18}{'PSNR':>8}{'±':>6}{'SSIM':>8}{'PSNR dmg':>10}{'PSNR clean':>12}"
    print(head + (f"{'LPIPS':>8}" if args.lpips else "") + f"{'s/img':>8}{'ΔPSNR vs nothing':>18}")
    base = statistics.mean(rows["do-nothing"]["psnr"])
    for label, s in rows.items():
        finite = [v for v in s["psnr_clean"] if np.isfinite(v)]
        line = (f"{label:<18}{statistics.mean(s['psnr']):8.2f}{statistics.pstdev(s['psnr']):6.2f}"
                f"{statistics.mean(s['ssim']):8.4f}{statistics.mean(s['psnr_damage']):10.2f}"
                f"{(statistics.mean(finite) if finite else float('inf')):12.2f}")
        if args.lpips:
            line += f"{statistics.mean(s['lpips']):8.4f}"
        line += f"{statistics.mean(s['seconds']):8.2f}{statistics.mean(s['psnr']) - base:+18.2f}"
        print(line)


if __name__ == "__main__":
    main()
