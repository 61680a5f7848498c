"""Reading image files at their own bit depth and channel order, naming the file that cannot be read;
listing folders by stem; atomic PNG writes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import tifffile

from imaging.files import list_images, remove_temporaries, write_png_atomic
from imaging.io import ImageError, image_size, read_image


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
    with pytest.raises(ImageError, match="stack.tif: holds several images; one image per file"):
        read_image(tmp_path / "stack.tif", single_image=True)
    assert read_image(tmp_path / "stack.tif").shape == wide.shape  # the first, unless told otherwise


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
    with pytest.raises(ImageError, match="a" + suffix):
        read_image(path)


def test_unsupported_empty_and_oversized_files(tmp_path, rgb):
    (tmp_path / "a.gif").write_bytes(b"GIF89a")
    with pytest.raises(ImageError, match="a.gif: not a supported image"):
        read_image(tmp_path / "a.gif")
    (tmp_path / "e.png").write_bytes(b"")
    with pytest.raises(ImageError, match="e.png"):
        read_image(tmp_path / "e.png")
    cv2.imwrite(str(tmp_path / "b.png"), rgb)
    with pytest.raises(ImageError, match="b.png: image too large: 23 x 17 = 391 pixels exceeds the limit of 100"):
        read_image(tmp_path / "b.png", max_pixels=100)
    with pytest.raises(ImageError, match="nope.png: cannot read"):
        image_size(tmp_path / "nope.png")


def test_list_images_by_stem(tmp_path, rgb):
    cv2.imwrite(str(tmp_path / "a.png"), rgb)
    cv2.imwrite(str(tmp_path / ".hidden.png"), rgb)
    (tmp_path / "notes.txt").write_text("x")
    assert list(list_images(tmp_path)) == ["a"]
    tifffile.imwrite(tmp_path / "a.tif", rgb)
    with pytest.raises(ImageError, match="share the name 'a'"):
        list_images(tmp_path)
    with pytest.raises(ImageError, match="not a directory"):
        list_images(tmp_path / "nope")


@pytest.mark.parametrize("sparse", [False, True])
def test_atomic_png_is_the_bytes_opencv_writes_from_bgr(tmp_path, rgb, sparse):
    # given an RGB(A) image and what OpenCV writes from its BGR(A) form at the same settings
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 7, np.uint8)])
    params = [cv2.IMWRITE_PNG_COMPRESSION, 1]
    if sparse:
        params += [cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE, cv2.IMWRITE_PNG_FILTER,
                   cv2.IMWRITE_PNG_FILTER_SUB]
    for name, image, bgr in (("c", rgb, rgb[..., ::-1]), ("a", rgba, rgba[..., [2, 1, 0, 3]]),
                             ("g", rgb[..., 0], rgb[..., 0])):
        cv2.imwrite(str(tmp_path / f"{name}_cv.png"), np.ascontiguousarray(bgr), params)
        # when it is written atomically
        write_png_atomic(tmp_path / f"{name}.png", image, sparse=sparse)
        # then the bytes are OpenCV's, no temporary is left, and it reads back as it was
        assert (tmp_path / f"{name}.png").read_bytes() == (tmp_path / f"{name}_cv.png").read_bytes()
        np.testing.assert_array_equal(read_image(tmp_path / f"{name}.png"), image)
    assert not list(tmp_path.glob("*.tmp.png"))


def test_temporaries_of_interrupted_writes_are_removed(tmp_path):
    (tmp_path / "0001.tmp.png").write_bytes(b"half a png")
    (tmp_path / "0002.png").write_bytes(b"kept")
    assert remove_temporaries(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0002.png"]
    assert remove_temporaries(tmp_path / "nope") == 0
