"""Submission checks: per-file errors for folders (the archive rules are tested in tests/imaging)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import tifffile

from evaluation.core.submissions import SubmissionError, expected_from_folder, validate_submission_dir

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
