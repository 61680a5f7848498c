"""The overlay renderer: compositing by hand, determinism, polarity, masks, torch path, files."""
from __future__ import annotations

import copy
import json

import cv2
import numpy as np
import pytest
import torch

from annotation.core.types import CLASSES, FrameGeometry
from synthesis.core.bank import ArtefactBank
from synthesis.core.overlays import generate_overlays
from synthesis.core.render import OverlayPlan, apply_overlay, binarise, composite_cpu, plan_overlay, render_overlay
from synthesis.core.render_torch import composite_torch
from synthesis.core.scratches import scratch_for_area

torch.set_num_threads(2)


def _hand_plan(bank, items, width=40, height=30) -> OverlayPlan:
    """A plan of (entry, scale, angle, x, y) dust items."""
    arr = np.array(items, dtype=np.float64).reshape(-1, 5)
    n = len(arr)
    return OverlayPlan(width, height, np.zeros(n, dtype=np.int64), arr[:, 0].astype(np.int64), arr[:, 1],
                       arr[:, 2], arr[:, 3], arr[:, 4], np.ones(n))


def _bank_of(*alphas) -> ArtefactBank:
    bank = ArtefactBank()
    for i, a in enumerate(alphas):
        bank.add("dust", a, source=f"hand{i}")
    return bank


def test_one_artefact_lands_where_planned():
    # a 5 x 5 opaque square, scale 1, no rotation, centre (22, 12): source pixel (i, j) -> (20 + i, 10 + j)
    bank = _bank_of(np.full((5, 5), 255, np.uint8))
    plan = _hand_plan(bank, [(0, 1.0, 0.0, 22.0, 12.0)])
    alpha = composite_cpu(plan, bank)
    expected = np.zeros((30, 40), np.float32)
    expected[10:15, 20:25] = 1.0
    np.testing.assert_allclose(alpha, expected, atol=1e-6)
    np.testing.assert_allclose(composite_torch(plan, bank, device="cpu"), expected, atol=1e-5)
    # rotating a square by pi/2 about its centre leaves it in place
    plan90 = _hand_plan(bank, [(0, 1.0, np.pi / 2, 22.0, 12.0)])
    np.testing.assert_allclose(composite_cpu(plan90, bank), expected, atol=1e-5)


def test_overlapping_artefacts_composite_as_over():
    # two half-transparent squares overlapping in one column: 1 - (1 - 0.5)(1 - 0.5) = 0.75 there
    half = np.full((3, 3), 128, np.uint8)
    bank = _bank_of(half)
    plan = _hand_plan(bank, [(0, 1.0, 0.0, 11.0, 11.0), (0, 1.0, 0.0, 13.0, 11.0)])
    alpha = composite_cpu(plan, bank)
    a = 128 / 255
    assert alpha[11, 10] == pytest.approx(a, abs=1e-6)
    assert alpha[11, 12] == pytest.approx(1 - (1 - a) ** 2, abs=1e-6)
    assert alpha[11, 14] == pytest.approx(a, abs=1e-6)
    # an artefact half outside the frame is clipped, not wrapped
    edge = _hand_plan(bank, [(0, 1.0, 0.0, 0.0, 0.0)])
    assert composite_cpu(edge, bank).sum() == pytest.approx(4 * a, abs=1e-5)


def test_same_seed_same_bytes_different_seed_different(public_model, procedural_bank):
    kw = dict(width=1200, height=824, device="cpu")
    a = render_overlay(public_model, procedural_bank, seed=11, **kw)
    b = render_overlay(public_model, procedural_bank, seed=11, **kw)
    c = render_overlay(public_model, procedural_bank, seed=12, **kw)
    assert a.alpha.tobytes() == b.alpha.tobytes() and a.counts == b.counts
    assert a.alpha.tobytes() != c.alpha.tobytes()
    assert a.alpha.dtype == np.float32 and a.alpha.min() >= 0 and a.alpha.max() <= 1
    assert a.mask.dtype == bool and a.damaged_fraction == pytest.approx(a.mask.mean())


def test_torch_path_agrees_with_cpu_path(public_model, procedural_bank):
    plan = plan_overlay(public_model, procedural_bank, width=900, height=600, seed=5, damage_level=3.0)
    assert len(plan) > 50
    cpu = composite_cpu(plan, procedural_bank)
    tch = composite_torch(plan, procedural_bank, device="cpu")
    assert np.abs(cpu - tch).max() < 1e-3
    assert np.array_equal(tch, composite_torch(plan, procedural_bank, device="cpu"))


def test_damage_level_scales_counts(public_model, procedural_bank):
    none = render_overlay(public_model, procedural_bank, width=800, height=600, seed=1, damage_level=0.0,
                          device="cpu")
    assert sum(none.counts.values()) == 0 and none.alpha.max() == 0
    low = [sum(render_overlay(public_model, procedural_bank, width=800, height=600, seed=s,
                              damage_level=1.0, device="cpu").counts.values()) for s in range(4)]
    high = [sum(render_overlay(public_model, procedural_bank, width=800, height=600, seed=s,
                               damage_level=4.0, device="cpu").counts.values()) for s in range(4)]
    expected = sum(public_model.expected_counts(width=800, height=600).values())
    assert np.mean(high) / np.mean(low) == pytest.approx(4.0, rel=0.25)
    assert np.mean(low) == pytest.approx(expected, rel=0.25)


def test_kde_map_steers_the_centres(public_model, procedural_bank):
    # given a model whose dust KDE map is empty on the right half of the frame
    model = copy.deepcopy(public_model)
    density = model.classes["dust"].density
    density[:, density.shape[1] // 2:] = 0.0
    # when centres are drawn with the map, then no dust lies right of the middle, give or take the
    # bilinear upsampling of the 32-column map (1/32 of 1600 px = 50 px)
    plan = plan_overlay(model, procedural_bank, width=1600, height=1100, seed=2, use_kde_map=True)
    dust_x = plan.x[plan.cls == CLASSES.index("dust")]
    assert len(dust_x) > 20 and dust_x.max() < 800 + 50
    free = plan_overlay(model, procedural_bank, width=1600, height=1100, seed=2)
    assert free.x[free.cls == CLASSES.index("dust")].max() > 1000


def test_bad_render_input(public_model, procedural_bank):
    with pytest.raises(ValueError, match="polarity"):
        render_overlay(public_model, procedural_bank, width=64, height=64, seed=0, polarity="sepia")
    with pytest.raises(ValueError, match="frame is"):
        render_overlay(public_model, procedural_bank, width=64, height=64, seed=0,
                       frame=FrameGeometry.for_35mm(128, 64))
    with pytest.raises(ValueError, match="damage_level"):
        render_overlay(public_model, procedural_bank, width=64, height=64, seed=0, damage_level=-1)
    with pytest.raises(ValueError, match="count_basis"):
        render_overlay(public_model, procedural_bank, width=64, height=64, seed=0, count_basis="mm")


def test_apply_overlay_polarity_and_dtypes():
    alpha = np.array([[0.0, 0.5], [1.0, 0.25]], np.float32)
    clean8 = np.full((2, 2, 3), 100, np.uint8)
    neg = apply_overlay(clean8, alpha, polarity="negative")
    pos = apply_overlay(clean8, alpha, polarity="positive")
    # negative: 100 + (255 - 100) a -> 100, 177.5 -> 178, 255, 138.75 -> 139; positive: 100 (1 - a)
    assert neg[..., 0].tolist() == [[100, 178], [255, 139]] and neg.dtype == np.uint8
    assert pos[..., 0].tolist() == [[100, 50], [0, 75]]
    clean16 = np.full((2, 2), 1000, np.uint16)
    neg16 = apply_overlay(clean16, alpha, polarity="negative")
    assert neg16.dtype == np.uint16 and neg16[1, 0] == 65535 and neg16[0, 1] == round(1000 + 64535 * 0.5)
    cleanf = np.full((2, 2), 0.2, np.float32)
    assert apply_overlay(cleanf, alpha, polarity="positive")[0, 1] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="overlay is"):
        apply_overlay(np.zeros((3, 2), np.uint8), alpha, polarity="negative")
    with pytest.raises(ValueError, match="polarity"):
        apply_overlay(clean8, alpha)


def test_binarise():
    alpha = np.array([0.0, 0.49, 0.5, 1.0])
    assert binarise(alpha).tolist() == [False, False, True, True]
    assert binarise(alpha, 0.2).tolist() == [False, True, True, True]
    with pytest.raises(ValueError):
        binarise(alpha, 0.0)


def test_scratches_run_along_the_long_edge_with_the_planned_mass():
    rng = np.random.default_rng(0)
    for w, h in ((4944, 3396), (3396, 4944)):
        patch = scratch_for_area(area_px=4000.0, width=w, height=h, rng=rng, um_per_px=7.0)
        long_axis = 1 if w > h else 0
        assert patch.shape[long_axis] > 20 * patch.shape[1 - long_axis]
        assert patch.sum() == pytest.approx(4000.0, rel=0.1)


def test_generate_overlays_writes_pngs_and_json(public_model, procedural_bank, tmp_path):
    result = generate_overlays(public_model, procedural_bank, width=640, height=440, count=3, seed=4,
                               out_dir=tmp_path, polarity="random", damage_level=5.0, device="cpu")
    json.dumps(result)
    items = result["overlays"]
    assert [p["overlay"].rsplit("/", 1)[1] for p in items] == ["overlay_0001.png", "overlay_0002.png",
                                                                "overlay_0003.png"]
    for item in items:
        overlay = cv2.imread(item["overlay"], cv2.IMREAD_UNCHANGED)
        mask = cv2.imread(item["mask"], cv2.IMREAD_UNCHANGED)
        assert overlay.shape == (440, 640, 4) and mask.shape == (440, 640) and mask.dtype == np.uint8
        assert set(np.unique(mask).tolist()) <= {0, 255}
        assert (mask == 255).mean() == pytest.approx(item["damaged_fraction"])
        # mask = alpha >= 0.5, and the overlay's alpha channel is round(255 alpha)
        assert np.array_equal(mask == 255, overlay[..., 3] >= 128)
        assert set(item["counts"]) == set(CLASSES) and item["seconds"] > 0
        colour = 255 if item["polarity"] == "negative" else 0
        assert (overlay[..., :3] == colour).all()
    again = generate_overlays(public_model, procedural_bank, width=640, height=440, count=3, seed=4,
                              out_dir=tmp_path / "again", polarity="random", damage_level=5.0, device="cpu")
    assert [i["counts"] for i in again["overlays"]] == [i["counts"] for i in items]
    with pytest.raises(ValueError, match="polarity"):
        generate_overlays(public_model, procedural_bank, width=64, height=64, count=1, seed=0,
                          out_dir=tmp_path, polarity="both")
