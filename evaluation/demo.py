"""Demo content of the evaluation app (idempotent): a synthetic and an authentic benchmark, their baselines as jobs.

The "expert restorations" are scikit-image's bundled photographs, enlarged twice and with film grain
added; the "authentic damage" is a **stand-in** rendered on them by the project's own damage model
(fitted on the public annotations), half negative and half positive, at the pixel pitch of a crop of
a 4K scan of a 35 mm frame. The enlargement gives image detail the scale it has in such a crop: at
their own 300-640 px the photographs hold whole scenes, which at that pitch would be frames of 2 to
4.5 mm, so their detail would be far finer than a 4K scan's. The benchmark is imported through the
same importer as a real one (``damaged/`` + ``restored/``).

Beside it, an **authentic** benchmark: the development frame of ``AUTHENTIC_DEV_DATA`` (one CineStill 800T frame
with its expert restoration, from the paper's FILM-R v2 set), imported by path when it is there.

The baseline rows of both (the do-nothing row and every restoration method available here) are **jobs**, queued
here and computed by the worker once the site is up: the leaderboard says they are being computed, with the job.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from imaging.io import write_image

from . import selectors
from .models import Benchmark
from .services.baselines import baselines_enqueue
from .services.benchmarks import benchmark_import

DEMO_BENCHMARK = "Demo: synthetic damage"
DEMO_IMAGES = ("astronaut", "coffee", "chelsea", "rocket")
#: Pixel pitch of the demo images: as if they were crops of 5000 px wide scans of 35 mm frames.
DEMO_UM_PER_PX = 7.0
DEMO_DAMAGE_LEVEL = 1.5
#: Enlargement of the photographs (cubic) before the grain: detail at the scale of a 4K scan crop.
DEMO_UPSCALE = 2
DEMO_SEED = 7
#: The registry methods of the demo's baseline jobs (None: every method).
DEMO_BASELINE_METHODS: list[str] | None = None
AUTHENTIC_BENCHMARK = "Authentic: development frame (CineStill 800T)"
AUTHENTIC_DESCRIPTION = ("One authentic frame: a scan of colour negative 35 mm film (CineStill 800T) with real dust "
                         "and scratches, and the same frame restored by hand by a professional. From the paper's "
                         "authentic evaluation set (FILM-R v2), published at reduced size (1423 x 1024 px, about "
                         "40.7 px/mm). One frame shows real damage, grain and picture content; it is too small a set "
                         "to rank methods by.")
#: Ground-truth threshold of the authentic frame: both images are JPEGs, and at the default 0.02 their compression
#: noise makes the binarised difference 1.8% of the frame against the 0.11% of the expert mask the paper's authors
#: derived from the pair (``reference/`` beside it; IoU 0.06); at 0.15 it is 0.17%, IoU 0.46 with that mask.
AUTHENTIC_THRESHOLD = 0.15
AUTHENTIC_SOURCE = ("FILM-R v2, doi:10.6084/m9.figshare.21803304 (CC BY 4.0); photograph by Dmitri Tcherbadji of "
                    "Analog.Cafe")
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


def baselines_queue(*, benchmark: Benchmark, log) -> None:
    """Queue the job of ``benchmark``'s baseline rows unless they are computed or a job is on them already."""
    if benchmark.baseline_report.get("finished_at"):
        return
    job = selectors.baseline_jobs(benchmarks=[benchmark]).get(benchmark.pk)
    if job is None or job.is_terminal:
        owner = get_user_model().objects.filter(username="researcher").first()  # the demo researcher follows it
        job = baselines_enqueue(benchmark=benchmark, methods=DEMO_BASELINE_METHODS, user=owner)
    log(f"  baselines of {benchmark.name!r}: job {job.pk} ({job.state}); the worker computes them after the start")


def authentic_benchmark(*, log) -> Benchmark | None:
    """The authentic benchmark of the development frame, imported from ``AUTHENTIC_DEV_DATA`` by path."""
    benchmark = Benchmark.objects.filter(name=AUTHENTIC_BENCHMARK).first()
    if benchmark is not None:
        return benchmark
    root = Path(settings.AUTHENTIC_DEV_DATA) / "benchmark"
    if not ((root / "damaged").is_dir() and (root / "restored").is_dir()):
        log(f"  authentic development frame not found at {root} (damaged/ + restored/): skipping the authentic "
            "benchmark; the README says how to import the paper's authentic set")
        return None
    benchmark = benchmark_import(directory=root, name=AUTHENTIC_BENCHMARK, description=AUTHENTIC_DESCRIPTION,
                                 source=AUTHENTIC_SOURCE, threshold=AUTHENTIC_THRESHOLD)
    log(f"  benchmark {benchmark.name!r}: {benchmark.images.count()} authentic image from {root}")
    return benchmark


def synthetic_benchmark(*, log) -> Benchmark | None:
    benchmark = Benchmark.objects.filter(name=DEMO_BENCHMARK).first()
    if benchmark is not None:
        return benchmark
    from synthesis.demo import demo_damage_model

    record = demo_damage_model(log=log)
    if record is None:
        log("  no damage model and no FilmDamageSimulator dataset: skipping the synthetic benchmark")
        return None
    with tempfile.TemporaryDirectory(prefix="demo-benchmark-") as tmp:
        root = write_demo_pairs(record=record, root=Path(tmp))
        benchmark = benchmark_import(directory=root, name=DEMO_BENCHMARK, description=DESCRIPTION,
                                     source=f"scikit-image sample photographs + damage model {record.label}")
    log(f"  benchmark {benchmark.name!r}: {benchmark.images.count()} images")
    return benchmark


def load_demo(*, log) -> None:
    started = time.monotonic()
    for benchmark in (authentic_benchmark(log=log), synthetic_benchmark(log=log)):
        if benchmark is not None:
            baselines_queue(benchmark=benchmark, log=log)
    log(f"  leaderboard demo content ready in {time.monotonic() - started:.1f} s")
