"""Deep Zoom pyramid: levels, tile counts and tile sizes as the spec (and OpenSeadragon) expect."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from imaging.dzi import build_dzi, dzi_levels, tile_bounds, tile_grid
from imaging.io import read_image


def test_levels_by_hand():
    # 600 x 300: max level ceil(log2 600) = 10; sizes halve with ceiling division
    levels = dzi_levels(600, 300)
    assert len(levels) == 11
    assert levels[10] == (600, 300) and levels[9] == (300, 150) and levels[8] == (150, 75)
    assert levels[7] == (75, 38) and levels[1] == (2, 1) and levels[0] == (1, 1)
    assert dzi_levels(1, 1) == [(1, 1)]
    assert dzi_levels(512, 512)[-1] == (512, 512) and len(dzi_levels(512, 512)) == 10


def test_tile_bounds_include_overlap_only_towards_neighbours():
    assert tile_grid(600, 300, 254) == (3, 2)
    assert tile_bounds(0, 0, 600, 300, tile_size=254, overlap=1) == (0, 0, 255, 255)
    assert tile_bounds(1, 0, 600, 300, tile_size=254, overlap=1) == (253, 0, 509, 255)
    assert tile_bounds(2, 1, 600, 300, tile_size=254, overlap=1) == (507, 253, 600, 300)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_pyramid_on_disk_follows_the_spec(tmp_path, dtype):
    # given a 600 x 300 RGB image
    rng = np.random.default_rng(3)
    img = rng.integers(0, np.iinfo(dtype).max, (300, 600, 3), dtype=dtype)
    calls = []
    # when
    dzi = build_dzi(img, tmp_path, name="s1", tile_size=254, overlap=1, fmt="png",
                    progress=lambda i, n: calls.append((i, n)))
    # then: the descriptor
    root = ET.parse(dzi).getroot()
    ns = "{http://schemas.microsoft.com/deepzoom/2008}"
    assert root.tag == f"{ns}Image"
    assert root.attrib == {"Format": "png", "Overlap": "1", "TileSize": "254"}
    size = root.find(f"{ns}Size").attrib
    assert (size["Width"], size["Height"]) == ("600", "300")
    # and the tiles: every level present, tile counts and sizes as computed by hand
    files = tmp_path / "s1_files"
    assert sorted(int(p.name) for p in files.iterdir()) == list(range(11))
    total = 0
    for level, (w, h) in enumerate(dzi_levels(600, 300)):
        cols, rows = math.ceil(w / 254), math.ceil(h / 254)
        names = sorted(p.name for p in (files / str(level)).iterdir())
        assert names == sorted(f"{c}_{r}.png" for c in range(cols) for r in range(rows))
        total += cols * rows
        for c in range(cols):
            for r in range(rows):
                x0, y0, x1, y1 = tile_bounds(c, r, w, h, tile_size=254, overlap=1)
                assert read_image(files / str(level) / f"{c}_{r}.png").shape == (y1 - y0, x1 - x0, 3)
    assert total == 6 + 2 + 1 * 9  # levels 10, 9 and the nine below
    assert calls[-1] == (total, total)
    # the top level is the image itself (8-bit rendering for 16-bit input)
    top = read_image(files / "10" / "0_0.png")
    expected = img[:255, :255] if dtype == np.uint8 else \
        np.rint(img[:255, :255] * (255 / 65535)).astype(np.uint8)
    np.testing.assert_array_equal(top, expected)
    assert not list(tmp_path.glob(".s1_files.partial-*"))


def test_levels_are_area_averages_of_the_level_above(tmp_path):
    img = np.zeros((4, 8), np.uint8)
    img[:, ::2] = 200  # columns alternate 200, 0
    build_dzi(img, tmp_path, name="g", fmt="png")
    assert (read_image(tmp_path / "g_files" / "2" / "0_0.png") == 100).all()  # 4 x 2


def test_rebuild_replaces_and_bad_input_is_refused(tmp_path):
    img = np.zeros((10, 20, 4), np.uint8)
    build_dzi(img, tmp_path, name="a", fmt="png")
    build_dzi(img[:5, :5], tmp_path, name="a", fmt="png")
    assert sorted(p.name for p in (tmp_path / "a_files").iterdir()) == ["0", "1", "2", "3"]
    with pytest.raises(ValueError, match="alpha"):
        build_dzi(img, tmp_path, fmt="jpg")
    with pytest.raises(ValueError, match="name"):
        build_dzi(img[..., :3], tmp_path, name="../x")
    with pytest.raises(ValueError, match="uint8 or uint16"):
        build_dzi(img.astype(np.float32), tmp_path)
