"""restoration.core.components: a mask as polygons and back (issue 13, "Done when": under 1% lost or added)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from annotation.core.bank import rasterise
from restoration.core.components import (
    REPAIRED_STATUSES,
    UNKNOWN,
    Component,
    components_to_mask,
    guess_class,
    mask_to_components,
)


def damage_mask(shape=(600, 800), *, hairs=25, dust=120, seed=0) -> np.ndarray:
    """Hairs (thin curved strokes 1-3 px wide) and dust (small blobs, some touching, some with holes)."""
    rng = np.random.default_rng(seed)
    h, w = shape
    mask = np.zeros(shape, np.uint8)
    for _ in range(hairs):  # a quadratic Bezier curve drawn as a polyline
        p = rng.uniform([0, 0], [w, h], size=(3, 2))
        t = np.linspace(0, 1, 60)[:, None]
        curve = (1 - t) ** 2 * p[0] + 2 * (1 - t) * t * p[1] + t ** 2 * p[2]
        cv2.polylines(mask, [np.round(curve).astype(np.int32)], False, 255, thickness=int(rng.integers(1, 4)))
    for _ in range(dust):
        cx, cy = rng.integers(0, w), rng.integers(0, h)
        r = int(rng.integers(1, 6))
        cv2.circle(mask, (int(cx), int(cy)), r, 255, -1)
        if rng.random() < 0.4:  # a touching neighbour
            cv2.ellipse(mask, (int(cx + r), int(cy)), (int(rng.integers(1, 4)), int(rng.integers(1, 4))),
                        float(rng.uniform(0, 180)), 0, 360, 255, -1)
    for _ in range(5):  # rings: dust with a hole
        cx, cy = rng.integers(20, w - 20), rng.integers(20, h - 20)
        cv2.circle(mask, (int(cx), int(cy)), int(rng.integers(4, 9)), 255, 2)
    return mask > 0


@pytest.mark.parametrize("seed, tolerance", [(0, 0.25), (1, 0.25), (2, 0.25), (0, 0.0)])
def test_round_trip_loses_and_adds_under_one_percent(seed, tolerance):
    # given a mask of hairs and dust
    mask = damage_mask(seed=seed)
    # when it goes to polygons and back
    comps = mask_to_components(mask, tolerance=tolerance)
    back = components_to_mask(comps, mask.shape)
    # then one polygon per 8-connected component, and under 1% of the mask's pixels lost or added
    n, _ = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    assert len(comps) == n - 1
    lost, added = (mask & ~back).sum(), (back & ~mask).sum()
    assert lost < 0.01 * mask.sum(), (lost, mask.sum())
    assert added < 0.01 * mask.sum(), (added, mask.sum())
    assert sum(c.area_px for c in comps) == mask.sum()


def test_unsimplified_round_trip_is_exact_and_keeps_holes():
    # given a 1 px pixel, a 1 px diagonal line, a filled square with a 1 px hole and a ring
    mask = np.zeros((40, 40), bool)
    mask[2, 2] = True
    for i in range(10):
        mask[5 + i, 20 + i] = True
    mask[20:27, 3:10] = True
    mask[23, 6] = False
    cv2.circle(mask.view(np.uint8), (30, 30), 6, 1, 1)
    # when
    comps = mask_to_components(mask, tolerance=0.0)
    # then every pixel comes back, and nothing else: the hole and the ring's inside stay empty
    np.testing.assert_array_equal(components_to_mask(comps, mask.shape), mask)
    assert sum(len(c.holes) for c in comps) == 2


def test_rasterised_like_the_annotation_app():
    # given one blob
    mask = np.zeros((30, 30), bool)
    cv2.circle(mask.view(np.uint8), (15, 12), 7, 1, -1)
    (comp,) = mask_to_components(mask)
    # then its polygon rasterised by annotation.core.bank.rasterise is the round-tripped mask
    np.testing.assert_array_equal(rasterise(comp.exterior, mask.shape) > 0, components_to_mask([comp], mask.shape))


def test_simplification_reduces_points_with_bounded_error():
    mask = damage_mask(seed=3)
    raw = mask_to_components(mask, tolerance=0.0)
    simple = mask_to_components(mask, tolerance=0.25)
    assert sum(len(c.exterior) for c in simple) < 0.6 * sum(len(c.exterior) for c in raw)


def test_scores_bbox_and_statuses():
    # given two blobs and a probability map
    mask = np.zeros((20, 40), bool)
    mask[2:5, 3:7] = True
    mask[10:15, 30:33] = True
    prob = np.zeros(mask.shape, np.float32)
    prob[3, 4] = 0.97
    prob[2:5, 3:7] += 0.5
    prob[10:15, 30:33] = 0.6
    # when
    a, b = mask_to_components(mask, probability=prob)
    # then
    assert (a.bbox, a.area_px, a.score) == ((3, 2, 4, 3), 12, pytest.approx(1.47, abs=1e-3))
    assert a.mean_score == pytest.approx(0.5 + 0.97 / 12, abs=1e-3)
    assert (b.bbox, b.score) == ((30, 10, 3, 5), pytest.approx(0.6))
    # a rejected component is left out of the repaired mask, an added one is put in
    rejected = Component.from_json({**a.to_json(), "status": "rejected"})
    added = Component.from_json({"points": [[20, 2], [25, 2], [25, 6], [20, 6]], "status": "added"})
    repaired = components_to_mask([rejected, b, added], mask.shape, statuses=REPAIRED_STATUSES)
    assert not repaired[2:5, 3:7].any() and repaired[10:15, 30:33].all() and repaired[3:5, 21:24].all()


@pytest.mark.parametrize("bad", [{"points": [[0, 0], [1, 1]]}, {"points": "x"}, {"points": [[0, 0], [1, 0], [1, 1]],
                                                                                 "status": "maybe"},
                                 {"points": [[0, 0], [1, 0], [1, 1]], "cls": "fingerprint"}])
def test_from_json_refuses_what_is_not_a_component(bad):
    with pytest.raises(ValueError):
        Component.from_json(bad)


def test_classes_from_shape_need_a_scale():
    assert guess_class(area_px=20, thickness_px=4, px_per_mm=None) == UNKNOWN
    assert guess_class(area_px=20, thickness_px=4, px_per_mm=141.0) == "dust"
    assert guess_class(area_px=2000, thickness_px=30, px_per_mm=141.0) == "dirt"
    assert guess_class(area_px=200, thickness_px=2, px_per_mm=141.0) == "short hair"
    assert guess_class(area_px=1200, thickness_px=2, px_per_mm=141.0) == "long hair"
    hair = np.zeros((50, 300), bool)
    hair[25, 10:290] = True
    (comp,) = mask_to_components(hair, px_per_mm=141.0)
    assert comp.cls == "short hair"
