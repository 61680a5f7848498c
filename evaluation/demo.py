"""Demo content of the evaluation app (idempotent): a small benchmark of synthetic damage and its baselines.

The "expert restorations" are scikit-image's bundled photographs, enlarged twice and with film grain
added; the "authentic damage" is a **stand-in** rendered on them by the project's own damage model
(fitted on the public annotations), half negative and half positive, at the pixel pitch of a crop of
a 4K scan of a 35 mm frame. The enlargement gives image detail the scale it has in such a crop: at
their own 300-640 px the photographs hold whole scenes, which at that pitch would be frames of 2 to
4.5 mm, so their detail would be far finer than a 4K scan's. The benchmark is imported through the
same importer as a real one (``damaged/`` + ``restored/``), then the baseline rows (the do-nothing
row and every restoration method available here) are computed in this process, not as a job.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from imaging.io import write_image

from .models import Benchmark, Submission
from .services.baselines import baselines_compute
from .services.benchmarks import benchmark_import

DEMO_BENCHMARK = "Demo: synthetic damage"
DEMO_IMAGES = ("astronaut", "coffee", "chelsea", "rocket")
#: Pixel pitch of the demo images: as if they were crops of 5000 px wide scans of 35 mm frames.
DEMO_UM_PER_PX = 7.0
DEMO_DAMAGE_LEVEL = 1.5
#: Enlargement of the photographs (cubic) before the grain: detail at the scale of a 4K scan crop.
DEMO_UPSCALE = 2
DEMO_SEED = 7
DESCRIPTION = ("A demonstration benchmark: scikit-image's sample photographs, enlarged twice, with film grain "
               "stand in for expert restorations, and damage drawn by this application's own damage model stands "
               "in for authentic damage. Its scores show how the leaderboard works, not how methods fare on real "
               "film.")


def write_demo_pairs(*, record, root: Path, seed: int = DEMO_SEED) -> Path:
    """Write ``root/damaged/<name>.png`` and ``root/restored/<name>.png`` (same bytes for the same seed)."""
    import cv2
    from skimage import data

    from annotation.core.types import FrameGeometry
    from synthesis.core.grain import add_film_grain
    from synthesis.core.render import apply_overlay, render_overlay
    from synthesis.services import artefact_bank, damage_model_core

    model, bank = damage_model_core(record), artefact_bank()
    for folder in ("damaged", "restored"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(DEMO_IMAGES):
        photo = cv2.resize(getattr(data, name)(), None, fx=DEMO_UPSCALE, fy=DEMO_UPSCALE,
                           interpolation=cv2.INTER_CUBIC)
        clean = add_film_grain(photo, seed=seed + i)
        height, width = clean.shape[:2]
        frame = FrameGeometry.for_format(width, height, max(width, height) * DEMO_UM_PER_PX / 1000,
                                         min(width, height) * DEMO_UM_PER_PX / 1000)
        overlay = render_overlay(model, bank, width=width, height=height, frame=frame, seed=seed + i,
                                 damage_level=DEMO_DAMAGE_LEVEL, polarity=("negative", "positive")[i % 2],
                                 device="cpu")
        write_image(root / "restored" / f"{name}.png", clean)
        write_image(root / "damaged" / f"{name}.png", apply_overlay(clean, overlay))
    return root


def load_demo(*, log) -> None:
    started = time.monotonic()
    benchmark = Benchmark.objects.filter(name=DEMO_BENCHMARK).first()
    if benchmark is None:
        from synthesis.demo import demo_damage_model

        record = demo_damage_model(log=log)
        if record is None:
            log("  no damage model and no FilmDamageSimulator dataset: skipping leaderboard demo content")
            return
        with tempfile.TemporaryDirectory(prefix="demo-benchmark-") as tmp:
            root = write_demo_pairs(record=record, root=Path(tmp))
            benchmark = benchmark_import(directory=root, name=DEMO_BENCHMARK, description=DESCRIPTION,
                                         source=f"scikit-image sample photographs + damage model {record.label}")
        log(f"  benchmark {benchmark.name!r}: {benchmark.images.count()} images")
    if not benchmark.submissions.filter(is_baseline=True, state=Submission.State.SCORED).exists():
        report = baselines_compute(benchmark=benchmark)
        skipped = "; ".join(f"{k} ({v})" for k, v in report["skipped"].items())
        log(f"  baselines: {', '.join(report['computed'])}" + (f"; skipped {skipped}" if skipped else ""))
        log(f"  leaderboard demo ready in {time.monotonic() - started:.1f} s")
