"""Importing benchmarks: pairs of authentic damaged scans and expert restorations, with their masks.

``benchmark_import`` accepts the folder layouts of ``evaluation.core.layout`` (the paper's public
dataset as published: ``damaged/`` + ``restored/``). Every pair is checked on its headers first
(size, channels, bit depth must agree) and then read in full; the ground-truth damage mask is the
damaged/restored difference binarised at ``threshold``, which the benchmark records. On any problem
nothing is kept: the rows and the files stored so far are removed.
"""
from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

from evaluation.core.layout import BenchmarkLayout, BenchmarkPair, LayoutError, find_benchmark_pairs
from evaluation.core.metrics import MetricInputError, check_pair
from evaluation.core.scoring import DEFAULT_DAMAGE_THRESHOLD, DEFAULT_DILATION
from evaluation.core.segmentation import groundtruth_mask
from imaging.archives import ArchiveError, safe_extract_zip
from imaging.io import ImageError, image_size, probe_image, read_image
from jobs import services as job_services

from ..models import Benchmark, BenchmarkImage
from . import files

MAX_DILATION = 50
MAX_BENCHMARK_FILES = 5000


class BenchmarkImportError(ValueError):
    """A benchmark folder or archive that cannot be imported; the message lists every problem."""


def check_import_options(*, name: str, threshold: float, dilation: int) -> str:
    """Refuse an empty or taken name, a threshold outside [0, 1) and a dilation outside 0..50."""
    name = (name or "").strip()
    if not name:
        raise BenchmarkImportError("A benchmark needs a name.")
    if Benchmark.objects.filter(name=name).exists():
        raise BenchmarkImportError(f"A benchmark named {name!r} exists already; choose another name.")
    if not 0.0 <= float(threshold) < 1.0:
        raise BenchmarkImportError(f"The threshold must be in [0, 1) on the normalised difference, got {threshold}.")
    if not 0 <= int(dilation) <= MAX_DILATION:
        raise BenchmarkImportError(f"The dilation must be 0 to {MAX_DILATION} px, got {dilation}.")
    return name


def _header_problems(pair: BenchmarkPair) -> list[str]:
    try:
        sizes = {label: image_size(path) for label, path in (("damaged", pair.damaged), ("restored", pair.restored))}
        infos = {label: probe_image(path) for label, path in (("damaged", pair.damaged),
                                                              ("restored", pair.restored))}
    except ImageError as exc:
        return [f"{pair.name}: {exc}"]
    problems = []
    if sizes["damaged"] != sizes["restored"]:
        (dh, dw), (rh, rw) = sizes["damaged"], sizes["restored"]
        problems.append(f"{pair.name}: the damaged scan is {dw} x {dh} px but the restoration {rw} x {rh} px")
    d, r = infos["damaged"], infos["restored"]
    if (d.channels, d.bit_depth) != (r.channels, r.bit_depth):
        problems.append(f"{pair.name}: the damaged scan has {d.channels} channel(s) at {d.bit_depth} bits but the "
                        f"restoration {r.channels} at {r.bit_depth}")
    return problems


def _read_pair(pair: BenchmarkPair):
    try:
        damaged = read_image(pair.damaged, max_pixels=settings.MAX_IMAGE_PIXELS, single_image=True)
        restored = read_image(pair.restored, max_pixels=settings.MAX_IMAGE_PIXELS, single_image=True)
        check_pair(damaged, restored)
    except (ImageError, MetricInputError) as exc:
        raise BenchmarkImportError(f"{pair.name}: {exc}") from exc
    if damaged.dtype.name not in ("uint8", "uint16"):
        raise BenchmarkImportError(f"{pair.name}: {damaged.dtype} images are not accepted; use 8 or 16 bits")
    return damaged, restored


def _store_pair(benchmark: Benchmark, pair: BenchmarkPair, stored: list[str]) -> BenchmarkImage:
    """Store one pair's files and return its (unsaved) row."""
    damaged, restored = _read_pair(pair)
    mask = groundtruth_mask(damaged, restored, threshold=benchmark.threshold)
    base = f"benchmarks/{benchmark.pk}"
    names: dict[str, str] = {}
    writers = {
        "damaged": lambda: files.store_file(f"{base}/inputs/{pair.name}{pair.damaged.suffix.lower()}", pair.damaged),
        "restored": lambda: files.store_file(
            files.private(f"{base}/ground-truth/{pair.name}{pair.restored.suffix.lower()}"), pair.restored),
        "gt_mask": lambda: files.store_png(files.private(f"{base}/masks/{pair.name}.png"), mask.astype("uint8") * 255),
        "damaged_display": lambda: files.store_display(f"{base}/display/{pair.name}-input.png", damaged),
        "restored_display": lambda: files.store_display(files.private(f"{base}/display/{pair.name}-gt.png"),
                                                        restored),
    }
    for key, write in writers.items():
        names[key] = write()
        stored.append(names[key])  # each file as soon as it exists, so that a failure removes it
    return BenchmarkImage(
        benchmark=benchmark, name=pair.name, width=damaged.shape[1], height=damaged.shape[0],
        channels=1 if damaged.ndim == 2 else damaged.shape[2], bit_depth=damaged.dtype.itemsize * 8,
        damage_fraction=float(mask.mean()), **names)


def benchmark_import(
    *,
    directory: str | Path,
    name: str,
    threshold: float = DEFAULT_DAMAGE_THRESHOLD,
    dilation: int = DEFAULT_DILATION,
    description: str = "",
    source: str = "",
    user=None,
    progress=None,
) -> Benchmark:
    """Import the pairs of ``directory`` as a new benchmark ``name``.

    Raises
    ------
    BenchmarkImportError
        Unknown or ambiguous layout, names that do not pair up, unreadable images, pairs that differ
        in size, channels or bit depth, alpha channels, or a taken name. Nothing is kept.
    """
    name = check_import_options(name=name, threshold=threshold, dilation=dilation)
    try:
        layout: BenchmarkLayout = find_benchmark_pairs(directory)
    except LayoutError as exc:
        raise BenchmarkImportError(str(exc)) from exc
    problems = [p for pair in layout.pairs for p in _header_problems(pair)]
    if problems:
        raise BenchmarkImportError(f"{len(problems)} problem(s):\n" + "\n".join(problems))
    benchmark = Benchmark.objects.create(name=name, description=description, source=source or str(directory),
                                         layout=layout.kind, threshold=float(threshold), dilation=int(dilation),
                                         created_by=user)
    stored: list[str] = []
    try:
        # Files are written one pair at a time outside any transaction (a 44-scan set takes minutes and
        # must not hold the database's write lock); the rows are created together at the end, so the
        # benchmark shows no image (and takes no submission) until every pair is in.
        images = []
        for done, pair in enumerate(layout.pairs, start=1):
            images.append(_store_pair(benchmark, pair, stored))
            if progress:
                progress(done, len(layout.pairs))
        with transaction.atomic():
            BenchmarkImage.objects.bulk_create(images)
    except BaseException:
        files.delete_names(stored)
        benchmark.delete()
        raise
    return benchmark


def benchmark_import_zip(*, archive: str | Path, **options) -> Benchmark:
    """Import a zip of a benchmark folder (unsafe paths, bombs and too many files are refused)."""
    with tempfile.TemporaryDirectory(prefix="benchmark-") as tmp:
        try:
            safe_extract_zip(archive, Path(tmp) / "x", max_files=MAX_BENCHMARK_FILES)
        except ArchiveError as exc:
            raise BenchmarkImportError(str(exc.named("the benchmark zip"))) from exc
        return benchmark_import(directory=Path(tmp) / "x", **options)


def benchmark_import_enqueue(*, upload, name: str, threshold: float = DEFAULT_DAMAGE_THRESHOLD,
                             dilation: int = DEFAULT_DILATION, description: str = "", user=None):
    """Keep an uploaded zip and start the job that imports it (from the pages)."""
    name = check_import_options(name=name, threshold=threshold, dilation=dilation)
    folder = Path(settings.VAR_DIR) / "uploads" / "benchmarks"
    folder.mkdir(parents=True, exist_ok=True)
    path = files.copy_upload(upload, folder / f"{uuid.uuid4().hex}.zip")
    return job_services.job_submit(kind="benchmark.import", user=user, params={
        "archive": str(path), "name": name, "threshold": float(threshold), "dilation": int(dilation),
        "description": description, "source": getattr(upload, "name", "upload")})

