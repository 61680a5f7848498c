"""Where survey images come from: image-pair sets and image sets (folders on the server).

An **image-pair set** holds authentic damaged scans and their expert
restorations, matched by file stem::

    DIR/damaged/NAME.png|.tif|.tiff    the scan with its real damage
    DIR/restored/NAME.png|.tif|.tiff   the same frame restored by an expert
    DIR/polarity.json                  optional: {"NAME": "negative" | "positive", ...}

``negative`` damage shows white artefacts (negative film), ``positive``
black ones (slides). Without ``polarity.json`` the polarity of each pair is
measured from the pixels (:func:`surveys.core.crops.measure_polarity`).
An **image set** is a folder of clean images ``DIR/NAME.png|.tif|.tiff|.jpg``;
an image-pair set may be used as one (its ``restored/`` images).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from imaging.io import ImageError, probe_image

__all__ = ["IMAGE_SUFFIXES", "PAIR_SUFFIXES", "ImagePair", "SourceError", "find_image_pairs", "find_images",
           "read_polarities"]

PAIR_SUFFIXES = (".png", ".tif", ".tiff")
IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")
POLARITIES = ("negative", "positive")


class SourceError(ValueError):
    """A folder that is not a usable image-pair set or image set."""


@dataclass(frozen=True)
class ImagePair:
    """A damaged scan and its restoration, with their size (checked equal) and the declared polarity."""

    name: str
    damaged: Path
    restored: Path
    width: int
    height: int
    polarity: str | None = None


def _by_stem(folder: Path, suffixes: tuple[str, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.suffix.lower() not in suffixes:
            continue
        if path.stem in found:
            raise SourceError(f"{folder} holds two images named {path.stem!r}: {found[path.stem].name} and "
                              f"{path.name}; keep one")
        found[path.stem] = path
    return found


def _folder(root: str | os.PathLike) -> Path:
    root = Path(root)
    if not root.is_dir():
        raise SourceError(f"{root} is not a folder on the server")
    return root


def _size(path: Path) -> tuple[int, int]:
    try:
        info = probe_image(path)
    except ImageError as exc:
        raise SourceError(f"{path}: {exc}") from exc
    return info.width, info.height


def read_polarities(root: str | os.PathLike) -> dict[str, str]:
    """``DIR/polarity.json`` as ``{name: polarity}`` (empty when the file is absent)."""
    path = Path(root) / "polarity.json"
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SourceError(f"{path} must hold an object {{\"NAME\": \"negative\" | \"positive\"}}")
    bad = {k: v for k, v in data.items() if v not in POLARITIES}
    if bad:
        raise SourceError(f"{path}: polarity must be 'negative' or 'positive', got {bad}")
    return {str(k): str(v) for k, v in data.items()}


def find_image_pairs(root: str | os.PathLike) -> list[ImagePair]:
    """The pairs of an image-pair set, sorted by name; refuses unmatched names and size mismatches."""
    root = _folder(root)
    missing = [sub for sub in ("damaged", "restored") if not (root / sub).is_dir()]
    if missing:
        raise SourceError(f"{root} is not an image-pair set: it has no {' or '.join(f'{m}/' for m in missing)} "
                          f"folder (expected DIR/damaged/NAME.png|tif and DIR/restored/NAME.png|tif)")
    damaged = _by_stem(root / "damaged", PAIR_SUFFIXES)
    restored = _by_stem(root / "restored", PAIR_SUFFIXES)
    only_d, only_r = sorted(set(damaged) - set(restored)), sorted(set(restored) - set(damaged))
    if only_d or only_r:
        parts = []
        if only_d:
            parts.append(f"damaged/ without restored/: {', '.join(only_d[:10])}")
        if only_r:
            parts.append(f"restored/ without damaged/: {', '.join(only_r[:10])}")
        raise SourceError(f"{root}: images must be matched by name; " + "; ".join(parts))
    if not damaged:
        raise SourceError(f"{root}/damaged holds no .png or .tif image")
    polarities = read_polarities(root)
    unknown = sorted(set(polarities) - set(damaged))
    if unknown:
        raise SourceError(f"{root}/polarity.json names images that are not in the set: {', '.join(unknown[:10])}")
    pairs = []
    for name in sorted(damaged):
        size_d, size_r = _size(damaged[name]), _size(restored[name])
        if size_d != size_r:
            raise SourceError(f"{name}: damaged is {size_d[0]} x {size_d[1]} px but restored is "
                              f"{size_r[0]} x {size_r[1]} px; they must match")
        pairs.append(ImagePair(name, damaged[name], restored[name], size_d[0], size_d[1], polarities.get(name)))
    return pairs


def find_images(root: str | os.PathLike) -> list[tuple[str, Path, int, int]]:
    """``(name, path, width, height)`` of the clean images of an image set (or of a pair set's ``restored/``)."""
    root = _folder(root)
    folder = root / "restored" if (root / "restored").is_dir() and (root / "damaged").is_dir() else root
    images = _by_stem(folder, IMAGE_SUFFIXES)
    if not images:
        raise SourceError(f"{folder} holds no .png, .tif or .jpg image")
    return [(name, path, *_size(path)) for name, path in sorted(images.items())]
