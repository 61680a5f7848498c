"""Image headers read without decoding pixels: format, size, channels, bit depth.

Used by :mod:`imaging.io` to refuse decompression bombs and truncated files
before any pixel is decoded.
"""
from __future__ import annotations

import io
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO

#: The one limit on width x height (the setting ``MAX_IMAGE_PIXELS`` defaults to it): a 100+
#: megapixel scan fits, a decompression bomb does not.
DEFAULT_MAX_PIXELS = 200_000_000

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
# PNG colour type -> samples per pixel as stored (palette counts as RGB).
_PNG_SAMPLES = {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}
# JPEG start-of-frame markers (all but DHT C4, JPG C8 and DAC CC).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class ImageError(ValueError):
    """An image that cannot be read: corrupt, truncated, too large or of an unsupported kind."""


@dataclass(frozen=True)
class ImageInfo:
    """What an image's header says. ``channels`` counts samples as stored."""

    format: str  # "TIFF", "PNG", "JPEG" or "WEBP"
    width: int
    height: int
    channels: int
    bit_depth: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


def read_bytes(source: Source, limit: int | None = None) -> bytes:
    """The first ``limit`` bytes of a path, bytes object or binary file (all when ``None``)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return data if limit is None else data[:limit]
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as fh:
                return fh.read() if limit is None else fh.read(limit)
        except OSError as exc:
            raise ImageError(f"cannot read {source}: {exc.strerror}") from None
    if hasattr(source, "read"):
        pos = source.tell() if hasattr(source, "seek") else None
        data = source.read() if limit is None else source.read(limit)
        if pos is not None:
            source.seek(pos)
        return bytes(data)
    raise TypeError(f"expected a path, bytes or a binary file, got {type(source).__name__}")


def sniff_format(head: bytes, *, webp: bool = False) -> str:
    """``"TIFF"``, ``"PNG"`` or ``"JPEG"`` from a file's first bytes; :class:`ImageError` otherwise.

    ``webp=True`` also recognises ``"WEBP"`` (RIFF ... WEBP): the clean corpus reads Debian's WebP
    wallpapers; scans, uploads and results stay TIFF, PNG or JPEG, so WebP is refused by default.
    """
    if not head:
        raise ImageError("the file is empty (0 bytes)")
    if head.startswith(PNG_SIGNATURE):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] in _TIFF_MAGICS:
        return "TIFF"
    if webp and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    raise ImageError("not a supported image: the file is neither TIFF, PNG nor JPEG "
                     "(unknown signature)")


def webp_info(head: bytes) -> ImageInfo:
    """Size and channels from a WebP's first chunk (VP8 lossy, VP8L lossless or VP8X extended)."""
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = (v & 0x3FFF for v in struct.unpack("<HH", head[26:30]))
        channels = 3
    elif chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        width, height = (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        channels = 4 if bits >> 28 & 1 else 3
    elif chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        channels = 4 if head[20] & 0x10 else 3
    else:
        raise ImageError("corrupt WebP: the VP8/VP8L/VP8X header is missing or truncated")
    if width == 0 or height == 0:
        raise ImageError(f"corrupt WebP header: {width} x {height}")
    return ImageInfo("WEBP", width, height, channels, 8)


def png_info(head: bytes) -> ImageInfo:
    """Size, channels and bit depth from a PNG's IHDR chunk."""
    if len(head) < 33 or head[12:16] != b"IHDR":
        raise ImageError("corrupt PNG: the IHDR header chunk is missing or truncated")
    width, height, depth, colour = struct.unpack(">IIBB", head[16:26])
    if width == 0 or height == 0 or colour not in _PNG_SAMPLES or depth not in (1, 2, 4, 8, 16):
        raise ImageError(f"corrupt PNG header: {width} x {height}, bit depth {depth}, "
                         f"colour type {colour}")
    return ImageInfo("PNG", width, height, _PNG_SAMPLES[colour], 16 if depth == 16 else 8)


def check_png_structure(data: bytes) -> None:
    """Walk the PNG chunks: each must be complete with a correct CRC, ending with IEND."""
    pos, seen_idat = len(PNG_SIGNATURE), False
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise ImageError(f"truncated PNG: chunk {kind!r} at byte {pos} needs {length} bytes "
                             f"but the file ends at byte {len(data)}")
        crc = struct.unpack(">I", data[end - 4:end])[0]
        if zlib.crc32(data[pos + 4:end - 4]) != crc:
            raise ImageError(f"corrupt PNG: checksum error in chunk {kind!r} at byte {pos}")
        seen_idat |= kind == b"IDAT"
        if kind == b"IEND":
            if not seen_idat:
                raise ImageError("corrupt PNG: no image data (IDAT) chunk")
            return
        pos = end
    raise ImageError("truncated PNG: the file ends before its IEND chunk")


def _jpeg_segments(data: bytes):
    """Yield ``(marker, offset, payload_start, length)`` up to and including SOS."""
    pos = 2
    while True:
        while pos < len(data) and data[pos] == 0xFF and pos + 1 < len(data) and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 4 > len(data) or data[pos] != 0xFF:
            raise ImageError(f"corrupt or truncated JPEG: no marker at byte {pos}")
        marker = data[pos + 1]
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if length < 2 or pos + 2 + length > len(data):
            raise ImageError(f"truncated JPEG: segment 0x{marker:02X} at byte {pos} runs past the end")
        yield marker, pos, pos + 4, length
        if marker == 0xDA:
            return
        pos += 2 + length


def jpeg_info(data: bytes, *, require_complete: bool = False) -> ImageInfo:
    """Size and channels from a JPEG's start-of-frame segment.

    With ``require_complete`` the data must also reach the end-of-image marker
    after the first scan (a truncated JPEG otherwise decodes to grey silently).
    """
    info, sos = None, None
    for marker, _, start, length in _jpeg_segments(data):
        if marker in _SOF:
            precision, height, width, comps = struct.unpack(">BHHB", data[start:start + 6])
            if precision != 8:
                raise ImageError(f"unsupported JPEG: {precision}-bit samples (only 8-bit JPEG is supported)")
            if width == 0 or height == 0 or comps not in (1, 3, 4):
                raise ImageError(f"corrupt JPEG header: {width} x {height}, {comps} components")
            info = ImageInfo("JPEG", width, height, comps, 8)
        if marker == 0xDA:
            sos = start + length - 2
    if info is None or sos is None:
        raise ImageError("corrupt JPEG: no frame header or no scan before the image data")
    if require_complete and data.find(b"\xff\xd9", sos) < 0:
        raise ImageError("truncated JPEG: the file ends before its end-of-image marker")
    return info


def tiff_info(page) -> ImageInfo:
    """Size, channels and bit depth from a tifffile page, without reading its pixels."""
    return ImageInfo("TIFF", int(page.imagewidth), int(page.imagelength),
                     int(page.samplesperpixel), int(page.bitspersample))


def open_tiff(source: Source):
    """A ``tifffile.TiffFile`` over a path, bytes or binary file; corrupt headers raise ImageError."""
    import tifffile

    handle = source
    if isinstance(source, (bytes, bytearray, memoryview)):
        handle = io.BytesIO(bytes(source))
    elif isinstance(source, os.PathLike):
        handle = Path(source)
    try:
        tf = tifffile.TiffFile(handle)
        if not tf.pages:
            tf.close()
            raise ImageError("corrupt TIFF: it holds no image")
        tf.pages.first.imagewidth  # noqa: B018  (parses the first IFD now)
        return tf
    except ImageError:
        raise
    except Exception as exc:  # tifffile raises many kinds on broken headers
        raise ImageError(f"corrupt or truncated TIFF: {exc}") from None


def probe_image(source: Source, *, webp: bool = False) -> ImageInfo:
    """Format, size, channels and bit depth of an image, read from its header only.

    Parameters
    ----------
    source : path, bytes or binary file

    Raises
    ------
    ImageError
        Empty, unknown format or corrupt header.
    """
    head = read_bytes(source, 1 << 16)
    fmt = sniff_format(head, webp=webp)
    if fmt == "PNG":
        return png_info(head)
    if fmt == "WEBP":
        return webp_info(head)
    if fmt == "JPEG":
        try:
            return jpeg_info(head)
        except ImageError:  # SOF beyond a large EXIF block: read it all
            return jpeg_info(read_bytes(source))
    with open_tiff(source) as tf:
        return tiff_info(tf.pages.first)
