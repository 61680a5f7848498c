"""Film grain and the resumable synthetic dataset builder."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from synthesis.core.dataset import DatasetError, build_synthetic_dataset, missing_items, plan_dataset
from synthesis.core.grain import add_film_grain


def test_grain_keeps_dtype_is_seeded_and_follows_luminance():
    ramp = np.repeat(np.array([[10, 128, 245]], np.uint8), 20000, axis=0)  # shadows, mid-tones, highlights
    img = np.stack([ramp] * 3, axis=-1)
    a = add_film_grain(img, strength=0.05, grain_size=0.0, seed=1)
    b = add_film_grain(img, strength=0.05, grain_size=0.0, seed=1)
    c = add_film_grain(img, strength=0.05, grain_size=0.0, seed=2)
    assert a.dtype == np.uint8 and a.shape == img.shape
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    std = (a.astype(float) - img).std(axis=(0, 2))
    # amplitude strength * (0.25 + 0.75 * 4 L (1 - L)) * 255: mid-tones ~12.7, ends ~5.5 levels
    assert std[1] == pytest.approx(0.05 * 255, rel=0.1)
    assert std[1] > 1.8 * std[0] and std[1] > 1.8 * std[2]
    # the mean is kept (zero-mean grain, no clipping at these levels)
    assert abs((a.astype(float) - img)[:, 1].mean()) < 0.2
    img16 = (img.astype(np.uint16) * 257)
    g16 = add_film_grain(img16, strength=0.05, seed=1)
    assert g16.dtype == np.uint16 and (g16.astype(float) - img16).std() > 1000
    assert np.array_equal(add_film_grain(img, strength=0.0, seed=3), img)
    with pytest.raises(ValueError, match="dtype"):
        add_film_grain(img.astype(np.int32), seed=0)


def test_plan_is_deterministic_with_a_9_to_1_split():
    plan = plan_dataset(["a.png", "b.png", "c.png"], count=20, seed=3)
    assert [p.id for p in plan] == [f"{i:04d}" for i in range(1, 21)]
    assert sum(p.split == "val" for p in plan) == 2
    assert [p.source for p in plan[:4]] == ["a.png", "b.png", "c.png", "a.png"]
    assert plan == plan_dataset(["a.png", "b.png", "c.png"], count=20, seed=3)
    assert {p.polarity for p in plan_dataset(["a.png"], count=200, seed=0)} == {"negative", "positive"}
    positives = sum(p.polarity == "positive" for p in plan_dataset(["a.png"], count=2000, seed=0))
    assert abs(positives / 2000 - 0.5) < 3 * np.sqrt(0.25 / 2000)


@pytest.fixture
def clean_dir(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    folder = tmp_path / "clean"
    folder.mkdir()
    for i in range(3):
        img = cv2.GaussianBlur(rng.integers(0, 255, (600, 880, 3)).astype(np.uint8), (0, 0), 5)
        cv2.imwrite(str(folder / f"img{i}.png"), img)
    cv2.imwrite(str(folder / "img3.png"), (np.full((600, 880), 30000, np.uint16)))  # a 16-bit grey one
    (folder / "notes.txt").write_text("not an image")
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.png"))}


def test_resumed_build_has_no_duplicates_or_gaps_and_same_bytes(public_model, procedural_bank, clean_dir,
                                                                  tmp_path):
    kw = dict(clean_dir=clean_dir, count=8, seed=9, crop=(256, 192), damage_level=30.0)
    one_shot = tmp_path / "one"
    done = build_synthetic_dataset(public_model, procedural_bank, out_dir=one_shot, **kw)
    assert done["complete"] and len(done["manifest"]["items"]) == 8
    # a worker killed after 3 items, in the middle of writing the 4th
    resumed = tmp_path / "resumed"
    part = build_synthetic_dataset(public_model, procedural_bank, out_dir=resumed, max_items=3, **kw)
    assert part == {"complete": False, "present": 3, "planned": 8, "manifest": None}
    assert not (resumed / "manifest.json").exists()
    (resumed / "masks" / "0002.png").unlink()  # item 2 lost a file
    (resumed / "damaged" / "0004.tmp.png").write_bytes(b"half a png")  # a write cut short
    plan = plan_dataset(sorted(p.name for p in clean_dir.glob("*.png")), count=8, seed=9)
    assert [p.id for p in missing_items(resumed, plan)] == ["0002", "0004", "0005", "0006", "0007", "0008"]
    seen = []
    final = build_synthetic_dataset(public_model, procedural_bank, out_dir=resumed,
                                    progress=lambda i, n: seen.append((i, n)), **kw)
    assert final["complete"] and seen[0] == (3, 8) and seen[-1] == (8, 8)
    assert _files(resumed) == _files(one_shot)  # no temp files left, identical bytes
    manifest = json.loads((resumed / "manifest.json").read_text())
    assert manifest == json.loads((one_shot / "manifest.json").read_text())
    ids = [it["id"] for it in manifest["items"]]
    assert ids == sorted(set(ids)) and len(ids) == 8
    assert sum(it["split"] == "val" for it in manifest["items"]) == 1
    damaged_pixels = 0
    for it in manifest["items"]:
        damaged = cv2.imread(str(resumed / it["damaged"]), cv2.IMREAD_UNCHANGED)
        clean = cv2.imread(str(resumed / it["clean"]), cv2.IMREAD_UNCHANGED)
        mask = cv2.imread(str(resumed / it["mask"]), cv2.IMREAD_UNCHANGED)
        assert damaged.shape == clean.shape and damaged.dtype == clean.dtype and mask.shape == (192, 256)
        assert set(np.unique(mask).tolist()) <= {0, 255}
        # damage brightens (negative) or darkens (positive) exactly where the overlay has alpha
        diff = damaged.astype(float) - clean
        assert (diff >= 0).all() if it["polarity"] == "negative" else (diff <= 0).all()
        assert (np.abs(diff).reshape(192, 256, -1).max(axis=-1)[mask == 255] > 0).all()
        damaged_pixels += int((mask == 255).sum())
    assert damaged_pixels > 500  # the items do carry damage


def test_resume_with_other_settings_is_refused(public_model, procedural_bank, clean_dir, tmp_path):
    out = tmp_path / "out"
    build_synthetic_dataset(public_model, procedural_bank, clean_dir=clean_dir, out_dir=out, count=2, seed=1,
                            crop=(128, 96))
    with pytest.raises(DatasetError, match="other settings"):
        build_synthetic_dataset(public_model, procedural_bank, clean_dir=clean_dir, out_dir=out, count=2,
                                seed=2, crop=(128, 96))
    with pytest.raises(DatasetError, match="larger than"):
        build_synthetic_dataset(public_model, procedural_bank, clean_dir=clean_dir, out_dir=tmp_path / "x",
                                count=1, crop=(1000, 1000))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no clean images"):
        build_synthetic_dataset(public_model, procedural_bank, clean_dir=tmp_path / "empty", out_dir=tmp_path / "y")
