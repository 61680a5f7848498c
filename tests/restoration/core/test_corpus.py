"""The clean corpus: photograph test, hard negatives, writing split by source, reading back."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from imaging.io import read_image, write_image
from restoration.core.clean_images import generated_scene
from restoration.core.corpus import (
    HARD_NEGATIVE_KINDS,
    CorpusError,
    calibration_items,
    find_wallpapers,
    is_photograph,
    load_corpus,
    photograph_test,
    render_hard_negative,
    write_corpus,
)

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
TRAIN_FONT, HELDOUT_FONT = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSerif.ttf"  # both in fonts-dejavu-core
needs_fonts = pytest.mark.skipif(not (TRAIN_FONT.is_file() and HELDOUT_FONT.is_file()),
                                 reason="Debian's fonts-dejavu-core is not installed")


def _photo(h=300, w=400, *, seed=0) -> np.ndarray:
    """Photo-like: a smooth scene, mid-scale texture, a few hard-edged objects and sensor noise."""
    rng = np.random.default_rng(seed)
    img = generated_scene(size=(h, w), seed=seed).astype(np.float32)
    img += cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 1.5)[..., None] * 40
    for _ in range(4):
        x, y = rng.integers(0, w - 40), rng.integers(0, h - 40)
        img[y:y + 40, x:x + 60] = img[y:y + 40, x:x + 60] * 0.5 + rng.uniform(0, 255, 3) * 0.5
    img += rng.normal(0, 3, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _gradient(h=300, w=400) -> np.ndarray:
    t = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    return np.broadcast_to(np.float32([30, 60, 160]) * (1 - t) + np.float32([250, 140, 60]) * t,
                           (h, w, 3)).astype(np.uint8).copy()


def _vector(h=300, w=400) -> np.ndarray:
    img = np.full((h, w, 3), (40, 90, 160), np.uint8)
    cv2.fillPoly(img, [np.int32([[20, 250], [200, 40], [380, 280]])], (240, 200, 30), cv2.LINE_AA)
    cv2.circle(img, (300, 90), 50, (220, 40, 60), -1, cv2.LINE_AA)
    return img


def _grainy_gradient(h=300, w=400) -> np.ndarray:
    """A blurred colour gradient with added grain: no structure between the grain and the gradient."""
    rng = np.random.default_rng(1)
    return np.clip(_gradient(h, w) + rng.normal(0, 3, (h, w, 3)), 0, 255).astype(np.uint8)


def test_is_photograph_keeps_a_noisy_textured_picture():
    # given a photo-like picture, as an array and as a file
    photo = _photo()
    # then it passes every rule
    assert photograph_test(photo).failed == ()
    assert is_photograph(photo)


@pytest.mark.parametrize("make, rule", [(_gradient, "no fine noise"), (_vector, "large flat areas"),
                                        (_grainy_gradient, "no mid-scale structure")])
def test_is_photograph_rejects_flat_gradient_and_vector_art(make, rule):
    test = photograph_test(make())
    assert rule in test.failed
    assert not is_photograph(make())


def test_is_photograph_reads_a_path(tmp_path):
    write_image(tmp_path / "photo.png", _photo())
    write_image(tmp_path / "flat.png", _vector())
    assert is_photograph(tmp_path / "photo.png") and not is_photograph(str(tmp_path / "flat.png"))


@needs_fonts
@pytest.mark.parametrize("kind", HARD_NEGATIVE_KINDS)
def test_each_hard_negative_changes_the_background_and_keeps_its_shape(kind):
    # given a background
    background = _photo(240, 320, seed=3)
    before = background.copy()
    # when a hard negative is rendered on it
    out = render_hard_negative(kind, background, fonts=[TRAIN_FONT], rng=np.random.default_rng(11))
    # then it is uint8 RGB of the same shape, the background is untouched and the content is visible
    assert out.dtype == np.uint8 and out.shape == background.shape
    assert np.array_equal(background, before)
    changed = np.abs(out.astype(np.int16) - background).max(axis=2) > 12
    assert changed.mean() > 0.001, f"{kind}: only {changed.sum()} pixels changed visibly"


@needs_fonts
@pytest.mark.parametrize("kind", HARD_NEGATIVE_KINDS)
def test_hard_negatives_same_seed_same_bytes(kind):
    background = _photo(200, 260, seed=4)
    a, b, c = (render_hard_negative(kind, background, fonts=[TRAIN_FONT], rng=np.random.default_rng(s))
               for s in (7, 7, 8))
    assert a.tobytes() == b.tobytes()
    assert a.tobytes() != c.tobytes()


def test_hard_negative_refuses_unknown_kind_and_text_without_fonts():
    with pytest.raises(ValueError, match="allowed: text, lineart"):
        render_hard_negative("dust", _photo(64, 64), rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="font"):
        render_hard_negative("text", _photo(64, 64), rng=np.random.default_rng(0))


def _fake_wallpapers(root: Path) -> Path:
    """Folders named like the Debian packages, with duplicates at several sizes, art, SVG and previews."""
    plasma = root / "plasma-workspace-wallpapers" / "Meadow" / "contents"
    big = _photo(300, 480, seed=10)
    (plasma / "images").mkdir(parents=True)
    write_image(plasma / "images" / "480x300.png", big)
    write_image(plasma / "images" / "240x150.png", cv2.resize(big, (240, 150), interpolation=cv2.INTER_AREA))
    write_image(plasma / "screenshot.png", cv2.resize(big, (120, 75), interpolation=cv2.INTER_AREA))
    (plasma.parent / "metadata.json").write_text("{}")
    mate = root / "mate-backgrounds"
    (mate / "nature").mkdir(parents=True)
    (mate / "abstract").mkdir()
    lake = _photo(300, 400, seed=11)
    write_image(mate / "nature" / "Lake_800x600.jpg", lake)
    write_image(mate / "nature" / "Lake.jpg", cv2.resize(lake, (200, 150), interpolation=cv2.INTER_AREA))
    write_image(mate / "nature" / "Hill.jpg", _photo(260, 380, seed=12))
    write_image(mate / "abstract" / "Flat.png", _vector())
    lomiri = root / "lomiri-wallpapers-16.04"
    lomiri.mkdir()
    write_image(lomiri / "Bridge_by_Someone.jpg", _photo(320, 300, seed=13))
    gnome = root / "gnome-backgrounds"
    gnome.mkdir()
    (gnome / "blobs.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (gnome / "blobs.xml").write_text("<wallpapers/>")
    write_image(gnome / "gradient.png", _gradient())
    return root


RENDERS = 2
LONG_SIDE = 1024


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    if not (TRAIN_FONT.is_file() and HELDOUT_FONT.is_file()):
        pytest.skip("Debian's fonts-dejavu-core is not installed")
    base = tmp_path_factory.mktemp("corpus")
    roots = [_fake_wallpapers(base / "wallpapers")]
    options = dict(wallpaper_roots=roots, font_dirs=[TRAIN_FONT, HELDOUT_FONT], long_side=LONG_SIDE,
                   renders_per_kind=RENDERS, seed=5, heldout_font_prefixes=("DejaVuSerif",), dpkg_info=None)
    result = write_corpus(base / "out", **options)
    return {"base": base, "roots": roots, "options": options, "result": result, "out": base / "out",
            "manifest": json.loads((base / "out" / "manifest.json").read_text())}


def test_find_wallpapers_one_picture_each_no_svg_or_previews(tmp_path):
    root = _fake_wallpapers(tmp_path / "w")
    found = find_wallpapers([root], dpkg_info=None)
    names = sorted((source, p.relative_to(root).as_posix()) for source, p in found)
    assert names == [("gnome", "gnome-backgrounds/gradient.png"),
                     ("lomiri", "lomiri-wallpapers-16.04/Bridge_by_Someone.jpg"),
                     ("mate", "mate-backgrounds/abstract/Flat.png"),
                     ("mate", "mate-backgrounds/nature/Hill.jpg"),
                     ("mate", "mate-backgrounds/nature/Lake_800x600.jpg"),
                     ("plasma", "plasma-workspace-wallpapers/Meadow/contents/images/480x300.png")]


def test_write_corpus_splits_by_source_and_keeps_photographs_only(corpus):
    m = corpus["manifest"]
    assert m["version"] == 1 and m["seed"] == 5 and m["complete"]
    photos = {i["path"]: i for i in m["items"] if i["kind"] == "photo"}
    by_split = {s: {i["source"] for i in m["items"] if i["split"] == s} for s in ("train", "heldout")}
    assert by_split["heldout"] == {"mate", "lomiri"}
    assert {"plasma", "skimage"} <= by_split["train"]
    assert not by_split["train"] & by_split["heldout"]
    wallpaper_photos = sorted(p for p in photos if not p.startswith("skimage/"))
    assert wallpaper_photos == ["lomiri/Bridge_by_Someone.png", "mate/Hill.png", "mate/Lake.png", "plasma/Meadow.png"]
    assert len(photos) == 4 + 14
    assert {r["original"].rsplit("/", 1)[-1] for r in m["rejected"]} == {"Flat.png", "gradient.png"}
    # the largest copy of each picture, as 8-bit RGB no larger than long_side
    assert read_image(corpus["out"] / "plasma/Meadow.png").shape == (300, 480, 3)
    assert read_image(corpus["out"] / "mate/Lake.png").shape == (300, 400, 3)
    for path in photos:
        image = read_image(corpus["out"] / path)
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert max(image.shape[:2]) <= LONG_SIDE


def test_renders_use_backgrounds_and_fonts_of_their_own_split(corpus):
    m = corpus["manifest"]
    split_of = {i["path"]: i["split"] for i in m["items"] if i["kind"] == "photo"}
    renders = [i for i in m["items"] if i["kind"] != "photo"]
    assert len(renders) == 2 * len(HARD_NEGATIVE_KINDS) * RENDERS
    for r in renders:
        assert split_of[r["background"]] == r["split"], r
        assert r["source"] == r["background"].split("/")[0]
        assert r["path"].startswith(f"{r['source']}/renders/{r['kind']}-")
        assert ("font" in r) == (r["kind"] == "text")
        image = read_image(corpus["out"] / r["path"])
        assert image.dtype == np.uint8 and image.shape[2] == 3
    assert {r["font"] for r in renders if r["kind"] == "text" and r["split"] == "heldout"} == {"DejaVuSerif"}
    assert {r["font"] for r in renders if r["kind"] == "text" and r["split"] == "train"} == {"DejaVuSans"}


def test_write_corpus_same_seed_same_bytes_and_resumes(corpus, tmp_path):
    out = corpus["out"]
    files = {i["path"]: (out / i["path"]).read_bytes() for i in corpus["manifest"]["items"]}
    # a second corpus with the same seed is byte-identical
    write_corpus(tmp_path / "again", **corpus["options"])
    assert {p: (tmp_path / "again" / p).read_bytes() for p in files} == files
    # running again in place makes nothing new and changes nothing
    mtimes = {p: (out / p).stat().st_mtime_ns for p in files}
    result = write_corpus(out, **corpus["options"])
    assert result["made"] == 0 and result["kept"] == len(files)
    assert {p: (out / p).stat().st_mtime_ns for p in files} == mtimes
    # a render removed is made again, identical
    victim = next(p for p in files if "/renders/" in p)
    (out / victim).unlink()
    assert write_corpus(out, **corpus["options"])["made"] == 1
    assert (out / victim).read_bytes() == files[victim]


def test_load_corpus_filters_split_and_kinds(corpus):
    items = load_corpus(corpus["out"], split="heldout", kinds=["photo", "text"])
    assert items and all(i.split == "heldout" and i.kind in ("photo", "text") for i in items)
    assert all(i.path.is_absolute() and i.path.is_file() for i in items)
    assert {i.font for i in items if i.kind == "text"} == {"DejaVuSerif"}
    assert len(load_corpus(corpus["out"])) == len(corpus["manifest"]["items"])


def test_load_corpus_without_a_manifest_says_to_run_make_corpus(tmp_path):
    with pytest.raises(CorpusError, match="make corpus"):
        load_corpus(tmp_path / "nothing-here")
    (tmp_path / "manifest.json").write_text(json.dumps({"version": 1, "seed": 0, "complete": False, "items": []}))
    with pytest.raises(CorpusError, match="not finished.*make corpus"):
        load_corpus(tmp_path)
    with pytest.raises(ValueError, match="allowed: train, heldout"):
        load_corpus(tmp_path, split="validation")


def test_calibration_items_are_held_out_lomiri_pictures_without_text(corpus):
    items = calibration_items(corpus["out"])
    renders = [i for i in corpus["manifest"]["items"] if i["source"] == "lomiri" and i["kind"] != "photo"]
    assert {i.source for i in items} == {"lomiri"} and all(i.split == "heldout" for i in items)
    assert "photo" in {i.kind for i in items} and "text" not in {i.kind for i in items}
    assert any(r["kind"] == "text" for r in renders)  # left out
    assert len(items) == 1 + sum(r["kind"] != "text" for r in renders)
    assert all(i.font is None for i in items)
    # the benchmark's source (mate) is never calibrated on; a source with no pictures is a clear error
    assert not [i for i in items if i.source == "mate"]
    with pytest.raises(CorpusError, match="no held-out picture of ukui.*make corpus"):
        calibration_items(corpus["out"], sources=("ukui",))
