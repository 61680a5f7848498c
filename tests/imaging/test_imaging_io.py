"""Image I/O: exact round trips per format and bit depth, and every kind of bad file."""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import tifffile

from imaging.io import (
    ImageError,
    encode_image,
    probe_image,
    read_image,
    to_display_8bit,
    write_image,
)

RNG = np.random.default_rng(7)


def _img(shape, dtype):
    return RNG.integers(0, np.iinfo(dtype).max, size=shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("ext", [".tif", ".png"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("shape", [(17, 23), (17, 23, 3), (17, 23, 4)])
def test_lossless_round_trip_keeps_bits_and_channel_order(tmp_path, ext, dtype, shape):
    # given
    arr = _img(shape, dtype)
    path = tmp_path / f"x{ext}"
    # when
    write_image(path, arr)
    back = read_image(path)
    info = probe_image(path)
    # then
    assert back.dtype == arr.dtype
    np.testing.assert_array_equal(back, arr)
    channels = 1 if len(shape) == 2 else shape[2]
    assert (info.width, info.height, info.channels) == (23, 17, channels)
    assert info.bit_depth == (8 if dtype == np.uint8 else 16)
    assert info.format == ("TIFF" if ext == ".tif" else "PNG")


def test_rgb_order_is_kept_through_png_and_jpeg(tmp_path):
    red = np.zeros((16, 16, 3), np.uint8)
    red[..., 0] = 255
    for ext in (".png", ".jpg"):
        write_image(tmp_path / f"r{ext}", red)
        back = read_image(tmp_path / f"r{ext}")
        assert back[..., 0].min() > 240 and back[..., 2].max() < 15, ext
    assert probe_image(tmp_path / "r.jpg") == probe_image((tmp_path / "r.jpg").read_bytes())
    assert probe_image(tmp_path / "r.jpg").format == "JPEG"


def test_reads_from_bytes_and_file_objects(tmp_path):
    arr = _img((5, 6, 3), np.uint16)
    data = encode_image(arr, fmt="tiff")
    np.testing.assert_array_equal(read_image(data), arr)
    np.testing.assert_array_equal(read_image(io.BytesIO(data)), arr)


def test_planar_and_miniswhite_tiffs(tmp_path):
    arr = _img((3, 8, 9), np.uint16)  # samples first
    tifffile.imwrite(tmp_path / "p.tif", arr, photometric="rgb", planarconfig="separate")
    np.testing.assert_array_equal(read_image(tmp_path / "p.tif"), np.moveaxis(arr, 0, -1))
    grey = _img((8, 9), np.uint8)
    tifffile.imwrite(tmp_path / "w.tif", grey, photometric="miniswhite")
    np.testing.assert_array_equal(read_image(tmp_path / "w.tif"), 255 - grey)


def test_jpeg_refuses_16_bit_and_alpha(tmp_path):
    with pytest.raises(ImageError, match="8-bit samples only"):
        write_image(tmp_path / "x.jpg", _img((4, 4, 3), np.uint16))
    with pytest.raises(ImageError, match="alpha"):
        write_image(tmp_path / "x.jpg", _img((4, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="extension"):
        write_image(tmp_path / "x.bmp", _img((4, 4), np.uint8))
    with pytest.raises(ValueError, match="uint8 or uint16"):
        write_image(tmp_path / "x.png", np.zeros((4, 4), np.float32))


def _valid(fmt):
    arr = _img((64, 48, 3), np.uint8)
    return encode_image(arr, fmt=fmt, compression=None)


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (bytes(RNG.integers(0, 256, 5000, dtype=np.uint8)), "neither TIFF, PNG nor JPEG"),
    (_valid("PNG")[: len(_valid("PNG")) // 2], "truncated PNG"),
    (_valid("PNG")[:-12], "IEND"),
    (_valid("JPEG")[: len(_valid("JPEG")) // 2], "truncated JPEG"),
    (_valid("JPEG")[:100], "JPEG"),
    (_valid("TIFF")[: len(_valid("TIFF")) // 2], "TIFF"),
    (_valid("TIFF")[:6], "TIFF"),
    (b"II*\x00" + bytes(100), "TIFF"),
    (b"\x89PNG\r\n\x1a\n", "IHDR"),
])
def test_bad_files_raise_a_clear_image_error(data, message):
    with pytest.raises(ImageError, match=message):
        read_image(data)


def test_corrupt_png_checksum_is_caught():
    data = bytearray(_valid("PNG"))
    data[60] ^= 0xFF  # inside the first IDAT
    with pytest.raises(ImageError, match="checksum"):
        read_image(bytes(data))


def _png_declaring(width, height):
    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload)))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def test_decompression_bomb_is_refused_before_decoding():
    bomb = _png_declaring(100_000, 100_000)  # 10 gigapixels in 100 bytes
    assert len(bomb) < 200
    with pytest.raises(ImageError, match="exceeds the limit of 200,000,000 pixels"):  # the one default
        read_image(bomb)
    assert probe_image(bomb).pixels == 10**10  # probing alone is fine
    small = encode_image(_img((40, 50), np.uint8), fmt="TIFF")
    with pytest.raises(ImageError, match="2,000 pixels exceeds the limit of 1,000"):
        read_image(small, max_pixels=1000)
    jpeg = _valid("JPEG")
    with pytest.raises(ImageError, match="decompression bomb"):
        read_image(jpeg, max_pixels=100)


def test_declared_size_larger_than_the_data_is_refused():
    # within the limit, but the data holds 64 bytes for a 3000 x 2000 RGB image
    with pytest.raises(ImageError, match="cannot be decoded"):
        read_image(_png_declaring(3000, 2000))


def test_tiff_with_data_past_the_end_is_truncated():
    data = encode_image(_img((64, 64), np.uint16), fmt="TIFF", compression=None)
    with tifffile.TiffFile(io.BytesIO(data)) as tf:
        offset = tf.pages.first.dataoffsets[0]
    cut = data[: offset + 100]
    with pytest.raises(ImageError, match="truncated TIFF"):
        read_image(cut)


def test_unsupported_tiff_sample_type():
    buf = io.BytesIO()
    tifffile.imwrite(buf, np.zeros((4, 4), np.float32))
    with pytest.raises(ImageError, match="8- or 16-bit"):
        read_image(buf.getvalue())


def test_display_rendering_of_16_bit():
    arr = np.array([[0, 128, 257, 65535]], dtype=np.uint16)
    assert to_display_8bit(arr).tolist() == [[0, 0, 1, 255]]  # round(v * 255 / 65535)
    full = to_display_8bit(np.arange(65536, dtype=np.uint16))
    assert np.abs(full.astype(float) - np.arange(65536) * 255 / 65535).max() <= 0.5
    ramp = np.linspace(1000, 2000, 1001).astype(np.uint16)
    p = to_display_8bit(ramp, mode="percentile", percentiles=(0, 100))
    assert p[0] == 0 and p[-1] == 255 and p[500] in (127, 128)
    u8 = _img((3, 3), np.uint8)
    assert to_display_8bit(u8) is u8
    with pytest.raises(ValueError, match="mode"):
        to_display_8bit(arr, mode="gamma")


def _webp(arr: np.ndarray, *, lossless: bool) -> bytes:
    import cv2

    bgr = arr[..., [2, 1, 0, 3][: arr.shape[2]]]
    ok, buf = cv2.imencode(".webp", bgr, [cv2.IMWRITE_WEBP_QUALITY, 101 if lossless else 90])
    assert ok
    return buf.tobytes()


def test_webp_is_refused_unless_asked_for():
    # given a WebP file (scans, uploads and results are TIFF, PNG or JPEG only)
    data = _webp(_img((9, 11, 3), np.uint8), lossless=True)
    # then it is refused by default, with the formats that are allowed
    with pytest.raises(ImageError, match="neither TIFF, PNG nor JPEG"):
        read_image(data)
    with pytest.raises(ImageError, match="neither TIFF, PNG nor JPEG"):
        probe_image(data)


@pytest.mark.parametrize("channels", [3, 4])
def test_webp_lossless_reads_exactly_in_rgb_order_when_asked_for(channels):
    # given
    arr = _img((13, 21, channels), np.uint8)
    if channels == 4:
        arr[..., 3] = RNG.integers(1, 255, size=arr.shape[:2], dtype=np.uint8)
    data = _webp(arr, lossless=True)
    # when
    back = read_image(data, webp=True)
    info = probe_image(data, webp=True)
    # then the pixels come back exactly, in RGB(A) order, and the header says the size
    assert back.shape == arr.shape
    np.testing.assert_array_equal(back[..., :3], arr[..., :3])
    assert (info.format, info.width, info.height) == ("WEBP", 21, 13)


def test_webp_lossy_header_size_and_bomb_check():
    # given a lossy (VP8) WebP
    data = _webp(RNG.integers(0, 255, (40, 64, 3), dtype=np.uint8), lossless=False)
    # then its size is read from the header and the pixel limit applies before decoding
    info = probe_image(data, webp=True)
    assert (info.width, info.height, info.channels) == (64, 40, 3)
    with pytest.raises(ImageError, match="too large"):
        read_image(data, webp=True, max_pixels=64 * 40 - 1)


def test_webp_with_a_broken_header_is_refused():
    data = bytearray(_webp(_img((9, 11, 3), np.uint8), lossless=True))
    data[12:16] = b"XXXX"  # no VP8/VP8L/VP8X chunk
    with pytest.raises(ImageError, match="corrupt WebP"):
        read_image(bytes(data), webp=True)
