"""Resumable builder of synthetic training datasets (damaged image, mask, clean target).

The build is planned first, deterministically, from the sorted clean file
names, the count and the seed: item ``i`` gets its clean source
(``i mod n_clean``), its split (a seeded permutation puts 10% in ``val``),
its polarity (negative or positive with equal probability) and its seeds, all
derived from ``(seed, i)``. :func:`missing_items` then lists the items whose
three files are not all in the output folder (the way Zulip's
``missing_thumbnails`` does), and only those are made; every file is written
to a temporary name and moved in place with ``os.replace``. So a build that a
killed worker left half done resumes without duplicates or gaps, and yields
the same bytes as a build run in one go. The manifest is written last:

``DIR/manifest.json = {"model": ..., "seed": ..., "items": [{"id": "0001",
"split": "train" | "val", "damaged": "damaged/0001.png", "mask":
"masks/0001.png", "clean": "clean/0001.png", "polarity": ..., "source": ...}, ...]}``
with masks 255 where damaged. ``DIR/build.json`` records the settings; a
resume with other settings is refused.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from annotation.core.types import FrameGeometry
from imaging.files import remove_temporaries, write_png_atomic
from imaging.io import IMAGE_SUFFIXES, image_size, read_image
from imaging.progress import ProgressFn

from .bank import ArtefactBank
from .grain import add_film_grain
from .model import DamageModel
from .overlays import item_polarity, item_seed
from .render import apply_overlay, overlay_counts, render_overlay

VAL_SHARE = 0.1
SUBDIRS = ("damaged", "masks", "clean")


class DatasetError(ValueError):
    """A synthetic dataset cannot be built as asked."""


@dataclass(frozen=True)
class PlanItem:
    """One planned item of a synthetic dataset."""

    index: int
    id: str
    split: str
    polarity: str
    source: str
    seed: int

    def paths(self) -> dict[str, str]:
        return {"damaged": f"damaged/{self.id}.png", "mask": f"masks/{self.id}.png",
                "clean": f"clean/{self.id}.png"}


def clean_images(clean_dir: str | os.PathLike) -> list[Path]:
    """The clean images of a folder (png, jpg, tif), sorted by name."""
    folder = Path(clean_dir)
    if not folder.is_dir():
        raise DatasetError(f"clean image folder {folder} does not exist")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DatasetError(f"no clean images ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    return files


def clean_image_sizes(clean_dir: str | os.PathLike) -> dict[str, tuple[int, int]]:
    """``{file name: (width, height)}`` of the clean images of a folder, read from their headers."""
    sizes = {}
    for path in clean_images(clean_dir):
        height, width = image_size(path)
        sizes[path.name] = (width, height)
    return sizes


def parse_crop(text: str) -> tuple[int, int] | None:
    """``"512x384"`` as ``(512, 384)``; ``None`` for an empty text; a clear error for anything else."""
    text = (text or "").strip().lower().replace(" ", "").replace("\u00d7", "x")
    if not text:
        return None
    parts = text.split("x")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise DatasetError(f"crop {text!r} is not of the form WIDTHxHEIGHT, e.g. 512x512")
    width, height = int(parts[0]), int(parts[1])
    if width < 16 or height < 16:
        raise DatasetError(f"crop {width} x {height} is too small: each side must be at least 16 px")
    return width, height


@dataclass(frozen=True)
class BuildCheck:
    """What a build would make, known before it starts: its items and how many carry no damage."""

    planned: int
    empty: int
    smallest: tuple[str, int, int]
    mean_artefacts: float

    @property
    def empty_share(self) -> float:
        return self.empty / self.planned if self.planned else 0.0


def check_build(model: DamageModel, sizes: dict[str, tuple[int, int]], *, count: int | None = None,
                seed: int = 0, crop: tuple[int, int] | None = None, px_per_mm: float | None = None,
                damage_level: float = 1.0) -> BuildCheck:
    """Refuse settings the build would fail on, and count the items it would leave without damage.

    Parameters
    ----------
    sizes : dict
        ``{name: (width, height)}`` of the clean images (:func:`clean_image_sizes`).

    Raises
    ------
    DatasetError
        A crop larger than the smallest clean image, ``px_per_mm`` without a crop or not positive,
        a damage level outside (0, 20], or a count below 1.

    The empty items are those whose overlay draws no artefact at all (:func:`overlay_counts`: the
    same draws the build makes), so their masks would be all zeros.
    """
    if not sizes:
        raise DatasetError("a dataset needs at least one clean image")
    if not (0 < damage_level <= 20):
        raise DatasetError(f"damage level must be in (0, 20], got {damage_level}")
    if px_per_mm is not None and (crop is None or not px_per_mm > 0):
        raise DatasetError("px per mm needs a crop and a positive value (e.g. 141.26 for 4K scans of 35 mm)")
    name, (sw, sh) = min(sizes.items(), key=lambda kv: (min(kv[1][0], kv[1][1]), kv[0]))
    if crop is not None:
        too_small = [(n, w, h) for n, (w, h) in sorted(sizes.items()) if crop[0] > w or crop[1] > h]
        if too_small:
            n, w, h = min(too_small, key=lambda t: (t[1] * t[2], t[0]))
            max_w, max_h = min(w for w, _ in sizes.values()), min(h for _, h in sizes.values())
            raise DatasetError(
                f"crop {crop[0]} x {crop[1]} is larger than the clean image {n} of {w} x {h} "
                f"({len(too_small)} of {len(sizes)} images are too small): choose a crop of at most "
                f"{max_w} x {max_h}, or no crop to use whole images")
    sources = sorted(sizes)
    plan = plan_dataset(sources, count=len(sources) if count is None else count, seed=seed)
    empty, total = 0, 0
    for item in plan:
        w, h = crop or sizes[item.source]
        if crop is not None and px_per_mm is not None:
            frame = FrameGeometry(w, h, w / px_per_mm, h / px_per_mm)
        else:
            full = FrameGeometry.for_35mm(*sizes[item.source])
            frame = FrameGeometry(w, h, full.frame_w_mm * w / full.width_px, full.frame_h_mm * h / full.height_px)
        n = sum(overlay_counts(model, width=w, height=h, frame=frame, seed=item.seed,
                               damage_level=damage_level).values())
        empty += n == 0
        total += n
    return BuildCheck(planned=len(plan), empty=empty, smallest=(name, sw, sh),
                      mean_artefacts=total / len(plan))


def plan_dataset(sources: list[str], *, count: int, seed: int) -> list[PlanItem]:
    """The deterministic plan of ``count`` items over the clean ``sources`` (file names)."""
    if count < 1:
        raise DatasetError(f"count must be >= 1, got {count}")
    if not sources:
        raise DatasetError("a dataset needs at least one clean image")
    digits = max(4, len(str(count)))
    n_val = int(round(count * VAL_SHARE)) if count >= 2 else 0
    perm = np.random.default_rng(np.random.SeedSequence([int(seed), 2])).permutation(count)
    val = set(perm[:n_val].tolist())
    return [PlanItem(i, f"{i + 1:0{digits}d}", "val" if i in val else "train",
                     item_polarity(seed, i, "random"), sources[i % len(sources)], item_seed(seed, i))
            for i in range(count)]


def missing_items(out_dir: str | os.PathLike, plan: list[PlanItem]) -> list[PlanItem]:
    """The planned items whose damaged image, mask or clean target is not in ``out_dir``."""
    out = Path(out_dir)
    return [item for item in plan if not all((out / p).is_file() for p in item.paths().values())]


def _crop(image: np.ndarray, crop: tuple[int, int] | None, rng: np.random.Generator,
          px_per_mm: float | None = None):
    h, w = image.shape[:2]
    if crop is None:
        return image, FrameGeometry.for_35mm(w, h)
    cw, ch = crop
    if cw > w or ch > h:
        raise DatasetError(f"crop {cw} x {ch} is larger than a clean image of {w} x {h}")
    x0, y0 = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    if px_per_mm is not None:  # the crop is a part of a scan of this resolution
        frame = FrameGeometry(cw, ch, cw / px_per_mm, ch / px_per_mm)
    else:  # the clean image is a whole 35 mm frame
        full = FrameGeometry.for_35mm(w, h)
        frame = FrameGeometry(cw, ch, full.frame_w_mm * cw / w, full.frame_h_mm * ch / h)
    return image[y0:y0 + ch, x0:x0 + cw], frame


def read_clean(path: str | os.PathLike) -> np.ndarray:
    """A clean image as uint8 / uint16, grey (H x W) or RGB (H x W x 3); alpha dropped."""
    image = read_image(path)
    if image.ndim == 3 and image.shape[2] == 4:
        image = np.ascontiguousarray(image[..., :3])
    return image


def _bgr(image: np.ndarray) -> np.ndarray:
    """RGB as BGR and back (a view; grey is returned as it is)."""
    return image[..., ::-1] if image.ndim == 3 else image


def make_item(model: DamageModel, bank: ArtefactBank, item: PlanItem, clean_dir: Path, out: Path, *,
              grain: bool, crop: tuple[int, int] | None, damage_level: float, device: str | None,
              px_per_mm: float | None = None) -> None:
    """Render one item and write its three files atomically (clean, mask, then damaged)."""
    rng = np.random.default_rng(np.random.SeedSequence([item.seed, 3]))
    clean, frame = _crop(read_clean(clean_dir / item.source), crop, rng, px_per_mm)
    if grain:
        # The datasets were first built on OpenCV's BGR arrays: the grain (its luma weights, which
        # of its three fields goes to which channel) is drawn in that order, so that a build gives
        # the bytes it always gave.
        clean = _bgr(add_film_grain(_bgr(clean), strength=float(rng.uniform(0.02, 0.05)),
                                    grain_size=float(rng.uniform(0.6, 1.4)), seed=int(rng.integers(2 ** 31))))
    h, w = clean.shape[:2]
    overlay = render_overlay(model, bank, width=w, height=h, frame=frame, seed=item.seed,
                             damage_level=damage_level, polarity=item.polarity, device=device)
    paths = item.paths()
    write_png_atomic(out / paths["clean"], clean)
    write_png_atomic(out / paths["mask"], overlay.mask.astype(np.uint8) * np.uint8(255), sparse=True)
    write_png_atomic(out / paths["damaged"], apply_overlay(clean, overlay))


def _check_settings(out: Path, settings: dict) -> None:
    path = out / "build.json"
    if path.exists():
        previous = json.loads(path.read_text())
        if previous != settings:
            raise DatasetError(f"{out} holds a build with other settings ({path}); use another folder")
        return
    tmp = path.with_name("build.json.tmp")
    tmp.write_text(json.dumps(settings, indent=1))
    os.replace(tmp, path)


def build_synthetic_dataset(model: DamageModel, bank: ArtefactBank, *, clean_dir: str | os.PathLike,
                            out_dir: str | os.PathLike, count: int | None = None, seed: int = 0,
                            grain: bool = True, crop: tuple[int, int] | None = None, damage_level: float = 1.0,
                            px_per_mm: float | None = None,
                            model_label: str = "",
                            device: str = "cpu", max_items: int | None = None,
                            progress: ProgressFn | None = None) -> dict:
    """Build (or resume) a synthetic dataset.

    Returns ``{"complete": bool, "present": n, "planned": count, "manifest":
    dict | None}``; the manifest (also in ``DIR/manifest.json``) only once
    every item is present.

    Parameters
    ----------
    clean_dir : path
        Folder of clean images (8 or 16 bit); item ``i`` uses the
        ``i mod n``-th by name.
    count : int, optional
        Number of items (default: one per clean image).
    grain : bool
        Add film grain to the clean target (and so to the damaged image).
    crop : (width, height), optional
        A seeded random crop of each clean image instead of the whole image;
        the overlay's frame is the matching part of a 35 mm frame.
    px_per_mm : float, optional
        With ``crop``: treat each crop as a part of a scan of this resolution
        (e.g. 4944 / 35 = 141.3 px/mm for the paper's 4K scans) instead of the
        clean image being a whole frame, so that artefacts get their physical
        size at that resolution.
    damage_level : float
        Multiplies the expected artefact counts.
    device : str
        Where overlays are composited. The default ``"cpu"`` keeps the bytes
        identical whichever worker resumes a build (the torch path agrees
        with it to about 1e-5 in alpha, not bit for bit).
    max_items : int, optional
        Make at most this many missing items in this call, then return
        ``{"complete": False, ...}`` without a manifest (a batch of a job).
    progress : callable, optional
        Called with (items present, items planned) after each item.
    """
    sources = [p.name for p in clean_images(clean_dir)]
    count = len(sources) if count is None else count
    plan = plan_dataset(sources, count=count, seed=seed)
    out = Path(out_dir)
    for sub in SUBDIRS:
        (out / sub).mkdir(parents=True, exist_ok=True)
        remove_temporaries(out / sub)
    label = model_label or model.source.get("description") or model.fitted_at
    _check_settings(out, {"model": label, "model_fitted_at": model.fitted_at, "seed": seed, "count": count,
                          "grain": grain, "crop": list(crop) if crop else None, "damage_level": damage_level,
                          **({"px_per_mm": px_per_mm} if px_per_mm is not None else {}),
                          "sources": sources})
    todo = missing_items(out, plan)
    done = count - len(todo)
    for n, item in enumerate(todo):
        if max_items is not None and n >= max_items:
            return {"complete": False, "present": done, "planned": count, "manifest": None}
        make_item(model, bank, item, Path(clean_dir), out, grain=grain, crop=crop, damage_level=damage_level,
                  px_per_mm=px_per_mm,
                  device=device)
        done += 1
        if progress is not None:
            progress(done, count)
    manifest = {"model": label, "seed": seed,
                "items": [{"id": it.id, "split": it.split, **it.paths(), "polarity": it.polarity,
                           "source": it.source} for it in plan]}
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1))
    os.replace(tmp, out / "manifest.json")
    return {"complete": True, "present": count, "planned": count, "manifest": manifest}
