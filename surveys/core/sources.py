"""Where survey images come from: image-pair sets and image sets (folders on the server).

An **image-pair set** holds authentic damaged scans and their expert
restorations, matched by name, in any layout a leaderboard benchmark accepts
(:mod:`evaluation.core.layout`: ``damaged/`` + ``restored/`` as in the paper's
public dataset, ``input/`` + ``gt/``, ``damaged/`` + ``clean/``, or
``NAME_damaged`` + ``NAME_restored`` files), so one folder serves both; beside
the pairs an optional ``polarity.json`` says ``{"NAME": "negative" | "positive", ...}``.

``negative`` damage shows white artefacts (negative film), ``positive``
black ones (slides). Without ``polarity.json`` the polarity of each pair is
measured from the pixels (:func:`surveys.core.crops.measure_polarity`).
An **image set** is a folder of clean images ``DIR/NAME.png|.tif|.tiff|.jpg``;
an image-pair set may be used as one (its restorations).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from evaluation.core.layout import LayoutError, find_benchmark_pairs
from imaging.files import list_images
from imaging.io import IMAGE_SUFFIXES, ImageError, probe_image

__all__ = ["IMAGE_SUFFIXES", "ImagePair", "SourceError", "find_image_pairs", "find_images", "read_polarities"]

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
    try:
        layout = find_benchmark_pairs(root)
    except LayoutError as exc:
        raise SourceError(f"not an image-pair set: {exc}") from exc
    polarities = read_polarities(layout.root)
    names = {p.name for p in layout.pairs}
    unknown = sorted(set(polarities) - names)
    if unknown:
        raise SourceError(f"{layout.root}/polarity.json names images that are not in the set: "
                          f"{', '.join(unknown[:10])}")
    pairs = []
    for p in layout.pairs:
        size_d, size_r = _size(p.damaged), _size(p.restored)
        if size_d != size_r:
            raise SourceError(f"{p.name}: damaged is {size_d[0]} x {size_d[1]} px but restored is "
                              f"{size_r[0]} x {size_r[1]} px; they must match")
        pairs.append(ImagePair(p.name, p.damaged, p.restored, size_d[0], size_d[1], polarities.get(p.name)))
    return pairs


def find_images(root: str | os.PathLike) -> list[tuple[str, Path, int, int]]:
    """``(name, path, width, height)`` of the clean images of an image set (or of a pair set's restorations)."""
    root = _folder(root)
    try:
        images = {p.name: p.restored for p in find_benchmark_pairs(root).pairs}
    except LayoutError as layout_error:
        try:
            images = list_images(root)
        except ImageError as exc:
            raise SourceError(str(exc)) from exc
        if not images:
            raise SourceError(f"{root} holds no .png, .tif or .jpg image, and is not an image-pair set "
                              f"({layout_error})") from layout_error
    return [(name, path, *_size(path)) for name, path in sorted(images.items())]
