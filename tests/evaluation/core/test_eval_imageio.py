"""Reading images at their own bit depth and channel order; refusing what cannot be read."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import tifffile

from evaluation.core.imageio import ImageReadError, image_size, list_images, read_image


@pytest.fixture
def rgb():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)


def test_png_is_read_as_rgb_at_its_depth(tmp_path, rgb):
    cv2.imwrite(str(tmp_path / "a.png"), rgb[..., ::-1])  # OpenCV writes BGR
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), rgb)
    wide = rgb.astype(np.uint16) * 257
    cv2.imwrite(str(tmp_path / "w.png"), wide[..., ::-1])
    got = read_image(tmp_path / "w.png")
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got, wide)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 9, np.uint8)])
    cv2.imwrite(str(tmp_path / "t.png"), rgba[..., [2, 1, 0, 3]])
    np.testing.assert_array_equal(read_image(tmp_path / "t.png"), rgba)
    cv2.imwrite(str(tmp_path / "g.png"), rgb[..., 0])
    np.testing.assert_array_equal(read_image(tmp_path / "g.png"), rgb[..., 0])


def test_tiff_is_read_with_tifffile(tmp_path, rgb):
    wide = rgb.astype(np.uint16) * 251
    tifffile.imwrite(tmp_path / "a.tiff", wide, compression="zlib")
    got = read_image(tmp_path / "a.tiff")
    assert got.dtype == np.uint16
    np.testing.assert_array_equal(got, wide)
    assert image_size(tmp_path / "a.tiff") == (17, 23)
    tifffile.imwrite(tmp_path / "stack.tif", np.stack([wide, wide]))
    with pytest.raises(ImageReadError, match="one image per file"):
        read_image(tmp_path / "stack.tif")


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_truncated_files_are_unreadable(tmp_path, rgb, suffix):
    big = np.tile(rgb, (8, 8, 1))
    path = tmp_path / f"a{suffix}"
    if suffix == ".tif":
        tifffile.imwrite(path, big)
    else:
        cv2.imwrite(str(path), big)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageReadError, match="a" + suffix):
        read_image(path)


def test_unsupported_empty_and_oversized_files(tmp_path, rgb):
    (tmp_path / "a.gif").write_bytes(b"GIF89a")
    with pytest.raises(ImageReadError, match="unsupported file type"):
        read_image(tmp_path / "a.gif")
    (tmp_path / "e.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match="e.png"):
        read_image(tmp_path / "e.png")
    cv2.imwrite(str(tmp_path / "b.png"), rgb)
    with pytest.raises(ImageReadError, match="over the limit of 100 pixels"):
        read_image(tmp_path / "b.png", max_pixels=100)


def test_list_images_by_stem(tmp_path, rgb):
    cv2.imwrite(str(tmp_path / "a.png"), rgb)
    cv2.imwrite(str(tmp_path / ".hidden.png"), rgb)
    (tmp_path / "notes.txt").write_text("x")
    assert list(list_images(tmp_path)) == ["a"]
    tifffile.imwrite(tmp_path / "a.tif", rgb)
    with pytest.raises(ImageReadError, match="share the name 'a'"):
        list_images(tmp_path)
    with pytest.raises(ImageReadError, match="not a directory"):
        list_images(tmp_path / "nope")
