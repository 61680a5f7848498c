"""The clean corpus the damage detector is trained and evaluated on: photographs and hard negatives.

A detector trained on a handful of photographs flags printed text, edges and highlights as damage.
This corpus gives it many real photographs and, rendered on crops of them, the content it most
often mistakes for dust and hair (:mod:`restoration.core.hard_negatives`: text, line art, wires,
stars, highlights). It is built offline from Debian packages (``make corpus``), never committed.

Sources
-------
The photographs come from desktop-wallpaper packages, one *source* per package family
(:data:`SOURCE_PACKAGES`), and from scikit-image's bundled samples (source ``skimage``). Each
picture is kept once, at its largest size (plasma ships each wallpaper at up to 13 sizes under
``contents/images/``, mostly as links to one file; mate ships ``Elephants_3840x2160.jpg`` beside
``Elephants.jpg``). Most wallpapers are abstract, vector or rendered art; two filters keep the
photographs:

* :func:`is_photograph`, a pixel test (thresholds in :data:`PHOTO_THRESHOLDS`, measured at a long
  side of at most 2,048 px): a photograph has fine noise over most of the picture (the 25th
  percentile of the 16 px block standard deviation of ``grey - box3(grey)`` at least 0.25 grey
  levels), few flat blocks (at most 70% with a grey standard deviation under 1), at least 24 colours
  at 5 bits a channel, mid-scale structure somewhere (at least 0.5% of the blocks with a
  sigma-2-to-4 band above the fine noise) and fine chroma noise no stronger than its luma noise
  (ratio at most 1.6: dithered colour art). On the packages installed here it kept every
  photograph and rejected 49 of the 73 art files (flat and gradient vector art, symbols, synthetic
  blurred auroras);
* :data:`NOT_PHOTOGRAPHS`, a list reviewed by eye of the art the pixel test cannot tell from a
  photograph: grainy 3D renders and rendered textures (plasma's Honeywave, Shell, Volna...,
  gnome's wood, grid, licorice, pixels; 20 pictures).

Photographs kept (Debian 13 packages, ``make corpus``): plasma 11 of 30 wallpapers, gnome 0 of 25
pictures, mate 12 of 30, ukui 0 of 12, lomiri 15 of 19, skimage 14 (not tested).

Splits
------
By source, never by crop: :data:`HELDOUT_SOURCES` (mate and lomiri: 27 photographs) are held out,
every other source (plasma, skimage, gnome, ukui, any other folder: 25 photographs) is training's.
The mate backgrounds are the held-out pictures of ``benchmarks/detection_proxy.py`` too; the lomiri
ones (:data:`CALIBRATION_SOURCES`) are where a detector's operating point is chosen
(:func:`calibration_items`): pictures that neither training nor the benchmark sees. Fonts are
split by family: file names starting with one of :data:`HELDOUT_FONT_PREFIXES` (Liberation,
FreeFont) are held out, the others (DejaVu) are training's. A render uses only a background photo
and a font of its own split.

Layout
------
``out_dir/<source>/<name>.png`` (photographs, 8-bit RGB, long side at most ``long_side``),
``out_dir/<source>/renders/<kind>-<index>.png`` (renders, on a background of that source) and
``out_dir/manifest.json``::

    {"version": 1, "seed": 0, "complete": true, "settings": {...},
     "items": [{"path": "plasma/Path.png", "source": "plasma", "kind": "photo", "split": "train"},
               {"path": "mate/renders/text-000.png", "source": "mate", "kind": "text", "split": "heldout",
                "font": "LiberationSans-Bold", "background": "mate/Garden.png"}, ...],
     "rejected": [{"source": "gnome", "original": "/usr/share/...", "reason": "..."}, ...]}

Writing is resumable: a photograph or render already on disk with the same settings and inputs
is kept, not made again. The same seed and inputs give the same bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from imaging.io import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, ImageError, image_size, read_image
from imaging.progress import ProgressFn
from restoration.core.hard_negatives import HARD_NEGATIVE_KINDS, render_hard_negative

__all__ = ["CALIBRATION_SOURCES", "DEBIAN_PACKAGES", "DEFAULT_FONT_DIRS", "DEFAULT_WALLPAPER_ROOTS",
           "HARD_NEGATIVE_KINDS", "HELDOUT_FONT_PREFIXES", "HELDOUT_SOURCES", "KINDS", "MANIFEST_VERSION",
           "NOT_PHOTOGRAPHS", "PHOTO_THRESHOLDS", "SOURCE_PACKAGES", "SPLITS", "CorpusError", "CorpusItem",
           "PhotoTest", "calibration_items", "find_fonts", "find_wallpapers", "font_split", "is_photograph",
           "load_corpus", "photograph_test", "picture_name", "read_picture", "render_hard_negative", "write_corpus"]

MANIFEST_VERSION = 1
SPLITS = ("train", "heldout")
KINDS = ("photo", *HARD_NEGATIVE_KINDS)

#: Source family -> the Debian packages that ship it.
SOURCE_PACKAGES = {
    "plasma": ("plasma-workspace-wallpapers",),
    "gnome": ("gnome-backgrounds",),
    "mate": ("mate-backgrounds",),
    "ukui": ("ukui-wallpapers",),
    "lomiri": ("lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04"),
}
#: What ``make corpus`` installs: the wallpapers and the held-out fonts (DejaVu comes with fontconfig).
DEBIAN_PACKAGES = (*(p for ps in SOURCE_PACKAGES.values() for p in ps), "fonts-dejavu-core",
                   "fonts-liberation", "fonts-freefont-ttf")
DEFAULT_WALLPAPER_ROOTS = (Path("/usr/share/wallpapers"), Path("/usr/share/backgrounds"))
DEFAULT_FONT_DIRS = (Path("/usr/share/fonts/truetype"),)
HELDOUT_SOURCES = ("mate", "lomiri")
#: Held-out sources the benchmark never uses (it takes mate's): a detector's threshold is chosen on them.
CALIBRATION_SOURCES = ("lomiri",)
HELDOUT_FONT_PREFIXES = ("Liberation", "Free")

#: Art that passes :func:`is_photograph`, reviewed by eye: (source, picture name).
NOT_PHOTOGRAPHS = frozenset({
    ("plasma", "Autumn"), ("plasma", "Canopee"), ("plasma", "Flow"), ("plasma", "Honeywave"),
    ("plasma", "Kay"), ("plasma", "Kokkini"), ("plasma", "Patak"), ("plasma", "SafeLanding"),
    ("plasma", "Shell"), ("plasma", "Volna"),
    ("gnome", "grid-d"), ("gnome", "grid-l"), ("gnome", "licorice-d"), ("gnome", "licorice-l"),
    ("gnome", "pixels-d"), ("gnome", "pixels-l"), ("gnome", "wood-d"), ("gnome", "wood-l"),
    ("mate", "Elephants"), ("mate", "Float-into-MATE"), ("mate", "Stripes"),
    ("ukui", "rhythm"), ("ukui", "string"), ("lomiri", "Infinite-Sea_by_Aury88"),
})

#: What a wallpaper may be stored as: the project's image files, and WebP (``read_image(..., webp=True)``).
_PICTURE_SUFFIXES = IMAGE_SUFFIXES + (".webp",)
_RESOLUTION = re.compile(r"[_-]\d{3,5}x\d{3,5}$")

class CorpusError(ValueError):
    """The corpus is missing, unfinished or broken; the message says how to make it."""


# ----------------------------------------------------------------------------- finding pictures


def _dpkg_owners(dpkg_info: Path | None) -> dict[str, str]:
    """Installed file path -> source family, from dpkg's file lists of :data:`SOURCE_PACKAGES`."""
    owners: dict[str, str] = {}
    if dpkg_info is None or not Path(dpkg_info).is_dir():
        return owners
    for source, packages in SOURCE_PACKAGES.items():
        for package in packages:
            for listing in sorted(Path(dpkg_info).glob(f"{package}.list")) + sorted(
                    Path(dpkg_info).glob(f"{package}:*.list")):
                for line in listing.read_text(errors="replace").splitlines():
                    owners[line.strip()] = source
    return owners


def _source_from_path(path: Path, root: Path) -> str:
    """The family named by a folder on the way (``mate-backgrounds``, ``plasma``...), else the root's name."""
    for part in (root.name, *path.relative_to(root).parts[:-1]):
        low = part.lower()
        for source, packages in SOURCE_PACKAGES.items():
            if low == source or any(low == p or low.startswith(p) for p in packages):
                return source
    if root.name == "wallpapers" or "contents" in path.parts:  # KDE's package layout
        return "plasma"
    return root.name or "photos"


def picture_name(path: str | os.PathLike) -> str:
    """The picture a file shows: a KDE wallpaper's folder name, else the file name without a size suffix."""
    p = Path(path)
    if "contents" in p.parts:
        i = len(p.parts) - 1 - p.parts[::-1].index("contents")
        if i >= 1:
            return p.parts[i - 1]
    return _RESOLUTION.sub("", p.stem)


def _pixels(path: Path) -> int:
    try:
        h, w = image_size(path, webp=True)
    except (ImageError, OSError):  # unreadable files are skipped later, with a reason
        return 0
    return h * w


def find_wallpapers(roots: Iterable[str | os.PathLike], *,
                    dpkg_info: str | os.PathLike | None = "/var/lib/dpkg/info") -> list[tuple[str, Path]]:
    """Every distinct wallpaper picture under ``roots``, as ``(source, path)`` sorted by source and path.

    The source is the Debian package family that installed the file (dpkg's file lists), else the
    family named by a folder on the way (``plasma-workspace-wallpapers``, ``mate``...), else the
    root folder's own name. SVG, XML and other non-raster files are skipped, and so are KDE's
    ``contents/screenshot`` previews. Copies of one picture at several sizes (KDE's
    ``contents/images/WxH.ext``, ``NAME_WxH.ext`` beside ``NAME.ext``; links followed) are kept
    once: the largest in pixels, then in bytes; a KDE wallpaper's ``images_dark`` variant is used
    only when it has no ``images``.
    """
    owners = _dpkg_owners(Path(dpkg_info) if dpkg_info is not None else None)
    groups: dict[tuple[str, str], list[tuple[int, int, int, str, Path]]] = {}
    seen: set[Path] = set()
    for root in (Path(r) for r in roots):
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in _PICTURE_SUFFIXES and p.is_file()):
            parts = path.relative_to(root).parts
            if "contents" in parts:
                i = parts.index("contents")
                if i + 1 >= len(parts) - 1 or not parts[i + 1].startswith("images"):
                    continue  # screenshot.png and the like
                dark = parts[i + 1] != "images"
                key_dir = str(root.joinpath(*parts[:i]))
            else:
                dark, key_dir = False, str(path.parent)
            real = path.resolve()
            if real in seen:
                continue
            seen.add(real)
            source = owners.get(str(path)) or owners.get(str(real)) or _source_from_path(path, root)
            key = (source, f"{key_dir}/{picture_name(path)}")
            shown = real if path.is_symlink() and real.is_relative_to(root.resolve()) else path
            groups.setdefault(key, []).append((int(not dark), _pixels(real), real.stat().st_size, str(shown), shown))
    best = [(source, max(cands)[4]) for (source, _), cands in groups.items()]
    return sorted(best, key=lambda sp: (sp[0], str(sp[1])))


def find_fonts(dirs: Iterable[str | os.PathLike]) -> list[Path]:
    """The TrueType/OpenType files under ``dirs`` (sorted, links followed once)."""
    fonts: dict[Path, Path] = {}
    for d in (Path(x) for x in dirs):
        if d.is_file() and d.suffix.lower() in (".ttf", ".otf"):
            fonts.setdefault(d.resolve(), d)
        elif d.is_dir():
            for p in sorted(d.rglob("*")):
                if p.suffix.lower() in (".ttf", ".otf") and p.is_file():
                    fonts.setdefault(p.resolve(), p)
    return sorted(fonts.values(), key=lambda p: (p.name, str(p)))


def font_split(font: str | os.PathLike, *, heldout_prefixes: Sequence[str] = HELDOUT_FONT_PREFIXES) -> str:
    """``"heldout"`` for a face whose file name starts with a held-out family prefix, else ``"train"``."""
    return "heldout" if Path(font).name.lower().startswith(tuple(p.lower() for p in heldout_prefixes)) else "train"


# ----------------------------------------------------------------------------- reading and testing


def _to_rgb8(array: np.ndarray) -> np.ndarray:
    a = np.asarray(array)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if a.dtype == np.uint16:
        a = ((a.astype(np.uint32) + 128) // 257).astype(np.uint8)
    elif a.dtype != np.uint8:
        raise ValueError(f"expected a uint8 or uint16 image, got {a.dtype}")
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ValueError(f"expected (H, W), (H, W, 3) or (H, W, 4), got {a.shape}")
    if a.shape[2] == 4:  # flatten onto black
        alpha = a[..., 3:].astype(np.float32) / 255
        a = np.rint(a[..., :3] * alpha).astype(np.uint8)
    return np.ascontiguousarray(a)


def read_picture(path: str | os.PathLike, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode a wallpaper (TIFF, PNG, JPEG or WebP, through :func:`imaging.io.read_image`) as RGB uint8."""
    return _to_rgb8(read_image(path, max_pixels=max_pixels, webp=True))


def _fit(image: np.ndarray, long_side: int) -> np.ndarray:
    """Shrink (area average) so the long side is at most ``long_side``; never enlarge."""
    h, w = image.shape[:2]
    f = long_side / max(h, w)
    if f >= 1:
        return image
    return cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


#: Bounds a photograph meets (see the module docstring); measured at a long side of at most ``work_long_side``.
PHOTO_THRESHOLDS = {"work_long_side": 2048, "min_noise_floor": 0.25, "max_flat_share": 0.70, "min_colours": 24,
                    "min_structure": 0.005, "max_chroma_ratio": 1.6}
_PHOTO_TEST_VERSION = 1


@dataclass(frozen=True)
class PhotoTest:
    """The measures :func:`is_photograph` decides on, and the rules a picture failed."""

    noise_floor: float
    flat_share: float
    colours: int
    structure: float
    chroma_ratio: float

    @property
    def failed(self) -> tuple[str, ...]:
        t = PHOTO_THRESHOLDS
        rules = (("no fine noise", self.noise_floor < t["min_noise_floor"]),
                 ("large flat areas", self.flat_share > t["max_flat_share"]),
                 ("few colours", self.colours < t["min_colours"]),
                 ("no mid-scale structure", self.structure < t["min_structure"]),
                 ("dithered colour", self.chroma_ratio > t["max_chroma_ratio"]))
        return tuple(name for name, bad in rules if bad)

    @property
    def is_photograph(self) -> bool:
        return not self.failed


def _blocks(x: np.ndarray, b: int = 16) -> np.ndarray:
    h, w = (x.shape[0] // b) * b, (x.shape[1] // b) * b
    return x[:h, :w].reshape(h // b, b, w // b, b).swapaxes(1, 2).reshape(h // b, w // b, b * b)


def photograph_test(image: np.ndarray | str | os.PathLike) -> PhotoTest:
    """Measure a picture (an RGB/grey array, or a path to one) for :func:`is_photograph`."""
    rgb = read_picture(image) if isinstance(image, (str, os.PathLike)) else _to_rgb8(image)
    if min(rgb.shape[:2]) < 32:
        raise ValueError(f"a picture needs at least 32 px a side to be tested, got {rgb.shape[1]} x {rgb.shape[0]}")
    rgb = _fit(rgb, PHOTO_THRESHOLDS["work_long_side"])
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    fine = grey - cv2.blur(grey, (3, 3))
    fine_std = _blocks(fine).std(axis=2)
    band = _blocks(cv2.GaussianBlur(grey, (0, 0), 2.0) - cv2.GaussianBlur(grey, (0, 0), 4.0)).std(axis=2)
    q = (rgb >> 3).astype(np.int32)
    codes = (q[..., 0] << 10) | (q[..., 1] << 5) | q[..., 2]
    counts = np.bincount(codes.ravel(), minlength=1 << 15)
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb).astype(np.float32)
    chroma = np.hypot(*(ycc[..., c] - cv2.blur(ycc[..., c], (3, 3)) for c in (1, 2)))
    luma = float(np.median(_blocks(np.abs(fine)).mean(axis=2)))
    return PhotoTest(noise_floor=float(np.percentile(fine_std, 25)),
                     flat_share=float(np.mean(_blocks(grey).std(axis=2) < 1.0)),
                     colours=int(np.count_nonzero(counts > codes.size * 1e-5)),
                     structure=float(np.mean(band > 0.5 * fine_std + 0.5)),
                     chroma_ratio=float(np.median(_blocks(chroma).mean(axis=2))) / (luma + 1e-3))


def is_photograph(image: np.ndarray | str | os.PathLike) -> bool:
    """True for a photograph, False for flat, gradient, vector or dithered art (see :data:`PHOTO_THRESHOLDS`)."""
    return photograph_test(image).is_photograph


# ----------------------------------------------------------------------------- writing


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "picture"


def _write_png(path: Path, image: np.ndarray) -> None:
    """Write atomically, so that an interrupted run never leaves a half file that looks done."""
    from imaging.io import encode_image

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(encode_image(image, fmt="PNG"))
    os.replace(tmp, path)


def _read_png(path: Path, cache: dict[Path, np.ndarray]) -> np.ndarray:
    """Read a corpus photograph, keeping the last few in ``cache``."""
    from imaging.io import read_image

    if path not in cache:
        if len(cache) >= 4:
            cache.pop(next(iter(cache)))
        cache[path] = _to_rgb8(read_image(path))
    return cache[path]


def _background(photo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A crop of 512-1,024 px (landscape or portrait), taken at a zoom of 1-4x out where the photo allows."""
    h, w = photo.shape[:2]
    cw = int(rng.integers(512, 1025))
    ch = int(round(cw / rng.uniform(1.0, 1.5)))
    if rng.random() < 0.3:
        cw, ch = ch, cw
    zoom = float(np.exp(rng.uniform(0, np.log(max(1.0, min(4.0, w / cw, h / ch))))))
    rw, rh = min(w, round(cw * zoom)), min(h, round(ch * zoom))
    x, y = int(rng.integers(0, w - rw + 1)), int(rng.integers(0, h - rh + 1))
    crop = photo[y:y + rh, x:x + rw]
    out_w, out_h = min(cw, rw), min(ch, rh)
    if (out_w, out_h) != (rw, rh):
        crop = cv2.resize(crop, (out_w, out_h), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(crop)


def _digest(values: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(values).encode()).hexdigest()[:16]


def _old_manifest(out: Path) -> dict:
    try:
        old = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return {}
    return old if isinstance(old, dict) and old.get("version") == MANIFEST_VERSION else {}


def _skimage_photos() -> list[tuple[str, np.ndarray]]:
    from skimage import data

    from restoration.core.clean_images import SKIMAGE_SAMPLES

    return [(name, _to_rgb8(getattr(data, name)())) for name in SKIMAGE_SAMPLES]


def write_corpus(out_dir: str | os.PathLike, *, wallpaper_roots: Iterable[str | os.PathLike] = DEFAULT_WALLPAPER_ROOTS,
                 font_dirs: Iterable[str | os.PathLike] = DEFAULT_FONT_DIRS, long_side: int = 2048,
                 renders_per_kind: int = 40, seed: int = 0, heldout_sources: Sequence[str] = HELDOUT_SOURCES,
                 heldout_font_prefixes: Sequence[str] = HELDOUT_FONT_PREFIXES, include_skimage: bool = True,
                 dpkg_info: str | os.PathLike | None = "/var/lib/dpkg/info",
                 progress: ProgressFn | None = None) -> dict:
    """Write the corpus into ``out_dir`` (see the module docstring) and return a summary.

    Parameters
    ----------
    wallpaper_roots, font_dirs : folders
        Where the wallpapers (:func:`find_wallpapers`) and the fonts (:func:`find_fonts`) are.
    long_side : int
        Longest side of the photographs written (>= 256); larger pictures are shrunk, none enlarged.
    renders_per_kind : int
        Renders of each hard negative kind in each split (0 for none).
    seed : int
        Seeds every render: render ``i`` of a kind and split depends only on the seed and the inputs.
    heldout_sources, heldout_font_prefixes : names
        The sources and font-file prefixes held out (the rest are training's).
    include_skimage : bool
        Add scikit-image's 14 bundled photographs (source ``skimage``, training).
    progress : callable, optional
        ``progress(done, total)`` over pictures and renders.

    Returns
    -------
    dict
        ``manifest`` (path), ``counts`` (``{split: {source: {kind: n}}}``), ``photos``, ``renders``,
        ``made`` and ``kept`` (files written now / already there), ``rejected`` (source, original
        file, reason) and ``skipped`` (renders that could not be made, and why).
    """
    if not isinstance(long_side, int) or long_side < 256:
        raise ValueError(f"long_side must be a whole number of at least 256 px, got {long_side!r}")
    if not isinstance(renders_per_kind, int) or renders_per_kind < 0:
        raise ValueError(f"renders_per_kind must be a whole number >= 0, got {renders_per_kind!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    heldout = tuple(sorted(heldout_sources))
    settings = {"long_side": long_side, "renders_per_kind": renders_per_kind, "heldout_sources": list(heldout),
                "heldout_font_prefixes": list(heldout_font_prefixes), "photo_test": _PHOTO_TEST_VERSION}
    old = _old_manifest(out)
    same_photos = {k: old.get("settings", {}).get(k) for k in ("long_side", "photo_test")} == \
        {k: settings[k] for k in ("long_side", "photo_test")}
    old_items = {i["original"]: i for i in old.get("items", []) if i.get("kind") == "photo" and "original" in i} \
        if same_photos else {}
    old_rejected = {r["original"]: r for r in old.get("rejected", [])} if same_photos else {}
    split_of = lambda source: "heldout" if source in heldout else "train"  # noqa: E731

    wallpapers = find_wallpapers(wallpaper_roots, dpkg_info=dpkg_info)
    fonts = find_fonts(font_dirs)
    total = len(wallpapers) + (14 if include_skimage else 0) + 2 * len(HARD_NEGATIVE_KINDS) * renders_per_kind
    done, made, kept = 0, 0, 0
    items: list[dict] = []
    rejected: list[dict] = []
    used_names: set[str] = set()

    def tick():
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    def name_for(source: str, path: Path | None, name: str) -> str:
        stem = _safe(name)
        if f"{source}/{stem}" in used_names and path is not None:
            stem = _safe(f"{path.parent.name}-{name}")
        while f"{source}/{stem}" in used_names:
            stem += "_"
        used_names.add(f"{source}/{stem}")
        return f"{source}/{stem}.png"

    # 1. photographs
    for source, path in wallpapers:
        original = str(path)
        prior = old_items.get(original)
        if prior is not None and (out / prior["path"]).is_file() and prior["source"] == source:
            used_names.add(prior["path"][:-4])
            items.append({**prior, "split": split_of(source)})
            kept += 1
            tick()
            continue
        if original in old_rejected:
            rejected.append(old_rejected[original])
            tick()
            continue
        name = picture_name(path)
        reason = None
        if (source, name) in NOT_PHOTOGRAPHS:
            reason = "reviewed: art, not a photograph (NOT_PHOTOGRAPHS)"
        else:
            try:
                picture = read_picture(path)
            except (OSError, ValueError) as exc:
                reason = f"unreadable: {exc}"
            else:
                test = photograph_test(_fit(picture, PHOTO_THRESHOLDS["work_long_side"]))
                if test.failed:
                    reason = "not a photograph: " + ", ".join(test.failed)
        if reason is not None:
            rejected.append({"source": source, "original": original, "reason": reason})
            tick()
            continue
        rel = name_for(source, path, name)
        _write_png(out / rel, _fit(picture, long_side))
        items.append({"path": rel, "source": source, "kind": "photo", "split": split_of(source),
                      "original": original})
        made += 1
        tick()
    if include_skimage:
        for name, picture in _skimage_photos():
            rel = f"skimage/{_safe(name)}.png"
            prior = old_items.get(f"skimage:{name}")
            if prior is None or not (out / rel).is_file():
                _write_png(out / rel, _fit(picture, long_side))
                made += 1
            else:
                kept += 1
            used_names.add(rel[:-4])
            items.append({"path": rel, "source": "skimage", "kind": "photo", "split": split_of("skimage"),
                          "original": f"skimage:{name}"})
            tick()
    _save_manifest(out, seed, settings, items, rejected, complete=False)

    # 2. hard negatives, on photographs and with fonts of their own split
    old_renders = {}
    if old.get("seed") == seed:
        old_inputs = old.get("settings", {}).get("render_inputs", {})
        old_renders = {(i["split"], i["kind"], i["index"]): (i, old_inputs.get(i["split"]))
                       for i in old.get("items", []) if i.get("kind") != "photo" and "index" in i}
    settings["render_inputs"] = {}
    skipped: list[str] = []
    cache: dict[Path, np.ndarray] = {}
    for s, split in enumerate(SPLITS):
        photos = sorted((i for i in items if i["split"] == split), key=lambda i: i["path"])
        split_fonts = [f for f in fonts if font_split(f, heldout_prefixes=heldout_font_prefixes) == split]
        inputs = _digest([*(p["path"] for p in photos), *(f.name for f in split_fonts)])
        settings["render_inputs"][split] = inputs
        for k, kind in enumerate(HARD_NEGATIVE_KINDS):
            if renders_per_kind and not photos:
                skipped.append(f"{split} {kind}: no {split} photographs")
            elif renders_per_kind and kind == "text" and not split_fonts:
                held_out = ", ".join(heldout_font_prefixes)
                skipped.append(f"{split} text: no {split} fonts (held-out prefixes: {held_out})")
            for index in range(renders_per_kind):
                if not photos or (kind == "text" and not split_fonts):
                    tick()
                    continue
                rng = np.random.default_rng([seed, s, k, index])
                photo = photos[int(rng.integers(len(photos)))]
                font = split_fonts[int(rng.integers(len(split_fonts)))] if kind == "text" else None
                rel = f"{photo['source']}/renders/{kind}-{index:03d}.png"
                prior, prior_inputs = old_renders.get((split, kind, index), (None, None))
                item = {"path": rel, "source": photo["source"], "kind": kind, "split": split, "index": index,
                        "background": photo["path"], **({"font": font.stem} if font is not None else {})}
                if prior is not None and prior_inputs == inputs and prior == item and (out / rel).is_file():
                    kept += 1
                else:
                    background = _background(_read_png(out / photo["path"], cache), rng)
                    _write_png(out / rel, render_hard_negative(kind, background, fonts=[font] if font else (),
                                                               rng=rng))
                    made += 1
                items.append(item)
                tick()
            if kind == "highlights" or k % 2:
                _save_manifest(out, seed, settings, items, rejected, complete=False)

    # 3. drop what the previous manifest listed and this one does not
    listed = {i["path"] for i in items}
    for i in old.get("items", []):
        p = i.get("path")
        if isinstance(p, str) and p not in listed and not Path(p).is_absolute() and ".." not in Path(p).parts:
            (out / p).unlink(missing_ok=True)
    manifest = _save_manifest(out, seed, settings, items, rejected, complete=True)
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for i in items:
        c = counts.setdefault(i["split"], {}).setdefault(i["source"], {})
        c[i["kind"]] = c.get(i["kind"], 0) + 1
    return {"manifest": manifest, "counts": counts, "photos": sum(i["kind"] == "photo" for i in items),
            "renders": sum(i["kind"] != "photo" for i in items), "made": made, "kept": kept,
            "rejected": rejected, "skipped": skipped}


def _save_manifest(out: Path, seed: int, settings: dict, items: list[dict], rejected: list[dict], *,
                   complete: bool) -> Path:
    path = out / "manifest.json"
    doc = {"version": MANIFEST_VERSION, "seed": seed, "complete": complete, "settings": settings,
           "items": items, "rejected": rejected}
    tmp = path.with_name("manifest.json.part")
    tmp.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class CorpusItem:
    """One picture of the corpus: a photograph (``kind == "photo"``) or a render of a hard negative."""

    path: Path
    source: str
    kind: str
    split: str
    font: str | None = None


def load_corpus(out_dir: str | os.PathLike, *, split: str | None = None,
                kinds: Iterable[str] | None = None) -> list[CorpusItem]:
    """The corpus written by :func:`write_corpus`, optionally one split and some kinds, in manifest order.

    Raises
    ------
    CorpusError
        No manifest (run ``make corpus``), an unfinished or unknown one, or files missing.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; allowed: {', '.join(SPLITS)}")
    wanted = None if kinds is None else set(kinds)
    if wanted is not None and not wanted <= set(KINDS):
        raise ValueError(f"unknown kinds {sorted(wanted - set(KINDS))}; allowed: {', '.join(KINDS)}")
    out = Path(out_dir)
    path = out / "manifest.json"
    how = (f"run `make corpus` (or `manage.py prepare_clean_corpus --out {out}`)")
    if not path.is_file():
        raise CorpusError(f"no clean corpus at {out}: {path} does not exist; {how}")
    try:
        doc = json.loads(path.read_text())
    except ValueError as exc:
        raise CorpusError(f"{path} is not valid JSON ({exc}); {how} again") from None
    if not isinstance(doc, dict) or doc.get("version") != MANIFEST_VERSION or not isinstance(doc.get("items"), list):
        raise CorpusError(f"{path} is not a version {MANIFEST_VERSION} corpus manifest; {how} again")
    if not doc.get("complete", False):
        raise CorpusError(f"the corpus at {out} was not finished; {how} again to complete it")
    items = [CorpusItem(path=(out / i["path"]).resolve(), source=i["source"], kind=i["kind"], split=i["split"],
                        font=i.get("font"))
             for i in doc["items"]
             if (split is None or i["split"] == split) and (wanted is None or i["kind"] in wanted)]
    missing = [str(i.path) for i in items if not i.path.is_file()]
    if missing:
        raise CorpusError(f"{len(missing)} corpus files are missing (first: {missing[0]}); {how} again")
    return items


def calibration_items(out_dir: str | os.PathLike, *,
                      sources: Sequence[str] = CALIBRATION_SOURCES) -> list[CorpusItem]:
    """The held-out pictures a detector's operating point is chosen on: photographs and renders of ``sources``.

    Text renders are left out: they are set in the held-out fonts, which the benchmark's text uses too,
    so a threshold chosen on them would be tuned to the benchmark's fonts. The other renders (line
    art, wires, stars, highlights) need no font and are kept.

    Raises
    ------
    CorpusError
        As :func:`load_corpus`, and when the corpus holds no picture of ``sources``.
    """
    wanted = set(sources)
    items = [i for i in load_corpus(out_dir, split="heldout") if i.source in wanted and i.kind != "text"]
    if not items:
        raise CorpusError(f"the corpus at {out_dir} holds no held-out picture of {', '.join(sorted(wanted))} to "
                          "calibrate on; install their Debian packages and run `make corpus` again")
    return items
