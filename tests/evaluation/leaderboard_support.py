"""Builders for the leaderboard tests: small benchmark folders, zips of restorations, hand-made scores."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import cv2
import numpy as np

from imaging.io import encode_image, write_image

SHAPE = (48, 64, 3)
NAMES = ("a", "b", "c")


def clean_image(seed: int, shape=SHAPE, dtype=np.uint8) -> np.ndarray:
    """A smooth random picture with grain: the 'expert restoration'."""
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    base = cv2.GaussianBlur(rng.uniform(0.2, 0.8, shape).astype(np.float32), (0, 0), 4)
    grain = rng.normal(0, 0.02, shape).astype(np.float32)
    return np.clip((base + grain) * top, 0, top).astype(dtype)


def damage(image: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """White specks and a line on a copy of ``image``; returns (damaged, boolean mask of the damage)."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(image.shape[:2], np.uint8)
    for _ in range(3):
        x, y = int(rng.integers(5, image.shape[1] - 5)), int(rng.integers(5, image.shape[0] - 5))
        cv2.circle(mask, (x, y), 2, 1, -1)
    cv2.line(mask, (3, 4), (image.shape[1] - 4, image.shape[0] // 2), 1, 1)
    damaged = image.copy()
    damaged[mask.astype(bool)] = np.iinfo(image.dtype).max
    return damaged, mask.astype(bool)


def write_pairs(root: Path, *, layout: str = "damaged/restored", names=NAMES, dtype=np.uint8,
                suffix: str = ".png") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Write a benchmark folder in ``layout``; returns ``{name: (damaged, restored)}``."""
    pairs = {}
    root.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        restored = clean_image(i, dtype=dtype)
        damaged, _ = damage(restored, 100 + i)
        pairs[name] = (damaged, restored)
        if layout == "flat":
            write_image(root / f"{name}_damaged{suffix}", damaged)
            write_image(root / f"{name}_restored{suffix}", restored)
        else:
            d, r = layout.split("/")
            (root / d).mkdir(parents=True, exist_ok=True)
            (root / r).mkdir(parents=True, exist_ok=True)
            write_image(root / d / f"{name}{suffix}", damaged)
            write_image(root / r / f"{name}{suffix}", restored)
    return pairs


def png(array: np.ndarray) -> bytes:
    return encode_image(array, fmt="PNG")


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A zip holding ``members`` (archive name -> bytes), names written exactly as given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def restorations(pairs: dict, *, quality: str = "good") -> dict[str, bytes]:
    """``{name.png: bytes}``: the ground truth with a tiny change ('good') or the damaged input ('none')."""
    out = {}
    for name, (damaged, restored) in pairs.items():
        image = damaged if quality == "none" else restored.copy()
        if quality == "good":
            image[0, 0] = image[0, 0] // 2
        out[f"{name}.png"] = png(image)
    return out


def upload(name: str, data: bytes, content_type: str = "application/zip"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)
