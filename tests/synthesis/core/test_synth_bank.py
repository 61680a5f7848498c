"""The artefact bank: cropping, areas, picking close in area, caching, polygons, procedural shapes."""
from __future__ import annotations

import numpy as np
import pytest

from annotation.core.types import Artefact, FrameGeometry, ScanArtefacts
from synthesis.core.bank import ArtefactBank, BankError, crop_alpha
from synthesis.core.procedural import blob_alpha, hair_alpha


def _square_bank(sides=(4, 6, 8, 10, 14, 20)) -> ArtefactBank:
    bank = ArtefactBank()
    for s in sides:
        a = np.zeros((s + 6, s + 6), dtype=np.uint8)
        a[3:3 + s, 3:3 + s] = 255
        bank.add("dust", a, source=f"square{s}")
    return bank


def test_entries_are_cropped_and_measured_by_alpha_mass():
    a = np.zeros((20, 30), dtype=np.float32)
    a[5:9, 10:20] = 0.5
    cropped = crop_alpha(a)
    assert cropped.shape == (4, 10) and cropped.dtype == np.uint8
    bank = ArtefactBank()
    assert bank.add("dirt", a, source="x")
    # 40 pixels at alpha 0.5 (stored as 128/255): mass 40 * 128 / 255
    assert bank.area("dirt", 0) == pytest.approx(40 * 128 / 255)
    assert not bank.add("dirt", np.zeros((5, 5)), source="empty")
    with pytest.raises(BankError, match="unknown artefact class"):
        bank.add("smudge", a, source="x")


def test_pick_prefers_entries_at_least_as_large_within_the_window():
    bank = _square_bank()  # areas 16, 36, 64, 100, 196, 400
    rng = np.random.default_rng(0)
    # target 30: the window [30, 120] holds 36, 64 and 100 only
    picks = {bank.source("dust", i) for i in bank.pick_many("dust", np.full(300, 30.0), rng)}
    assert picks == {"square6", "square8", "square10"}
    # target 1000: nothing as large -> among the largest (k_nearest = 2 here)
    picks = {bank.source("dust", i) for i in bank.pick_many("dust", np.full(50, 1000.0), rng, k_nearest=2)}
    assert picks == {"square14", "square20"}
    # target 1: nothing within [1, 4] -> the nearest larger ones
    picks = {bank.source("dust", i) for i in bank.pick_many("dust", np.full(50, 1.0), rng, k_nearest=1)}
    assert picks == {"square4"}
    with pytest.raises(BankError, match="no appearance"):
        bank.pick_many("scratch", np.array([5.0]), rng)


def test_pyramid_and_cache_round_trip(tmp_path):
    bank = ArtefactBank()
    a = np.zeros((64, 64), dtype=np.uint8)
    a[:, :] = 255
    # 64x64 -> 32 -> 16 -> 8 -> 4 -> 2 -> 1 (mass 1 < 2 stops); the mass quarters each time
    assert bank.add_pyramid("dirt", a, source="full", levels=10) == 6
    assert [bank.area("dirt", i) for i in range(6)] == pytest.approx([4096, 1024, 256, 64, 16, 4])
    path = tmp_path / "bank.npz"
    bank.save(path, key="k")
    assert ArtefactBank.load(path, expect_key="other") is None
    again = ArtefactBank.load(path, expect_key="k")
    assert len(again) == 6 and np.array_equal(again.alpha("dirt", 2), bank.alpha("dirt", 2))
    assert again.source("dirt", 5) == "full@5"


def test_synthetic_folder_loading_with_cache(data_dir, tmp_path):
    cache = tmp_path / "synthetic.npz"
    bank = ArtefactBank.from_synthetic_folder(data_dir / "synthetic", max_per_folder=2, cache_path=cache)
    summary = bank.summary()
    # folders per the data README: sprinkles -> dust; 6 dirt folders; hair-short, lint; hair
    assert summary["dust"]["sources"] == {"image": pytest.approx(summary["dust"]["entries"])}
    assert summary["scratch"]["entries"] == 0 and summary["long hair"]["entries"] > 0
    assert cache.exists()
    again = ArtefactBank.from_synthetic_folder(data_dir / "synthetic", max_per_folder=2, cache_path=cache)
    assert again.summary() == summary
    with pytest.raises(BankError, match="no PNG images"):
        ArtefactBank.from_synthetic_folder(tmp_path)


def test_polygons_rasterise_to_their_area():
    frame = FrameGeometry.for_35mm(100, 100)
    poly = np.array([[10.0, 10.0], [30.0, 10.0], [30.0, 25.0], [10.0, 25.0]])  # 20 x 15 = 300 px
    arts = [Artefact("dust", poly, 300.0, 300.0 * frame.um2_per_px, (20.0, 17.5), (10, 10, 30, 25)),
            Artefact("long hair", poly, 300.0, 1.0, (20.0, 17.5), (10, 10, 30, 25))]
    bank = ArtefactBank()
    assert bank.add_polygons([ScanArtefacts("s", frame, arts)]) == 1  # hairs are left out by default
    # cv2.fillPoly at 4x includes both boundary rows and columns: (80 + 1) x (60 + 1) / 16 = 308.81 px;
    # the blur keeps the mass (up to uint8 rounding). Rendering scales by this measured mass.
    assert bank.area("dust", 0) == pytest.approx(81 * 61 / 16, abs=0.5)


def test_procedural_shapes():
    rng = np.random.default_rng(0)
    blob = blob_alpha(radius_px=10, rng=rng)
    # area of a star-shaped blob of mean radius 10, stretched by 0.7-1: between 0.3 and 1.6 pi r^2
    assert 0.3 * np.pi * 100 < blob.sum() < 1.6 * np.pi * 100
    hair = hair_alpha(length_px=200, thickness_px=2, rng=rng)
    # a hair is thin: its mass is about length x thickness (opacity 0.75-1), not its bounding box
    assert 0.5 * 400 < hair.sum() < 1.5 * 400 and hair.sum() < 0.2 * hair.size
    bank = ArtefactBank()
    assert bank.add_procedural(seed=3, per_class=5) == 20
    other = ArtefactBank()
    other.add_procedural(seed=3, per_class=5)
    assert all(np.array_equal(bank.alpha("long hair", i), other.alpha("long hair", i)) for i in range(5))
