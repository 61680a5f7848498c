"""Synthetic damage datasets on disk, and seeded random crops for training.

A dataset folder holds ``manifest.json``::

    {"items": [{"id": "0001", "split": "train" | "val",
                "damaged": "damaged/0001.png", "mask": "masks/0001.png",
                "clean": "clean/0001.png", "polarity": "negative" | "positive"}, ...]}

with paths relative to the folder and masks 255 where damage was added.
Images are read at their own bit depth and scaled to ``[0, 1]`` floats; grey
images become three equal channels. Crops are 256 x 256 by default, augmented
by flips and quarter turns; all randomness comes from a seeded NumPy generator.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imaging.io import ImageError, read_image

SPLITS = ("train", "val")
POLARITIES = ("negative", "positive")


class DatasetError(ValueError):
    """Raised for a missing or malformed dataset folder or manifest."""


@dataclass(frozen=True)
class DatasetItem:
    """One manifest entry with absolute paths."""

    id: str
    split: str
    damaged: Path
    mask: Path
    clean: Path
    polarity: str


def load_manifest(dataset_dir: str | Path) -> list[DatasetItem]:
    """Read and check ``DIR/manifest.json``; every referenced file must exist."""
    root = Path(dataset_dir)
    path = root / "manifest.json"
    if not path.is_file():
        raise DatasetError(f"no manifest.json in {root}")
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise DatasetError(f"{path} must be an object with a list 'items'")
    items, seen = [], set()
    for n, raw in enumerate(data["items"]):
        if not isinstance(raw, dict):
            raise DatasetError(f"item {n} of {path} is not an object")
        missing = {"id", "split", "damaged", "mask", "clean"} - set(raw)
        if missing:
            raise DatasetError(f"item {n} of {path} lacks {sorted(missing)}")
        if raw["split"] not in SPLITS:
            raise DatasetError(f"item {raw['id']!r}: split must be one of {SPLITS}, got {raw['split']!r}")
        polarity = raw.get("polarity", "negative")
        if polarity not in POLARITIES:
            raise DatasetError(f"item {raw['id']!r}: polarity must be one of {POLARITIES}")
        if raw["id"] in seen:
            raise DatasetError(f"item id {raw['id']!r} appears twice in {path}")
        seen.add(raw["id"])
        files = {}
        for key in ("damaged", "mask", "clean"):
            rel = Path(str(raw[key]))
            full = (root / rel).resolve()
            if rel.is_absolute() or root.resolve() not in full.parents:
                raise DatasetError(f"item {raw['id']!r}: {key} path {rel} leaves the dataset folder")
            if not full.is_file():
                raise DatasetError(f"item {raw['id']!r}: {key} file {full} is missing")
            files[key] = full
        items.append(DatasetItem(str(raw["id"]), raw["split"], polarity=polarity, **files))
    return items


def _unit_rgb(image: np.ndarray) -> np.ndarray:
    """uint8/uint16 (H, W[, C]) -> float32 (H, W, 3) in [0, 1]."""
    if image.dtype not in (np.uint8, np.uint16):
        raise DatasetError(f"dataset images must be uint8 or uint16, got {image.dtype}")
    f = image.astype(np.float32) / np.float32(np.iinfo(image.dtype).max)
    if f.ndim == 2:
        f = f[..., None]
    if f.shape[2] == 4:
        f = f[..., :3]
    return np.repeat(f, 3, axis=2) if f.shape[2] == 1 else f


TARGETS = ("mask", "clean+mask")


def _read_mask(path: Path) -> np.ndarray:
    m = read_image(path)
    m = m[..., 0] if m.ndim == 3 else m
    if m.dtype not in (np.uint8, np.uint16):
        raise DatasetError(f"masks must be uint8 or uint16, got {m.dtype} in {path.name}")
    return (m > np.iinfo(m.dtype).max // 2).astype(np.float32)[..., None]


def load_pair(item: DatasetItem, target: str) -> tuple[np.ndarray, np.ndarray]:
    """``(damaged (H, W, 3), target)``, floats in [0, 1].

    ``target="mask"``: the damage mask (H, W, 1) of 0/1; ``"clean+mask"``: the
    clean image and the mask stacked (H, W, 4).
    """
    if target not in TARGETS:
        raise DatasetError(f"target must be one of {TARGETS}, got {target!r}")
    try:
        damaged = _unit_rgb(read_image(item.damaged))
        parts = [_read_mask(item.mask)]
        if target == "clean+mask":
            parts.insert(0, _unit_rgb(read_image(item.clean)))
    except ImageError as exc:
        raise DatasetError(f"item {item.id!r}: {exc}") from exc
    for part, name in zip(parts[::-1], ("mask", "clean")):
        if part.shape[:2] != damaged.shape[:2]:
            raise DatasetError(f"item {item.id!r}: {name} is {part.shape[:2]}, damaged is {damaged.shape[:2]}")
    return damaged, np.concatenate(parts, axis=2)


def random_crop(x: np.ndarray, y: np.ndarray, size: int, rng: np.random.Generator, *,
                augment: bool) -> tuple[np.ndarray, np.ndarray]:
    """The same random ``size`` x ``size`` crop of both arrays (reflect-padded if smaller)."""
    h, w = x.shape[:2]
    if h < size or w < size:
        pad = ((0, max(0, size - h)), (0, max(0, size - w)), (0, 0))
        x, y = np.pad(x, pad, mode="reflect"), np.pad(y, pad, mode="reflect")
        h, w = x.shape[:2]
    top, left = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    x, y = x[top: top + size, left: left + size], y[top: top + size, left: left + size]
    if augment:
        k, flip = int(rng.integers(0, 4)), bool(rng.integers(0, 2))
        x, y = np.rot90(x, k), np.rot90(y, k)
        if flip:
            x, y = x[:, ::-1], y[:, ::-1]
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def crops_of(items: list[DatasetItem], target: str, *, size: int, per_item: int,
             rng: np.random.Generator, augment: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``per_item`` crops of each item in turn, each image read once."""
    for item in items:
        damaged, tgt = load_pair(item, target)
        for _ in range(per_item):
            yield random_crop(damaged, tgt, size, rng, augment=augment)


def batches(items: list[DatasetItem], target: str, *, size: int, per_item: int, batch_size: int,
            rng: np.random.Generator, pool_items: int = 8) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Shuffled, augmented training batches ``(N, 3, s, s)`` and ``(N, C_t, s, s)`` float32.

    Items are visited in a random order, ``pool_items`` at a time; the crops of a
    pool are shuffled together, and a short last batch is kept.
    """
    order = [items[i] for i in rng.permutation(len(items))]
    carry: list[tuple[np.ndarray, np.ndarray]] = []
    for start in range(0, len(order), pool_items):
        pool = carry + list(crops_of(order[start: start + pool_items], target, size=size,
                                     per_item=per_item, rng=rng, augment=True))
        pool = [pool[i] for i in rng.permutation(len(pool))]
        full = len(pool) - len(pool) % batch_size
        for b in range(0, full, batch_size):
            yield _stack(pool[b: b + batch_size])
        carry = pool[full:]
    if carry:
        yield _stack(carry)


def _stack(pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    x = np.stack([p[0] for p in pairs]).transpose(0, 3, 1, 2)
    y = np.stack([p[1] for p in pairs]).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(x), np.ascontiguousarray(y)
