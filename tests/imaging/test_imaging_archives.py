"""Safe zip extraction: zip slip, links, bombs and corrupt archives refused, nothing left behind."""

from __future__ import annotations

import stat
import zipfile

import cv2
import numpy as np
import pytest

from imaging.archives import ArchiveError, safe_extract_zip


def _codes(error):
    return sorted((e.name, e.code) for e in error.errors)


def _png_bytes(seed=0):
    return cv2.imencode(".png", np.random.default_rng(seed).integers(0, 200, (20, 30, 3)).astype(np.uint8))[1].tobytes()


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members:
            archive.writestr(member, data)
    return path


def test_a_safe_archive_is_extracted(tmp_path):
    archive = _zip(tmp_path / "s.zip", [(f"{n}.png", _png_bytes()) for n in ("f1", "f2", "f3")]
                   + [("__MACOSX/._f1.png", b"junk"), (".DS_Store", b"junk")])
    files = safe_extract_zip(archive, tmp_path / "out")
    assert sorted(p.name for p in files) == ["f1.png", "f2.png", "f3.png"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["f1.png", "f2.png", "f3.png"]


@pytest.mark.parametrize(
    "member, reason",
    [("../evil.png", "'..'"), ("a/../../evil.png", "'..'"), ("/tmp/evil.png", "absolute"),
     ("C:/evil.png", "absolute"), ("..\\evil.png", "backslash")],
)
def test_zip_slip_is_refused_and_nothing_written(tmp_path, member, reason):
    archive = _zip(tmp_path / "s.zip", [("f1.png", _png_bytes()), (member, _png_bytes())])
    with pytest.raises(ArchiveError) as caught:
        safe_extract_zip(archive, tmp_path / "out" / "dest")
    assert [(e.name, e.code) for e in caught.value.errors] == [(member, "unsafe_path")]
    assert reason in caught.value.errors[0].message
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.png").exists()


def test_symlinks_are_refused(tmp_path):
    link = zipfile.ZipInfo("f1.png")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "s.zip", "w") as archive:
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(ArchiveError, match="symbolic link"):
        safe_extract_zip(tmp_path / "s.zip", tmp_path / "out")


def test_zip_bomb_and_limits(tmp_path):
    # given: 30 MB of zeros that compress to about 30 kB
    bomb = _zip(tmp_path / "bomb.zip", [("f1.tif", bytes(30 * 2**20))])
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ArchiveError) as caught:
        safe_extract_zip(bomb, tmp_path / "out", max_bytes=10 * 2**20, max_file_bytes=20 * 2**20)
    assert _codes(caught.value) == [("bomb.zip", "too_large"), ("f1.tif", "too_large")]
    assert not (tmp_path / "out").exists()
    many = _zip(tmp_path / "many.zip", [(f"f{i}.png", b"x") for i in range(5)])
    with pytest.raises(ArchiveError, match="holds 5 files; limit 4"):
        safe_extract_zip(many, tmp_path / "out", max_files=4)


def test_corrupt_archives_leave_nothing_behind(tmp_path):
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ArchiveError, match="not a readable zip"):
        safe_extract_zip(tmp_path / "not.zip", tmp_path / "out")
    # a flipped byte in the stored data of the second member fails its CRC during extraction
    payload = bytes(range(256)) * 40
    with zipfile.ZipFile(tmp_path / "crc.zip", "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("f1.png", b"first")
        archive.writestr("f2.png", payload)
    data = bytearray((tmp_path / "crc.zip").read_bytes())
    data[data.find(payload) + 100] ^= 0xFF
    (tmp_path / "crc.zip").write_bytes(bytes(data))
    with pytest.raises(ArchiveError, match="cannot be extracted"):
        safe_extract_zip(tmp_path / "crc.zip", tmp_path / "out2")
    assert list((tmp_path / "out2").iterdir()) == []


def test_destination_must_be_new_or_empty(tmp_path):
    archive = _zip(tmp_path / "s.zip", [("f1.png", _png_bytes())])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    with pytest.raises(ValueError, match="new or empty"):
        safe_extract_zip(archive, tmp_path / "full")
    assert (tmp_path / "full" / "x").read_text() == "keep me"


def test_a_refusal_says_what_was_refused_and_counts_in_words():
    from imaging.archives import FileError

    one = ArchiveError([FileError("a.png", "unsafe_path", "is a symbolic link")])
    assert str(one) == "the archive has 1 problem:\na.png: is a symbolic link"
    two = ArchiveError([*one.errors, FileError("b", "too_large", "is too large")]).named("the zip of clean images")
    assert str(two).startswith("the zip of clean images has 2 problems:\n")
    assert isinstance(two, ArchiveError) and len(two.errors) == 2
