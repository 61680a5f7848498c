"""Artefact bank: cut-out alpha by hand, bit depth kept, mapping and folder checks."""
from __future__ import annotations

import numpy as np
import pytest

from annotation.core.bank import (
    DEFAULT_PUBLIC_MAPPING,
    cut_out,
    iter_artefact_folder,
    load_artefact_image,
    parse_mapping,
    rasterise,
)
from imaging.io import ImageError, write_image
from tests.support import PUBLIC_DATA, needs_public_data


def test_binary_alpha_of_a_square_is_the_pixels_it_covers():
    # given a 16-bit RGB image and the square (2, 2)-(6, 6): pixels 2..5 in x and y
    img = np.arange(10 * 12 * 3, dtype=np.uint16).reshape(10, 12, 3) * 50
    sq = [(2, 2), (6, 2), (6, 6), (2, 6)]
    # when
    out = cut_out(img, sq)
    # then: a 4 x 4 cut-out, fully opaque, with the scan's own pixels and dtype
    assert out.dtype == np.uint16 and out.shape == (4, 4, 4)
    assert (out[:, :, 3] == 65535).all()
    np.testing.assert_array_equal(out[:, :, :3], img[2:6, 2:6])


def test_triangle_is_zero_padded_to_a_centred_square():
    img = np.full((20, 20), 200, dtype=np.uint8)
    tri = [(4, 5), (12, 5), (4, 9)]  # box 8 x 4 -> square 8, 2 rows of padding above
    out = cut_out(img, tri)
    assert out.shape == (8, 8, 4) and out.dtype == np.uint8
    assert not out[:2].any() and not out[6:].any()  # padding
    a = out[2:6, :, 3] > 0
    # pixel centres (x + .5, y + .5) inside the triangle x <= 12 - 2 * (y - 5), by hand
    expected = np.array([[xc + 0.5 <= 8 - 2 * (yc + 0.5) for xc in range(8)] for yc in range(4)])
    np.testing.assert_array_equal(a, expected)
    assert (out[2:6][a][:, :3] == 200).all() and (out[2:6][~a][:, :3] == 0).all()


def test_coverage_alpha_sums_to_the_polygon_area():
    # a right triangle of area 12 with its hypotenuse across pixels
    tri = [(0, 0), (6, 0), (0, 4)]
    mask = rasterise(tri, (4, 6), alpha="coverage")
    assert mask.sum() == pytest.approx(12.0, abs=0.5)
    assert mask[0, 0] == 1.0 and mask[3, 5] == 0.0
    assert ((mask > 0) & (mask < 1)).any()  # anti-aliased edge
    out = cut_out(np.zeros((4, 6, 3), np.uint8) + 9, tri, alpha="coverage")
    assert out[:, :, 3].max() == 255 and set(np.unique(out[:, :, 3])) > {0, 255}


def test_rgba_scan_alpha_is_multiplied_in():
    img = np.zeros((4, 4, 4), np.uint8)
    img[..., 3] = 128
    out = cut_out(img, [(0, 0), (4, 0), (4, 4), (0, 4)])
    assert (out[:, :, 3] == 128).all()


def test_cut_out_refuses_bad_input():
    img = np.zeros((10, 10), np.uint8)
    with pytest.raises(ValueError, match="inside"):
        cut_out(img, [(5, 5), (12, 5), (5, 8)])
    with pytest.raises(ValueError, match="uint8 or uint16"):
        cut_out(img.astype(np.float32), [(1, 1), (5, 1), (1, 5)])
    with pytest.raises(ValueError, match="N >= 3"):
        cut_out(img, [(1, 1), (5, 1)])


def test_parse_mapping():
    text = ",".join(f"{k}={v}" for k, v in DEFAULT_PUBLIC_MAPPING.items())
    assert parse_mapping(text) == DEFAULT_PUBLIC_MAPPING
    assert parse_mapping(" lint = Short_Hair ") == {"lint": "short hair"}
    for bad, msg in [("", "empty"), ("lint", "folder=class"), ("lint=fluff", "unknown class"),
                     ("a=dust,a=dirt", "twice"), ("../x=dust", "plain folder")]:
        with pytest.raises(ValueError, match=msg):
            parse_mapping(bad)


def test_public_mapping_matches_the_data_readme():
    # the README's table: sprinkles -> dust; dirt, dots, smut, spots, stain, scratches -> dirt;
    # hair-short, lint -> short hair; hair -> long hair
    by_class = {}
    for folder, cls in DEFAULT_PUBLIC_MAPPING.items():
        by_class.setdefault(cls, set()).add(folder)
    assert by_class == {"dust": {"sprinkles"},
                        "dirt": {"dirt", "dots", "smut", "spots", "stain", "scratches"},
                        "short hair": {"hair-short", "lint"}, "long hair": {"hair"}}


def test_folder_iteration_and_artefact_images(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[2:4, 2:6, 3] = 255
    rgba[6, 6, 3] = 51  # a fifth of a pixel
    write_image(tmp_path / "a" / "x.png", rgba)
    (tmp_path / "a" / "notes.txt").write_text("skip me")
    with pytest.raises(ValueError, match="does not name"):
        iter_artefact_folder(tmp_path, {"a": "dust"})
    with pytest.raises(ValueError, match="no folder"):
        iter_artefact_folder(tmp_path, {"a": "dust", "c": "dirt"})
    (src,) = list(iter_artefact_folder(tmp_path, {"a": "dust"}, ignore_unmapped=True))
    assert (src.folder, src.cls, src.path.name) == ("a", "dust", "x.png")
    img, area = load_artefact_image(src.path)
    assert img.shape == (8, 8, 4) and area == pytest.approx(8.2)
    write_image(tmp_path / "b" / "grey.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="alpha"):
        load_artefact_image(tmp_path / "b" / "grey.png")
    (tmp_path / "b" / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(ImageError):
        load_artefact_image(tmp_path / "b" / "bad.png")


@needs_public_data
def test_public_artefact_folder():
    sources = list(iter_artefact_folder(PUBLIC_DATA / "synthetic", DEFAULT_PUBLIC_MAPPING))
    assert len(sources) == 6100
    counts = {}
    for s in sources:
        counts[s.cls] = counts.get(s.cls, 0) + 1
    assert counts == {"dust": 200, "dirt": 1200, "short hair": 700, "long hair": 4000}
    img, area = load_artefact_image(sources[0].path)
    assert img.shape == (400, 400, 4) and img.dtype == np.uint8 and 0 < area < 160000
