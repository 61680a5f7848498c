"""Submission checks: per-file errors for folders, and safe zip extraction (slip, links, bombs)."""

from __future__ import annotations

import stat
import zipfile

import cv2
import numpy as np
import pytest
import tifffile

from evaluation.core.submissions import (
    SubmissionError,
    expected_from_folder,
    safe_extract_zip,
    validate_submission_dir,
)

SHAPE = (20, 30, 3)


def _image(seed=0, shape=SHAPE, dtype=np.uint8):
    return np.random.default_rng(seed).integers(0, 200, shape).astype(dtype)


@pytest.fixture
def expected():
    return {"f1": (SHAPE, np.uint8), "f2": (SHAPE, np.uint8), "f3": (SHAPE, np.uint8)}


def _codes(report_or_error):
    return sorted((e.name, e.code) for e in report_or_error.errors)


def test_a_correct_submission_passes(tmp_path, expected):
    for name in expected:
        cv2.imwrite(str(tmp_path / f"{name}.png"), _image())
    report = validate_submission_dir(expected, tmp_path)
    assert report.ok and sorted(report.files) == ["f1", "f2", "f3"]
    report.raise_for_errors()


def test_every_problem_is_reported_per_file(tmp_path, expected):
    # given
    cv2.imwrite(str(tmp_path / "f1.png"), _image(shape=(20, 31, 3)))  # wrong size
    cv2.imwrite(str(tmp_path / "f2.png"), _image(shape=(20, 30)))  # grey instead of RGB
    tifffile.imwrite(tmp_path / "f3.tif", _image(dtype=np.uint16))  # 16-bit instead of 8-bit
    cv2.imwrite(str(tmp_path / "f2.tif"), _image())  # a second file named f2
    cv2.imwrite(str(tmp_path / "bonus.png"), _image())  # not in the benchmark
    (tmp_path / "readme.txt").write_text("hello")
    (tmp_path / "sub").mkdir()
    cv2.imwrite(str(tmp_path / "sub" / "f1.png"), _image())
    (tmp_path / "link.png").symlink_to(tmp_path / "f1.png")
    # when
    report = validate_submission_dir(expected, tmp_path)
    # then
    assert _codes(report) == [
        ("bonus.png", "extra"), ("f1.png", "size"), ("f2.png", "channels"), ("f2.tif", "duplicate"),
        ("f3.tif", "bit_depth"), ("link.png", "unsafe_path"), ("readme.txt", "unsupported"),
        ("sub/f1.png", "nested"),
    ]
    message = next(e.message for e in report.errors if e.code == "size")
    assert "31 x 20" in message and "never resized" in message
    with pytest.raises(SubmissionError) as caught:
        report.raise_for_errors()
    assert len(caught.value.errors) == 8 and "f1.png" in str(caught.value)


def test_missing_and_unreadable_files(tmp_path, expected):
    cv2.imwrite(str(tmp_path / "f1.png"), _image())
    data = (tmp_path / "f1.png").read_bytes()
    (tmp_path / "f2.png").write_bytes(data[: len(data) // 2])
    assert _codes(validate_submission_dir(expected, tmp_path)) == [
        ("f2.png", "unreadable"), ("f3", "missing")]


def test_expected_from_folder(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", _image(dtype=np.uint16))
    cv2.imwrite(str(tmp_path / "b.png"), _image(shape=(20, 30)))
    assert expected_from_folder(tmp_path) == {"a": (SHAPE, np.uint16), "b": ((20, 30), np.uint8)}


def _png_bytes(seed=0):
    return cv2.imencode(".png", _image(seed))[1].tobytes()


def _zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members:
            archive.writestr(member, data)
    return path


def test_a_safe_archive_is_extracted(tmp_path, expected):
    archive = _zip(tmp_path / "s.zip", [(f"{n}.png", _png_bytes()) for n in expected]
                   + [("__MACOSX/._f1.png", b"junk"), (".DS_Store", b"junk")])
    files = safe_extract_zip(archive, tmp_path / "out")
    assert sorted(p.name for p in files) == ["f1.png", "f2.png", "f3.png"]
    assert validate_submission_dir(expected, tmp_path / "out").ok


@pytest.mark.parametrize(
    "member, reason",
    [("../evil.png", "'..'"), ("a/../../evil.png", "'..'"), ("/tmp/evil.png", "absolute"),
     ("C:/evil.png", "absolute"), ("..\\evil.png", "backslash")],
)
def test_zip_slip_is_refused_and_nothing_written(tmp_path, member, reason):
    archive = _zip(tmp_path / "s.zip", [("f1.png", _png_bytes()), (member, _png_bytes())])
    with pytest.raises(SubmissionError) as caught:
        safe_extract_zip(archive, tmp_path / "out" / "dest")
    assert [(e.name, e.code) for e in caught.value.errors] == [(member, "unsafe_path")]
    assert reason in caught.value.errors[0].message
    assert not (tmp_path / "out").exists() and not (tmp_path / "evil.png").exists()


def test_symlinks_are_refused(tmp_path):
    link = zipfile.ZipInfo("f1.png")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "s.zip", "w") as archive:
        archive.writestr(link, "/etc/passwd")
    with pytest.raises(SubmissionError, match="symbolic link"):
        safe_extract_zip(tmp_path / "s.zip", tmp_path / "out")


def test_zip_bomb_and_limits(tmp_path):
    # given: 30 MB of zeros that compress to about 30 kB
    bomb = _zip(tmp_path / "bomb.zip", [("f1.tif", bytes(30 * 2**20))])
    assert bomb.stat().st_size < 100_000
    with pytest.raises(SubmissionError) as caught:
        safe_extract_zip(bomb, tmp_path / "out", max_bytes=10 * 2**20, max_file_bytes=20 * 2**20)
    assert _codes(caught.value) == [("bomb.zip", "too_large"), ("f1.tif", "too_large")]
    assert not (tmp_path / "out").exists()
    many = _zip(tmp_path / "many.zip", [(f"f{i}.png", b"x") for i in range(5)])
    with pytest.raises(SubmissionError, match="holds 5 files; limit 4"):
        safe_extract_zip(many, tmp_path / "out", max_files=4)


def test_corrupt_archives_leave_nothing_behind(tmp_path):
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(SubmissionError, match="not a readable zip"):
        safe_extract_zip(tmp_path / "not.zip", tmp_path / "out")
    # a flipped byte in the stored data of the second member fails its CRC during extraction
    payload = bytes(range(256)) * 40
    with zipfile.ZipFile(tmp_path / "crc.zip", "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("f1.png", b"first")
        archive.writestr("f2.png", payload)
    data = bytearray((tmp_path / "crc.zip").read_bytes())
    data[data.find(payload) + 100] ^= 0xFF
    (tmp_path / "crc.zip").write_bytes(bytes(data))
    with pytest.raises(SubmissionError, match="cannot be extracted"):
        safe_extract_zip(tmp_path / "crc.zip", tmp_path / "out2")
    assert list((tmp_path / "out2").iterdir()) == []


def test_destination_must_be_new_or_empty(tmp_path):
    archive = _zip(tmp_path / "s.zip", [("f1.png", _png_bytes())])
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("keep me")
    with pytest.raises(ValueError, match="new or empty"):
        safe_extract_zip(archive, tmp_path / "full")
    assert (tmp_path / "full" / "x").read_text() == "keep me"
