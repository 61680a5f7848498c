"""Polygon validation: hand-derived areas, centroids and patches, and every refusal."""
from __future__ import annotations

import numpy as np
import pytest

from annotation.core.geometry import PolygonError, patch_grid, patch_of, validate_polygon
from annotation.core.types import FrameGeometry

W, H = 4944, 3396
FRAME = FrameGeometry.for_35mm(W, H)


def test_square_measures_by_hand():
    # given a 10 x 20 px rectangle
    pts = [(100, 300), (110, 300), (110, 320), (100, 320)]
    # when
    vp = validate_polygon(pts, width=W, height=H, frame=FRAME)
    # then: area 200 px; 1 px = (35000/4944) x (24000/3396) um
    assert vp.area_px == 200.0
    assert vp.area_um2 == pytest.approx(200 * (35000 / 4944) * (24000 / 3396), rel=1e-12)
    assert vp.bbox == (100.0, 300.0, 110.0, 320.0)
    assert vp.centroid == (105.0, 310.0)
    assert vp.patch == (0, 1)  # x 105 -> col 0, y 310 -> row 1
    assert vp.notes == () and vp.parts == 1
    np.testing.assert_array_equal(vp.points, np.array(pts, dtype=float))


def test_closing_vertex_and_consecutive_repeats_are_dropped_without_changing_area():
    pts = [(0, 0), (0, 0), (4, 0), (4, 3), (4, 3), (0, 3), (0, 0)]
    vp = validate_polygon(pts, width=W, height=H)
    assert vp.points.tolist() == [[0, 0], [4, 0], [4, 3], [0, 3]]
    assert vp.area_px == 12.0


def test_default_frame_is_35_by_24_mm():
    vp = validate_polygon([(0, 0), (1, 0), (1, 1)], width=W, height=H)
    assert vp.area_um2 == pytest.approx(0.5 * FRAME.um2_per_px)


@pytest.mark.parametrize("pts, message", [
    ([(0, 0), (5, 5)], "at least 3 distinct points, got 2"),
    ([(0, 0), (5, 5), (0, 0), (5, 5)], "at least 3 distinct points, got 2"),
    ([(1, 1), (1, 1), (1, 1)], "at least 3 distinct points, got 1"),
    ([(0, 0), (5, 5), (10, 10)], "zero area"),
    ([(0, 0), (10, 0), (5, 0), (2, 0)], "zero area"),
    ([(0, 0), (float("nan"), 1), (2, 2)], "finite"),
    ([(0, 0, 1), (1, 1, 1), (2, 0, 1)], "(x, y) pairs"),
    ([("a", 1), (2, 2), (3, 0)], "number pairs"),
    ([], "(x, y) pairs"),
])
def test_refused_polygons_say_what_is_wrong(pts, message):
    with pytest.raises(PolygonError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_polygon(pts, width=W, height=H)


def test_polygon_error_is_a_value_error():
    assert issubclass(PolygonError, ValueError)


def test_bow_tie_is_repaired_with_a_note_and_both_lobes_kept():
    # given a bow-tie whose signed (shoelace) area is 0 but whose lobes are 1 px^2 each
    pts = [(0, 0), (2, 2), (2, 0), (0, 2)]
    # when
    vp = validate_polygon(pts, width=W, height=H)
    # then: both triangles (0,0)-(1,1)-(0,2) and (2,0)-(1,1)-(2,2) of area 1 are kept
    assert vp.area_px == pytest.approx(2.0)
    assert vp.parts == 2
    assert vp.centroid == pytest.approx((1.0, 1.0))
    assert len(vp.notes) == 1 and "Self-intersection" in vp.notes[0] and "2 part" in vp.notes[0]
    np.testing.assert_array_equal(vp.points, np.array(pts, dtype=float))  # the drawn ring


def test_split_largest_keeps_the_largest_part_and_says_so():
    # lobes of area 4 (left, apex at (2, 2)) and 1 (right): (0,0)-(2,2)-(0,4) and (2,2)-(3,1)-(3,3)
    pts = [(0, 0), (3, 3), (3, 1), (0, 4)]
    vp = validate_polygon(pts, width=W, height=H, split="largest")
    assert vp.area_px == pytest.approx(4.0)
    assert vp.parts == 1
    assert any("kept the largest of 2 parts" in n for n in vp.notes)
    assert sorted(map(tuple, vp.points.tolist())) == [(0, 0), (0, 4), (2, 2)]


def test_vertex_touching_ring_is_repaired_with_all_area():
    # a figure of eight through the shared vertex (2, 2): squares of 4 px^2 each
    pts = [(0, 0), (2, 0), (2, 2), (4, 2), (4, 4), (2, 4), (2, 2), (0, 2)]
    vp = validate_polygon(pts, width=W, height=H)
    assert vp.area_px == pytest.approx(8.0)
    assert vp.notes and "repaired" in vp.notes[0]


def test_vertex_just_outside_is_moved_onto_the_edge_with_a_note():
    pts = [(W - 10, 10), (W + 2, 10), (W + 2, 20), (W - 10, 20)]
    vp = validate_polygon(pts, width=W, height=H, edge_tolerance_px=4)
    assert vp.bbox == (W - 10.0, 10.0, float(W), 20.0)
    assert vp.area_px == 100.0
    assert "moved onto its edge" in vp.notes[0]
    assert vp.patch == (W // 256, 0)


def test_vertex_far_outside_is_refused():
    with pytest.raises(PolygonError, match=r"outside the 4944 x 3396 image"):
        validate_polygon([(10, 10), (20, 10), (20, H + 50)], width=W, height=H)
    with pytest.raises(PolygonError, match="outside"):
        validate_polygon([(-1, 10), (20, 10), (20, 20)], width=W, height=H, edge_tolerance_px=0)


def test_polygon_wholly_clamped_to_a_line_is_refused():
    with pytest.raises(PolygonError):
        validate_polygon([(-1, 5), (-2, 10), (-3, 20)], width=W, height=H)


def test_frame_must_match_the_canvas():
    with pytest.raises(ValueError, match="same scan"):
        validate_polygon([(0, 0), (1, 0), (1, 1)], width=W, height=H,
                         frame=FrameGeometry.for_35mm(100, 100))


def test_patch_grid_pads_the_edges():
    assert patch_grid(4944, 3396) == (14, 20)  # the paper's loader: a 14 x 20 grid
    assert patch_grid(512, 256) == (1, 2)
    assert patch_of(511.9, 255.9, width=512, height=256) == (1, 0)
    assert patch_of(512.0, 256.0, width=512, height=256) == (1, 0)  # far edge: last patch
    assert patch_of(256.0, 0.0, width=512, height=256) == (1, 0)


def test_portrait_frame_puts_the_long_edge_on_y():
    f = FrameGeometry.for_35mm(2400, 3500)
    assert (f.frame_w_mm, f.frame_h_mm) == (24.0, 35.0)
    assert f.um2_per_px == pytest.approx(100.0)
    assert FrameGeometry.for_format(2400, 3500, 35, 24) == f
