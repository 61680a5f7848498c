"""Reading and writing scans: TIFF (8/16-bit), PNG (8/16-bit) and JPEG (8-bit).

Arrays are ``(H, W)`` for grey and ``(H, W, C)`` with channels in RGB or RGBA
order, ``uint8`` or ``uint16`` exactly as stored. Every read checks the
header first: the pixel count against ``max_pixels`` (decompression bombs are
refused before any pixel is decoded) and the file's structure (truncated
files are refused rather than decoded to grey). Every pixel limit of the project is
``max_pixels``: its default is :data:`DEFAULT_MAX_PIXELS`, and the shells pass the setting
``MAX_IMAGE_PIXELS``. Errors about a file name the file.
"""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from imaging.probe import (
    DEFAULT_MAX_PIXELS,
    ImageError,
    ImageInfo,
    Source,
    check_png_structure,
    jpeg_info,
    open_tiff,
    png_info,
    probe_image,
    read_bytes,
    sniff_format,
    tiff_info,
    webp_info,
)

__all__ = ["DEFAULT_MAX_PIXELS", "IMAGE_SUFFIXES", "ImageError", "ImageInfo", "check_image", "encode_image",
           "image_size", "probe_image", "read_image", "to_display_8bit", "write_image"]

#: The suffixes of the image files the project reads and writes (lower case).
IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".jpg", ".jpeg")
_EXTENSIONS = {".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".jpg": "JPEG", ".jpeg": "JPEG"}
#: For images that are mostly zeros (overlays, masks): run-length zlib strategy and the "sub" filter
#: encode a 4944 x 3396 RGBA overlay about 3x faster and 1.5x smaller than the defaults.
_SPARSE_PNG = [cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]
if hasattr(cv2, "IMWRITE_PNG_FILTER"):
    _SPARSE_PNG += [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_SUB]


def _check_size(info: ImageInfo, max_pixels: int | None) -> None:
    if max_pixels is not None and info.pixels > max_pixels:
        raise ImageError(
            f"image too large: {info.width} x {info.height} = {info.pixels:,} pixels exceeds the "
            f"limit of {max_pixels:,} pixels (possible decompression bomb)")


def read_image(source: Source, *, max_pixels: int | None = DEFAULT_MAX_PIXELS,
               single_image: bool = False, webp: bool = False) -> np.ndarray:
    """Decode a TIFF, PNG or JPEG image (and WebP when ``webp``).

    Parameters
    ----------
    source : path, bytes or binary file
    max_pixels : int or None
        Largest width x height accepted; checked on the header before decoding.
    single_image : bool
        Refuse a TIFF that holds several images (pages or a stack) instead of reading its first.
    webp : bool
        Also read WebP (8-bit RGB(A)): for the clean corpus's wallpapers; scans are never WebP.

    Returns
    -------
    np.ndarray
        ``(H, W)`` grey or ``(H, W, 3|4)`` RGB(A), ``uint8`` or ``uint16``.
        Grey + alpha is returned as RGBA.

    Raises
    ------
    ImageError
        Empty, corrupt, truncated, unsupported, or larger than ``max_pixels``; when ``source`` is
        a path, the message starts with the file's name.
    """
    if max_pixels is not None and max_pixels <= 0:
        raise ValueError(f"max_pixels must be positive or None, got {max_pixels}")
    with _named(source):
        return _read(source, max_pixels, single_image, webp)


def image_size(path: str | os.PathLike, *, webp: bool = False) -> tuple[int, int]:
    """``(height, width)`` of an image file from its header, without decoding the pixels."""
    with _named(path):
        info = probe_image(path, webp=webp)
    return info.height, info.width


@contextlib.contextmanager
def _named(source: Source):
    """Prefix the messages of the :class:`ImageError` raised inside with the file's name."""
    try:
        yield
    except ImageError as exc:
        if not isinstance(source, (str, os.PathLike)):
            raise
        raise ImageError(f"{Path(source).name}: {exc}") from None


def _read(source: Source, max_pixels: int | None, single_image: bool, webp: bool) -> np.ndarray:
    fmt = sniff_format(read_bytes(source, 16), webp=webp)
    if fmt == "TIFF":
        return _read_tiff(source, max_pixels, single_image)
    data = read_bytes(source)
    if fmt == "PNG":
        _check_size(png_info(data), max_pixels)
        check_png_structure(data)
    elif fmt == "WEBP":
        _check_size(webp_info(data), max_pixels)
    else:
        _check_size(jpeg_info(data, require_complete=True), max_pixels)
    array = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if array is None:
        raise ImageError(f"corrupt {fmt}: the image data cannot be decoded")
    return _bgr_to_rgb(array)


def check_image(source: Source, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> ImageInfo:
    """Refuse an upload that cannot be used, before anything is stored; return its header facts.

    The header is checked against ``max_pixels`` first, then the whole image is
    decoded, so that corrupt and truncated data are refused too (:class:`ImageError`).
    """
    read_image(source, max_pixels=max_pixels)
    return probe_image(source)


def _bgr_to_rgb(array: np.ndarray) -> np.ndarray:
    if array.ndim == 3 and array.shape[2] == 3:
        return cv2.cvtColor(array, cv2.COLOR_BGR2RGB)
    if array.ndim == 3 and array.shape[2] == 4:
        return cv2.cvtColor(array, cv2.COLOR_BGRA2RGBA)
    return array


def _read_tiff(source: Source, max_pixels: int | None, single_image: bool) -> np.ndarray:
    with open_tiff(source) as tf:
        page = tf.pages.first
        info = tiff_info(page)
        _check_size(info, max_pixels)
        if single_image and (len(tf.series) != 1 or len(tf.series[0].shape) > 3):
            raise ImageError("holds several images; one image per file is allowed")
        _check_tiff_kind(page, info)
        end = max((o + n for o, n in zip(page.dataoffsets, page.databytecounts)), default=0)
        size = tf.filehandle.size
        if not page.dataoffsets or end > size:
            raise ImageError(f"truncated TIFF: its image data ends at byte {end} but the file "
                             f"has {size} bytes")
        try:
            array = page.asarray()
        except Exception as exc:  # codec errors come in many kinds
            raise ImageError(f"corrupt TIFF: the image data cannot be decoded ({exc})") from None
        photometric, axes = int(page.photometric), page.axes
    if "S" in axes and axes.index("S") < axes.index("Y"):  # planar: samples first
        array = np.moveaxis(array, 0, -1)
    array = np.ascontiguousarray(array.reshape(info.height, info.width, -1))
    if photometric == 0:  # MINISWHITE: 0 is white
        array = np.iinfo(array.dtype).max - array
    if array.shape[2] == 1:
        return array[:, :, 0]
    if array.shape[2] == 2:  # grey + alpha
        return np.concatenate([array[:, :, :1]] * 3 + [array[:, :, 1:]], axis=2)
    return array[:, :, :4]


def _check_tiff_kind(page, info: ImageInfo) -> None:
    dtype = np.dtype(page.dtype) if page.dtype is not None else None
    if dtype not in (np.dtype(np.uint8), np.dtype(np.uint16)):
        raise ImageError(f"unsupported TIFF samples: {info.bit_depth}-bit {dtype} "
                         "(allowed: 8- or 16-bit unsigned integers)")
    photometric, compression = int(page.photometric), int(page.compression)
    jpeg_ycbcr = photometric == 6 and compression in (6, 7)  # tifffile decodes to RGB
    if photometric not in (0, 1, 2) and not jpeg_ycbcr:
        raise ImageError(f"unsupported TIFF colour model (photometric {photometric}); "
                         "allowed: greyscale or RGB")
    if info.channels not in (1, 2, 3, 4) or (photometric == 2 and info.channels < 3):
        raise ImageError(f"unsupported TIFF: {info.channels} samples per pixel with photometric "
                         f"{photometric}")


def encode_image(array: np.ndarray, *, fmt: str, quality: int = 95,
                 compression: str | None = "zlib", png_level: int = 3, sparse: bool = False) -> bytes:
    """Encode ``array`` as ``"TIFF"``, ``"PNG"`` or ``"JPEG"`` bytes (see :func:`write_image`).

    For PNG, ``png_level`` is the zlib level (0-9) and ``sparse=True`` picks encoder settings for
    images that are mostly zero (overlays, masks).
    """
    fmt = {"TIF": "TIFF", "JPG": "JPEG"}.get(fmt.upper(), fmt.upper())
    array = _check_array(array)
    if fmt == "TIFF":
        buf = io.BytesIO()
        _write_tiff(buf, array, compression)
        return buf.getvalue()
    if fmt == "JPEG":
        if array.dtype != np.uint8:
            raise ImageError("JPEG holds 8-bit samples only: write 16-bit images as TIFF or PNG, "
                             "or convert with to_display_8bit")
        if array.ndim == 3 and array.shape[2] == 4:
            raise ImageError("JPEG cannot hold an alpha channel: write RGBA as PNG or TIFF")
        if not 1 <= quality <= 100:
            raise ValueError(f"quality must be 1..100, got {quality}")
        params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)]
    elif fmt == "PNG":
        if not 0 <= png_level <= 9:
            raise ValueError(f"png_level must be 0..9, got {png_level}")
        params = [cv2.IMWRITE_PNG_COMPRESSION, int(png_level)] + (_SPARSE_PNG if sparse else [])
    else:
        raise ValueError(f"unknown format {fmt!r}; allowed: TIFF, PNG, JPEG")
    bgr = _bgr_to_rgb(array)  # the same swap turns RGB(A) into BGR(A)
    ok, buf = cv2.imencode(".png" if fmt == "PNG" else ".jpg", bgr, params)
    if not ok:
        raise ImageError(f"{fmt} encoding failed for an array of shape {array.shape}")
    return buf.tobytes()


def write_image(path: str | os.PathLike, array: np.ndarray, *, quality: int = 95,
                compression: str | None = "zlib") -> Path:
    """Write ``array`` in the format of the path's extension (.tif/.tiff, .png, .jpg/.jpeg).

    TIFF and PNG keep 8 or 16 bits; JPEG refuses 16-bit input and alpha.
    ``compression`` applies to TIFF (``"zlib"``, ``"lzw"`` or ``None``),
    ``quality`` to JPEG.
    """
    path = Path(path)
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"unknown image extension {path.suffix!r}; allowed: "
                         f"{', '.join(sorted(_EXTENSIONS))}")
    if fmt == "TIFF":  # straight to disk: no second copy of a 100 MP scan in memory
        _write_tiff(path, _check_array(array), compression)
    else:
        path.write_bytes(encode_image(array, fmt=fmt, quality=quality))
    return path


def _check_array(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    if array.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"images must be uint8 or uint16, got {array.dtype}")
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (1, 3, 4))):
        raise ValueError(f"expected (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {array.shape}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"image has no pixels: shape {array.shape}")
    return np.ascontiguousarray(array)


def _write_tiff(target, array: np.ndarray, compression: str | None) -> None:
    import tifffile

    if compression not in (None, "zlib", "lzw"):
        raise ValueError(f"TIFF compression must be 'zlib', 'lzw' or None, got {compression!r}")
    kwargs = {"photometric": "minisblack" if array.ndim == 2 else "rgb",
              "compression": compression}
    if array.ndim == 3 and array.shape[2] == 4:
        kwargs["extrasamples"] = ["unassalpha"]
    tifffile.imwrite(target, array, **kwargs)


def to_display_8bit(
    array: np.ndarray, *, mode: Literal["full", "percentile"] = "full",
    percentiles: tuple[float, float] = (0.5, 99.5),
) -> np.ndarray:
    """An 8-bit rendering of a scan for display (tiles, thumbnails).

    ``uint8`` input is returned unchanged. For ``uint16``:

    - ``"full"`` maps the whole range linearly, ``round(v * 255 / 65535)``
      (exact, the same for every tile and every scan);
    - ``"percentile"`` stretches the ``percentiles`` of all samples (all
      channels together, so colour balance is kept) to 0..255 and clips.
    """
    if mode not in ("full", "percentile"):
        raise ValueError(f"mode must be 'full' or 'percentile', got {mode!r}")
    array = np.asarray(array)
    if array.dtype == np.uint8:
        return array
    if array.dtype != np.uint16:
        raise ValueError(f"expected a uint8 or uint16 image, got {array.dtype}")
    values = np.arange(65536, dtype=np.float64)
    if mode == "full":
        lut = values * (255.0 / 65535.0)
    else:
        lo_p, hi_p = percentiles
        if not 0 <= lo_p < hi_p <= 100:
            raise ValueError(f"percentiles must satisfy 0 <= low < high <= 100, got {percentiles}")
        rows = array.reshape(-1, array.shape[2] if array.ndim == 3 else 1)
        sample = rows[:: max(1, len(rows) // 2_000_000)]  # bounded work on 100 MP scans
        lo, hi = np.percentile(sample, [lo_p, hi_p])
        lut = (values - lo) * (255.0 / max(hi - lo, 1.0))
    lut = np.clip(np.floor(lut + 0.5), 0, 255).astype(np.uint8)
    return lut[array]  # a look-up table: no wide intermediate copy of the scan
