"""Statistics and figures on small hand-built scans whose answers are worked out by hand."""
from __future__ import annotations

import json

import numpy as np
import pytest

from annotation.core.geometry import validate_polygon
from annotation.core.plots import statistics_figures
from annotation.core.stats import (
    all_patch_counts,
    area_histogram,
    area_values,
    damage_stats,
    density_map,
    patch_count_histogram,
    patch_counts,
)
from annotation.core.types import CLASSES, FrameGeometry, ScanArtefacts

FRAME = FrameGeometry(600, 300, 35.0, 24.0)  # a 3 x 2 patch grid, the last column/row padded


def _square(x, y, side, cls):
    pts = [(x, y), (x + side, y), (x + side, y + side), (x, y + side)]
    return validate_polygon(pts, width=600, height=300, frame=FRAME).to_artefact(cls)


@pytest.fixture
def scans():
    a = ScanArtefacts("a", FRAME, [
        _square(10, 10, 2, "dust"),      # centroid (11, 11)   -> patch (0, 0)
        _square(20, 20, 4, "dust"),      # centroid (22, 22)   -> patch (0, 0)
        _square(300, 10, 6, "dust"),     # centroid (303, 13)  -> patch (1, 0)
        _square(590, 290, 10, "dirt"),   # centroid (595, 295) -> patch (2, 1)
    ])
    b = ScanArtefacts("b", FRAME, [_square(100, 260, 2, "dust")])  # (101, 261) -> patch (0, 1)
    return [a, b]


def test_damage_stats_has_exactly_the_promised_shape(scans):
    stats = damage_stats(scans, name="demo")
    assert json.loads(json.dumps(stats)) == stats
    assert list(stats) == ["dataset", "scans", "classes"]
    assert stats["dataset"] == "demo" and stats["scans"] == 2
    assert list(stats["classes"]) == list(CLASSES)
    dust = stats["classes"]["dust"]
    # areas 4, 16, 36, 4 px; population std by hand
    px = np.array([4.0, 16.0, 36.0, 4.0]) * FRAME.um2_per_px
    assert dust["count"] == 4
    assert dust["area_um2"]["mean"] == pytest.approx(px.mean())
    assert dust["area_um2"]["std"] == pytest.approx(np.sqrt(((px - px.mean()) ** 2).mean()))
    assert stats["classes"]["scratch"] == {"count": 0, "area_um2": {"mean": None, "std": None}}


def test_patch_counts_by_centroid_include_empty_patches(scans):
    counts = patch_counts(scans[0], "dust")
    assert counts.shape == (2, 3)
    assert counts.tolist() == [[2, 1, 0], [0, 0, 0]]
    assert patch_counts(scans[0], "dirt").tolist() == [[0, 0, 0], [0, 0, 1]]
    assert all_patch_counts(scans, "dust").tolist() == [2, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]
    k, n = patch_count_histogram(scans, "dust")
    assert k.tolist() == [0, 1, 2] and n.tolist() == [9, 2, 1]


def test_area_values_and_histograms(scans):
    assert area_values(scans, "dust", unit="px").tolist() == [4.0, 16.0, 36.0, 4.0]
    counts, edges = area_histogram(scans, "dust", unit="px", bins=4)
    assert edges.tolist() == [4.0, 12.0, 20.0, 28.0, 36.0]
    assert counts.tolist() == [2, 1, 0, 1]
    counts, edges = area_histogram(scans, "dust", unit="px", bins=2, log=True)
    assert edges == pytest.approx([4.0, 12.0, 36.0]) and counts.tolist() == [2, 2]
    with pytest.raises(ValueError, match="unknown class"):
        area_values(scans, "fluff")
    with pytest.raises(ValueError, match="unit"):
        area_values(scans, "dust", unit="mm")


def test_density_map_in_normalised_frame_coordinates(scans):
    dm = density_map(scans, "dust", bins=(2, 2))
    # normalised centroids: (11/600, 11/300), (22/600, 22/300), (303/600, 13/300), (101/600, 261/300)
    assert dm.count == 4
    assert dm.values.shape == (2, 2)  # (h_bins, w_bins)
    # bins of area 1/4; density = share / (1/4)
    assert dm.values.tolist() == [[2.0, 1.0], [1.0, 0.0]]
    assert (dm.values.sum() / 4) == pytest.approx(1.0)
    smooth = density_map(scans, "dust", bins=(8, 6), smooth=1.0)
    assert smooth.values.sum() / 48 == pytest.approx(1.0)
    assert density_map(scans, "scratch", bins=(4, 3)).values.sum() == 0


def test_figures_are_valid_plotly_and_json(scans):
    import plotly.graph_objects as go

    figs = statistics_figures(scans, name="demo")
    assert {"counts", "areas_px", "areas_um2", "patch_counts", "density_dust"} <= set(figs)
    for fig in figs.values():
        json.dumps(fig)
        go.Figure(fig)  # raises on an invalid figure spec
    assert figs["counts"]["data"][0]["y"] == [4, 1, 0, 0, 0]
