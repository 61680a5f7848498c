"""An in-memory bank of artefact appearances (alpha masks) per class.

Entries come from RGBA images (the artefact in the alpha channel, e.g. the
6,100 hand-drawn images of the public data), from annotated polygons (their
rasterised shapes, when the scan pixels are not at hand), from cut-outs given
as arrays, and from the procedural generators. Each entry is cropped to its
alpha bounding box and kept as uint8 with its *area*: the alpha mass
``sum(alpha) / 255`` in pixels, which area-averaging resizes preserve.

:meth:`ArtefactBank.pick_many` draws, for target areas, entries close in area:
uniformly among those between the target and ``window`` times it (so that
appearances are shrunk, never grown much); failing that, among the
``k_nearest`` closest from above, or the largest ones. Imported images also
enter at successive halvings (a mip pyramid) so that big drawings serve small
targets without heavy downscaling at render time.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np

from annotation.core.types import CLASSES, ScanArtefacts
from imaging.io import ImageError, read_image
from imaging.progress import ProgressFn

from .procedural import SUPERSAMPLE, procedural_set

#: Folder -> class map of the public synthetic images (the paper's, per the data README).
SYNTHETIC_FOLDER_CLASSES: dict[str, str] = {
    "sprinkles": "dust",
    "dirt": "dirt", "dots": "dirt", "smut": "dirt", "spots": "dirt", "stain": "dirt", "scratches": "dirt",
    "hair-short": "short hair", "lint": "short hair",
    "hair": "long hair",
}
#: Smallest alpha mass (px) an entry may have.
MIN_AREA_PX = 2.0
_CACHE_VERSION = 1


class BankError(ValueError):
    """The bank cannot be built, read or used as asked."""


def crop_alpha(alpha: np.ndarray) -> np.ndarray | None:
    """``alpha`` (uint8, or float in [0, 1]) as uint8 cropped to its non-zero bounding box; None if empty."""
    a = np.asarray(alpha)
    if a.ndim != 2:
        raise BankError(f"an alpha mask must be 2-D, got shape {a.shape}")
    if a.dtype != np.uint8:
        a = np.clip(np.rint(a.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)
    rows, cols = np.flatnonzero(a.any(axis=1)), np.flatnonzero(a.any(axis=0))
    if rows.size == 0:
        return None
    return np.ascontiguousarray(a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1])


class ArtefactBank:
    """Alpha masks per class with their areas (px), sources and, when known, resolution (um/px)."""

    def __init__(self) -> None:
        self._alphas: dict[str, list[np.ndarray]] = {c: [] for c in CLASSES}
        self._areas: dict[str, list[float]] = {c: [] for c in CLASSES}
        self._sources: dict[str, list[str]] = {c: [] for c in CLASSES}
        self._um_per_px: dict[str, list[float]] = {c: [] for c in CLASSES}
        self._index: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # -- building -------------------------------------------------------------------------
    def add(self, cls: str, alpha: np.ndarray, *, source: str, um_per_px: float | None = None) -> bool:
        """Add one appearance; returns False (and adds nothing) if its area is below ``MIN_AREA_PX``."""
        if cls not in self._alphas:
            raise BankError(f"unknown artefact class {cls!r}; allowed: {CLASSES}")
        cropped = crop_alpha(alpha)
        if cropped is None:
            return False
        area = float(cropped.sum(dtype=np.int64)) / 255.0
        if area < MIN_AREA_PX:
            return False
        self._alphas[cls].append(cropped)
        self._areas[cls].append(area)
        self._sources[cls].append(source)
        self._um_per_px[cls].append(np.nan if um_per_px is None else float(um_per_px))
        self._index.pop(cls, None)
        return True

    def add_pyramid(self, cls: str, alpha: np.ndarray, *, source: str, levels: int = 6) -> int:
        """Add ``alpha`` and its successive halvings (area averaging) down to ``MIN_AREA_PX``."""
        level = crop_alpha(alpha)
        added = 0
        for i in range(levels):
            if level is None or not self.add(cls, level, source=f"{source}@{i}"):
                break
            added += 1
            h, w = level.shape
            if min(h, w) < 2:
                break
            level = crop_alpha(cv2.resize(level, ((w + 1) // 2, (h + 1) // 2), interpolation=cv2.INTER_AREA))
        return added

    def add_rgba_files(self, paths: Iterable[Path], cls: str, *, levels: int = 6) -> int:
        """Add RGBA (or grey) image files, the artefact in the alpha channel (grey: the intensity)."""
        added = 0
        for path in paths:
            try:
                img = read_image(path)
            except ImageError as exc:
                raise BankError(f"cannot read image {path} ({exc})") from None
            if img.dtype != np.uint8:
                img = (img.astype(np.float32) / np.iinfo(img.dtype).max * 255).round().astype(np.uint8)
            alpha = img[..., 3] if img.ndim == 3 and img.shape[2] == 4 else (img if img.ndim == 2 else None)
            if alpha is None:
                raise BankError(f"{path}: an artefact image needs an alpha channel (or one grey channel)")
            added += self.add_pyramid(cls, alpha, source=f"image:{Path(path).parent.name}/{Path(path).name}",
                                      levels=levels)
        return added

    def add_polygons(self, scans: Iterable[ScanArtefacts], *, classes: Iterable[str] = ("dust", "dirt"),
                     soften: float = 0.7) -> int:
        """Add annotated polygons' shapes (filled, anti-aliased, softened) at their scan resolution.

        A stand-in for cut-outs when the scan pixels are not at hand. Only
        ``classes`` are taken: by default dust and dirt, whose polygons trace
        the particle; those drawn round hairs and scratches are loose outlines
        whose fill looks like a ribbon, not a hair.
        """
        classes = set(classes)
        added = 0
        for scan in scans:
            um = float(np.sqrt(scan.frame.um2_per_px))
            for i, art in enumerate(scan.artefacts):
                if art.cls not in classes:
                    continue
                pts = np.asarray(art.polygon, dtype=np.float64)
                margin = 2 + int(np.ceil(2 * soften))
                pts = (pts - pts.min(axis=0) + margin) * SUPERSAMPLE
                w, h = (np.ceil(pts.max(axis=0)) + margin * SUPERSAMPLE).astype(int)
                canvas = np.zeros((h, w), dtype=np.uint8)
                cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], 255)
                small = cv2.resize(canvas, (max(1, w // SUPERSAMPLE), max(1, h // SUPERSAMPLE)),
                                   interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
                if soften > 0:
                    small = cv2.GaussianBlur(small, (0, 0), soften)
                added += self.add(art.cls, small, source=f"polygon:{scan.name}#{i}", um_per_px=um)
        return added

    def add_procedural(self, *, seed: int, per_class: int = 100,
                       classes: Iterable[str] = ("dust", "dirt", "short hair", "long hair")) -> int:
        """Add ``per_class`` procedural appearances per class, from ``seed``."""
        added = 0
        for i, cls in enumerate(classes):
            rng = np.random.default_rng([seed, i])
            for j, alpha in enumerate(procedural_set(cls, n=per_class, rng=rng)):
                added += self.add(cls, alpha, source=f"procedural:{cls}:{seed}:{j}")
        return added

    @classmethod
    def from_synthetic_folder(cls, root: str | os.PathLike, *, folders: dict[str, str] | None = None,
                              max_per_folder: int | None = None, levels: int = 6,
                              cache_path: str | os.PathLike | None = None,
                              progress: ProgressFn | None = None) -> ArtefactBank:
        """A bank of the images under ``root/<folder>/*.png`` (folder -> class by ``folders``).

        ``max_per_folder`` keeps the first N files (sorted) of each folder.
        With ``cache_path`` (an ``.npz`` file) the bank is read from the cache
        when it was built from the same root, folders, limit and file count,
        and written there otherwise.
        """
        folders = SYNTHETIC_FOLDER_CLASSES if folders is None else folders
        root = Path(root)
        files = {f: sorted((root / f).glob("*.png"))[:max_per_folder] for f in sorted(folders)}
        missing = [f for f, fs in files.items() if not fs]
        if missing:
            raise BankError(f"no PNG images in {[str(root / f) for f in missing]}")
        key = json.dumps({"root": str(root.resolve()), "folders": folders, "max": max_per_folder,
                          "levels": levels, "n": {f: len(v) for f, v in files.items()}}, sort_keys=True)
        if cache_path is not None and Path(cache_path).exists():
            bank = cls.load(cache_path, expect_key=key)
            if bank is not None:
                return bank
        bank = cls()
        for i, (folder, paths) in enumerate(files.items()):
            bank.add_rgba_files(paths, folders[folder], levels=levels)
            if progress is not None:
                progress(i + 1, len(files))
        if cache_path is not None:
            bank.save(cache_path, key=key)
        return bank

    def extend(self, other: ArtefactBank) -> None:
        """Add all entries of ``other``."""
        for c in CLASSES:
            for a, s, u in zip(other._alphas[c], other._sources[c], other._um_per_px[c]):
                self.add(c, a, source=s, um_per_px=None if np.isnan(u) else u)

    # -- storage --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, *, key: str = "") -> None:
        """Write the bank to a compressed ``.npz`` (one flat uint8 buffer plus an index), atomically."""
        entries = [(ci, a, s, u, ar) for ci, c in enumerate(CLASSES)
                   for a, s, u, ar in zip(self._alphas[c], self._sources[c], self._um_per_px[c], self._areas[c])]
        shapes = np.array([a.shape for _, a, _, _, _ in entries], dtype=np.int64).reshape(-1, 2)
        flat = np.concatenate([a.ravel() for _, a, _, _, _ in entries]) if entries else np.zeros(0, np.uint8)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp.npz")
        np.savez_compressed(tmp, version=_CACHE_VERSION, key=key, flat=flat, shapes=shapes,
                 classes=np.array([e[0] for e in entries], dtype=np.int64),
                 sources=np.array([e[2] for e in entries], dtype=str),
                 um_per_px=np.array([e[3] for e in entries], dtype=np.float64),
                 areas=np.array([e[4] for e in entries], dtype=np.float64))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike, *, expect_key: str | None = None) -> ArtefactBank | None:
        """Read a bank written by :meth:`save`; None if ``expect_key`` is given and differs."""
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"]) != _CACHE_VERSION:
                return None
            if expect_key is not None and str(data["key"]) != expect_key:
                return None
            flat, shapes = data["flat"], data["shapes"]
            classes, sources, ums, areas = data["classes"], data["sources"], data["um_per_px"], data["areas"]
        bank = cls()
        offsets = np.concatenate([[0], np.cumsum(shapes[:, 0] * shapes[:, 1])])
        for i, (h, w) in enumerate(shapes):
            alpha = flat[offsets[i]:offsets[i + 1]].reshape(h, w)
            c = CLASSES[int(classes[i])]
            bank._alphas[c].append(alpha)
            bank._areas[c].append(float(areas[i]))
            bank._sources[c].append(str(sources[i]))
            bank._um_per_px[c].append(float(ums[i]))
        return bank

    # -- reading ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return sum(len(v) for v in self._alphas.values())

    def count(self, cls: str) -> int:
        return len(self._alphas[cls])

    def alpha(self, cls: str, index: int) -> np.ndarray:
        """The uint8 cropped alpha of entry ``index`` of ``cls``."""
        return self._alphas[cls][index]

    def area(self, cls: str, index: int) -> float:
        return self._areas[cls][index]

    def source(self, cls: str, index: int) -> str:
        return self._sources[cls][index]

    def summary(self) -> dict[str, dict]:
        """Entries, area range and sources (by kind) per class."""
        out = {}
        for c in CLASSES:
            kinds: dict[str, int] = {}
            for s in self._sources[c]:
                kinds[s.split(":", 1)[0]] = kinds.get(s.split(":", 1)[0], 0) + 1
            areas = self._areas[c]
            out[c] = {"entries": len(areas), "sources": kinds,
                      "area_px_min": min(areas, default=0.0), "area_px_max": max(areas, default=0.0)}
        return out

    def _sorted(self, cls: str) -> tuple[np.ndarray, np.ndarray]:
        if cls not in self._index:
            areas = np.asarray(self._areas[cls], dtype=np.float64)
            order = np.argsort(areas, kind="stable")
            self._index[cls] = (areas[order], order)
        return self._index[cls]

    def pick_many(self, cls: str, target_areas_px: np.ndarray, rng: np.random.Generator, *,
                  window: float = 4.0, k_nearest: int = 8) -> np.ndarray:
        """Entry indices for target areas (px), each close in area (see the module docstring)."""
        if cls not in self._alphas:
            raise BankError(f"unknown artefact class {cls!r}; allowed: {CLASSES}")
        areas, order = self._sorted(cls)
        n = len(areas)
        targets = np.asarray(target_areas_px, dtype=np.float64).ravel()
        if n == 0:
            if targets.size:
                raise BankError(f"the bank holds no appearance of class {cls!r}")
            return np.zeros(0, dtype=np.int64)
        lo = np.searchsorted(areas, targets, side="left")
        hi = np.searchsorted(areas, targets * window, side="right")
        inside = hi > lo
        start = np.where(inside, lo, np.where(lo < n, lo, max(n - k_nearest, 0)))
        size = np.where(inside, hi - lo, np.where(lo < n, np.minimum(k_nearest, n - lo), min(k_nearest, n)))
        j = start + np.minimum((rng.random(targets.size) * size).astype(np.int64), size - 1)
        return order[j]

    def pick(self, cls: str, target_area_px: float, rng: np.random.Generator) -> int:
        """One entry index of ``cls`` close in area to ``target_area_px``."""
        return int(self.pick_many(cls, np.array([target_area_px]), rng)[0])
