"""Image-pair sets and image sets on disk (surveys.core.sources, surveys.core.samples)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from imaging.io import write_image
from surveys.core.sources import SourceError, find_image_pairs, find_images


def make_set(root, names=("one", "two"), size=(40, 30), restored_size=None):
    for sub in ("damaged", "restored"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name in names:
        write_image(root / "damaged" / f"{name}.png", np.zeros((size[1], size[0], 3), np.uint8))
        rs = restored_size or size
        write_image(root / "restored" / f"{name}.tif", np.zeros((rs[1], rs[0], 3), np.uint16))
    return root


def test_pairs_are_matched_by_stem_with_sizes_and_polarity(tmp_path):
    make_set(tmp_path)
    (tmp_path / "polarity.json").write_text(json.dumps({"two": "positive"}))
    pairs = find_image_pairs(tmp_path)
    assert [(p.name, p.width, p.height, p.polarity) for p in pairs] == [("one", 40, 30, None),
                                                                       ("two", 40, 30, "positive")]
    assert pairs[1].restored.name == "two.tif"
    # as an image set, a pair set gives its restored images
    assert [(n, w, h) for n, _, w, h in find_images(tmp_path)] == [("one", 40, 30), ("two", 40, 30)]


@pytest.mark.parametrize("setup, message", [
    (lambda r: (r / "damaged").mkdir(), "not an image-pair set: .* holds damaged/ but not its partner"),
    (lambda r: make_set(r) and (r / "damaged" / "three.png").write_bytes(b"x"),
     r"damaged without a restoration: \['three'\]"),
    (lambda r: make_set(r, restored_size=(41, 30)), "must match"),
    (lambda r: make_set(r) and (r / "polarity.json").write_text('{"one": "white"}'), "polarity must be"),
    (lambda r: make_set(r) and (r / "polarity.json").write_text("{oops"), "not valid JSON"),
    (lambda r: make_set(r) and (r / "polarity.json").write_text('{"nine": "negative"}'), "not in the set"),
    (lambda r: make_set(r) and (r / "damaged" / "one.tif").write_bytes(b"x"), "share the name 'one'"),
    (lambda r: make_set(r) and (r / "damaged" / "one.png").write_bytes(b"\x89PNG\r\n\x1a\nxx"), "one.png"),
])
def test_bad_pair_sets_are_refused_with_the_reason(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(SourceError, match=message):
        find_image_pairs(tmp_path)


def test_every_benchmark_layout_is_a_pair_set(tmp_path):
    # given: the input/ + gt/ layout of a leaderboard benchmark, unpacked into a folder of its own
    root = tmp_path / "bench" / "unpacked"
    for sub in ("input", "gt"):
        (root / sub).mkdir(parents=True)
        write_image(root / sub / "frame.png", np.zeros((30, 40, 3), np.uint8))
    (root / "polarity.json").write_text(json.dumps({"frame": "negative"}))
    # then: the same folder serves a survey, polarity.json read beside the pairs
    pairs = find_image_pairs(tmp_path / "bench")
    assert [(p.name, p.polarity, p.damaged.parent.name, p.restored.parent.name) for p in pairs] == [
        ("frame", "negative", "input", "gt")]
    assert [n for n, *_ in find_images(tmp_path / "bench")] == ["frame"]
    # and: NAME_damaged / NAME_restored files in one folder too
    flat = tmp_path / "flat"
    flat.mkdir()
    for role in ("damaged", "restored"):
        write_image(flat / f"a_{role}.png", np.zeros((30, 40, 3), np.uint8))
    assert [p.name for p in find_image_pairs(flat)] == ["a"]


def test_missing_folder_and_empty_image_set(tmp_path):
    with pytest.raises(SourceError, match="not a folder"):
        find_image_pairs(tmp_path / "nowhere")
    with pytest.raises(SourceError, match="no .png"):
        find_images(tmp_path)


def test_sample_pair_set_is_reproducible(tmp_path):
    from surveys.core.samples import write_sample_pair_set

    class Whiten:
        label = "whiten a square"

        def __call__(self, clean, *, seed, polarity, um_per_px):
            out = clean.copy()
            r = int(np.random.default_rng(seed).integers(0, 100))
            out[r:r + 20, r:r + 20] = 255 if polarity == "negative" else 0
            return out, {}

    pairs = write_sample_pair_set(tmp_path / "a", damage=Whiten(), seed=1, um_per_px=7.0, names=("coffee", "rocket"))
    again = write_sample_pair_set(tmp_path / "b", damage=Whiten(), seed=1, um_per_px=7.0, names=("coffee", "rocket"))
    assert [(p.name, p.polarity, p.width, p.height) for p in pairs] == [("coffee", "negative", 600, 400),
                                                                       ("rocket", "positive", 640, 427)]
    for p, q in zip(pairs, again):
        assert p.damaged.read_bytes() == q.damaged.read_bytes() and p.restored.read_bytes() == q.restored.read_bytes()
