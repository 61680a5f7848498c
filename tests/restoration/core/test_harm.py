"""Do no harm: components of a repair that do not look like film damage are put back bit-identical."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from restoration.core.harm import (
    DEFAULT_SENSITIVITY,
    MAX_AREA_UM2,
    ComponentReport,
    apply_review,
    review_components,
)
from restoration.core.inpaint import inpaint
from tests.support import PUBLIC_DATA, needs_public_data

POLARITIES = ["negative", "positive"]
DTYPES = [np.uint8, np.uint16]


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def _grainy(shape=(160, 200), *, level=0.45, sigma=0.03, seed=0) -> np.ndarray:
    """A grey-ish RGB picture with film-like grain, float in [0, 1]."""
    rng = np.random.default_rng(seed)
    grain = cv2.GaussianBlur(rng.standard_normal((*shape, 3)).astype(np.float32), (0, 0), 0.8)
    grain = 0.7 * grain.mean(axis=2, keepdims=True) + 0.3 * grain
    grain /= grain.std()
    tint = np.array([1.0, 0.95, 0.9], np.float32)
    return np.clip(level * tint + sigma * grain, 0, 1)


def _to(dtype, unit: np.ndarray) -> np.ndarray:
    top = np.iinfo(dtype).max
    return np.clip(np.rint(unit * top), 0, top).astype(dtype)


def _blend(unit: np.ndarray, alpha: np.ndarray, polarity: str) -> np.ndarray:
    """Film damage: the picture blended toward white (negative film) or black (positive film)."""
    target = 1.0 if polarity == "negative" else 0.0
    return unit + (target - unit) * alpha[..., None]


def _repair(damaged: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    return inpaint(damaged, flagged, method="grain", seed=0)


def _artefact(name: str, side: int) -> np.ndarray:
    """The alpha of one public hand-drawn artefact, cropped and scaled to ``side`` px."""
    rgba = cv2.imread(str(PUBLIC_DATA / "synthetic" / name), cv2.IMREAD_UNCHANGED)
    a = rgba[..., 3].astype(np.float32) / 255
    ys, xs = np.nonzero(a > 0.05)
    a = a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    f = side / max(a.shape)
    return cv2.resize(a, (max(1, round(a.shape[1] * f)), max(1, round(a.shape[0] * f))), interpolation=cv2.INTER_AREA)


def _label_scene(polarity: str, dtype):
    """A grainy scene with text on labels and public hairs and dust on the film, and a detector that flags all.

    The text is what a detector confuses with damage and what the rules are meant to catch: text
    of the other contrast than damage (dark ink on a light label on negative film) and ink with a
    hue of its own; the labels carry the picture's grain.
    """
    from restoration.core.clean_images import generated_scene
    from synthesis.core.grain import add_film_grain

    h, w = 256, 320
    img = generated_scene(size=(h, w), seed=3)
    neg = polarity == "negative"
    texts = [(12, 40, (235, 230, 220) if neg else (25, 25, 30), (20, 20, 25) if neg else (240, 240, 235), "KODAK"),
             (12, 230, (60, 60, 60) if neg else (180, 180, 180), (250, 220, 40) if neg else (200, 20, 20), "400 ASA"),
             (170, 40, (200, 200, 60) if neg else (40, 40, 120), (30, 30, 160) if neg else (250, 250, 120), "EXIT")]
    words = []
    for x, y, label, ink, word in texts:
        (tw, th), base = cv2.getTextSize(word, cv2.FONT_HERSHEY_DUPLEX, 0.9, 2)
        cv2.rectangle(img, (x - 6, y - th - 6), (x + tw + 6, y + base + 4), label, -1)
        stroke = np.zeros((h, w), np.uint8)
        cv2.putText(stroke, word, (x, y), cv2.FONT_HERSHEY_DUPLEX, 0.9, 255, 2, cv2.LINE_AA)
        a = stroke[..., None].astype(np.float32) / 255
        img = np.clip(img * (1 - a) + np.array(ink, np.float32) * a, 0, 255).astype(np.uint8)
        words.append(stroke > 127)
    unit = add_film_grain(img, strength=0.03, grain_size=1.0, seed=3).astype(np.float32) / 255
    alpha = np.zeros((h, w), np.float32)
    artefacts = []
    for name, side, (y, x) in [("hair/hair-0002.png", 110, (90, 40)), ("hair-short/hair-sh-0005.png", 50, (120, 200)),
                               ("dots/dots-0001.png", 14, (80, 260)), ("sprinkles/sprink-0001.png", 20, (180, 160)),
                               ("smut/smut-0001.png", 22, (196, 270))]:
        a = _artefact(name, side)
        ah, aw = a.shape
        alpha[y:y + ah, x:x + aw] = np.maximum(alpha[y:y + ah, x:x + aw], a)
        m = np.zeros((h, w), bool)
        m[y:y + ah, x:x + aw] = a >= 0.15
        artefacts.append(m)
    damaged = _to(dtype, _blend(unit, alpha, polarity))
    flagged = (alpha >= 0.15) | np.any(words, axis=0)
    flagged = cv2.dilate(flagged.astype(np.uint8), _disk(2)) > 0
    return damaged, _repair(damaged, flagged), flagged, artefacts, words


@needs_public_data
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("polarity", POLARITIES)
def test_hairs_and_dust_are_kept_and_text_is_dropped(polarity, dtype):
    # given: text on labels and public hairs and dust on one frame, a detector that flagged all of them
    damaged, restored, flagged, artefacts, words = _label_scene(polarity, dtype)

    # when
    report = review_components(damaged, restored, flagged, polarity=polarity, px_per_mm=70.0)

    # then: every artefact is kept whole, no text stroke is kept, and the reasons are counted
    for m in artefacts:
        assert (report.kept_mask & m).sum() / m.sum() >= 0.95
    for m in words:
        assert not (report.kept_mask & m).any()
    assert report.dropped.get("wrong polarity", 0) >= 1 and report.dropped.get("coloured", 0) >= 1
    assert report.kept == sum(c["decision"] == "kept" for c in report.components)
    assert sum(report.dropped.values()) == sum(c["decision"] == "dropped" for c in report.components)
    summary = report.summary()
    assert json.loads(json.dumps(summary)) == summary
    assert summary["kept"] == report.kept and summary["dropped"] == report.dropped
    assert summary["kept_share"] + summary["dropped_share"] == pytest.approx(1.0)


@needs_public_data
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("polarity", POLARITIES)
def test_pixels_outside_the_kept_mask_are_bit_identical_to_the_input(polarity, dtype):
    # given: a reviewed repair
    damaged, restored, flagged, _, _ = _label_scene(polarity, dtype)
    report = review_components(damaged, restored, flagged, polarity=polarity, px_per_mm=70.0)

    # when
    out = apply_review(damaged, restored, report)

    # then: the repair where kept, the input bit for bit everywhere else
    assert out.dtype == damaged.dtype and out.shape == damaged.shape
    assert np.array_equal(out[~report.kept_mask], damaged[~report.kept_mask])
    assert np.array_equal(out[report.kept_mask], restored[report.kept_mask])
    assert report.kept_mask.any() and (flagged & ~report.kept_mask).any()


def _specks(polarity_of_damage: str, dtype, *, n=6, radius=3, px_per_mm=70.0, seed=1):
    """Opaque round specks of one polarity on a grainy picture, flagged and repaired."""
    unit = _grainy(seed=seed)
    alpha = np.zeros(unit.shape[:2], np.float32)
    for k in range(n):
        cv2.circle(alpha, (25 + 30 * k, 40 + 20 * (k % 3)), radius, 1.0, -1, cv2.LINE_AA)
    damaged = _to(dtype, _blend(unit, alpha, polarity_of_damage))
    flagged = cv2.dilate((alpha > 0.15).astype(np.uint8), _disk(2)) > 0
    return damaged, _repair(damaged, flagged), flagged


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("polarity", POLARITIES)
def test_damage_of_the_other_polarity_is_dropped_as_wrong_polarity(polarity, dtype):
    # given: dark specks on negative film (light specks on positive film), all flagged
    other = "positive" if polarity == "negative" else "negative"
    damaged, restored, flagged = _specks(other, dtype)

    # when
    wrong = review_components(damaged, restored, flagged, polarity=polarity, px_per_mm=70.0)
    right = review_components(damaged, restored, flagged, polarity=other, px_per_mm=70.0)

    # then: all dropped for the film's polarity, all kept for the other one
    assert wrong.kept == 0 and wrong.dropped == {"wrong polarity": 6}
    assert not wrong.kept_mask.any()
    assert right.kept == 6 and right.dropped == {}
    assert all(c["mean_change_sigma"] > 0 for c in right.components)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_flat_image_without_a_mask_keeps_nothing(dtype):
    # given: a flat picture and an empty mask
    image = np.full((64, 80, 3), np.iinfo(dtype).max // 2, dtype)
    mask = np.zeros((64, 80), bool)

    # when
    report = review_components(image, image.copy(), mask, polarity="negative", px_per_mm=35.0)

    # then
    assert isinstance(report, ComponentReport)
    assert report.kept == 0 and report.dropped == {} and report.components == []
    assert report.summary() == {"kept": 0, "dropped": {}, "kept_share": 0.0, "dropped_share": 0.0}
    assert np.array_equal(apply_review(image, image, report), image)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("polarity", POLARITIES)
def test_a_huge_component_is_dropped_as_too_large_and_a_long_thin_one_is_not(polarity, dtype):
    # given: at 35 px/mm, a bright square of 4 mm^2 (larger than any annotated artefact but a
    # scratch) and a 3 px wide, 9 mm long line of the same area class, both light damage
    px_per_mm = 35.0
    unit = _grainy(shape=(220, 360), seed=2)
    alpha = np.zeros(unit.shape[:2], np.float32)
    alpha[20:90, 20:90] = 1.0
    alpha[150:153, 20:340] = 1.0
    damaged = _to(dtype, _blend(unit, alpha, polarity))
    flagged = cv2.dilate((alpha > 0).astype(np.uint8), _disk(1)) > 0
    restored = _repair(damaged, flagged)

    # when
    report = review_components(damaged, restored, flagged, polarity=polarity, px_per_mm=px_per_mm)

    # then
    by_reason = {c["reason"]: c for c in report.components}
    assert set(by_reason) == {"too large", None}
    assert by_reason["too large"]["area_um2"] > MAX_AREA_UM2
    assert by_reason[None]["area_um2"] > MAX_AREA_UM2 and by_reason[None]["bbox"][2] > 300


@pytest.mark.parametrize("dtype", DTYPES)
def test_grain_sized_and_empty_components_are_dropped_and_an_unsure_detector_needs_more_contrast(dtype):
    # given: at 141 px/mm, a grain-sized white speck (4 px = 200 um^2), a flagged patch of plain
    # grain, clear dust (5 px radius) and a middling speck (2 px radius, a third of the way to white)
    px_per_mm = 141.26
    unit = _grainy(seed=4)
    alpha = np.zeros(unit.shape[:2], np.float32)
    alpha[30:32, 30:32] = 1.0
    cv2.circle(alpha, (160, 40), 5, 1.0, -1)
    cv2.circle(alpha, (100, 100), 2, 0.28, -1)
    damaged = _to(dtype, _blend(unit, alpha, "negative"))
    flagged = cv2.dilate((alpha > 0).astype(np.uint8), _disk(2)) > 0
    cv2.circle(flagged.view(np.uint8), (100, 40), 7, 1, -1)
    restored = _repair(damaged, flagged)

    # when
    sure = review_components(damaged, restored, flagged, polarity="negative", px_per_mm=px_per_mm,
                             probability=np.where(flagged, 0.99, 0.0))
    unsure = review_components(damaged, restored, flagged, polarity="negative", px_per_mm=px_per_mm,
                               probability=np.where(flagged, 0.5, 0.0))
    strict = review_components(damaged, restored, flagged, polarity="negative", px_per_mm=px_per_mm,
                               sensitivity=0.0)

    # then: the clear dust and the middling speck are kept when the detector is sure, the middling
    # speck is not when it is unsure; grain is never kept; records carry contrast and probability
    by_box = {tuple(c["bbox"][:2]): c for c in sure.components}
    assert sure.kept == 2 and unsure.kept == 1
    assert by_box[(28, 28)]["reason"] == "too small"
    assert by_box[(93, 33)]["reason"] in ("too small", "too faint")
    dust = next(c for c in sure.components if c["bbox"][:2] == [153, 33])
    assert dust["decision"] == "kept" and dust["contrast"] > 10 and dust["peak_probability"] == pytest.approx(0.99)
    assert next(c for c in unsure.components if c["bbox"][:2] == [96, 96])["reason"] == "too faint"
    assert strict.kept <= sure.kept


@pytest.mark.parametrize("layout", ["grey", "grey (H, W, 1)", "rgba"])
def test_grey_and_rgba_scans_are_reviewed_on_their_colour_planes(layout):
    # given: light specks on negative film as a grey scan or with an alpha plane
    damaged, restored, flagged = _specks("negative", np.uint16)
    if layout.startswith("grey"):
        damaged, restored = damaged.mean(axis=2).astype(np.uint16), restored.mean(axis=2).astype(np.uint16)
        if layout.endswith("1)"):
            damaged, restored = damaged[..., None], restored[..., None]
    else:
        opaque = np.full(damaged.shape[:2] + (1,), 65535, np.uint16)
        damaged, restored = np.concatenate([damaged, opaque], 2), np.concatenate([restored, opaque], 2)

    # when
    report = review_components(damaged, restored, flagged, polarity="negative", px_per_mm=70.0)
    out = apply_review(damaged, restored, report)

    # then
    assert report.kept == 6
    assert np.array_equal(out[~report.kept_mask], damaged[~report.kept_mask])


def test_more_components_than_allowed_are_dropped_smallest_first():
    # given: three clear specks of different sizes
    unit = _grainy(seed=5)
    alpha = np.zeros(unit.shape[:2], np.float32)
    for k, r in enumerate((2, 4, 6)):
        cv2.circle(alpha, (40 + 50 * k, 60), r, 1.0, -1)
    damaged = _to(np.uint8, _blend(unit, alpha, "negative"))
    flagged = cv2.dilate((alpha > 0).astype(np.uint8), _disk(2)) > 0

    # when
    report = review_components(damaged, _repair(damaged, flagged), flagged, polarity="negative",
                               px_per_mm=70.0, max_components=2)

    # then: the two largest are reviewed (and kept), the smallest is dropped unreviewed
    assert report.kept == 2 and report.dropped == {"too many": 1}
    assert min(report.components, key=lambda c: c["area_px"])["reason"] == "too many"


def _ok():
    image = np.zeros((20, 30, 3), np.uint8)
    return image, image.copy(), np.zeros((20, 30), bool)


@pytest.mark.parametrize(("change", "message"), [
    (dict(restored=np.zeros((20, 31, 3), np.uint8)), r"restored must have the original's shape and dtype"),
    (dict(restored=np.zeros((20, 30, 3), np.uint16)), r"restored must have the original's shape and dtype"),
    (dict(original=np.zeros((20, 30, 3), np.float32)), r"original must be a uint8 or uint16 array, got float32"),
    (dict(original=np.zeros((20, 30, 2), np.uint8)), r"\(H, W, 3\) or \(H, W, 4\) array, got shape \(20, 30, 2\)"),
    (dict(mask=np.zeros((20, 30), np.uint8)), r"mask must be a bool array of shape \(20, 30\).*got uint8"),
    (dict(mask=np.zeros((30, 20), bool)), r"mask must be a bool array of shape \(20, 30\).*shape \(30, 20\)"),
    (dict(polarity="auto"), r"polarity must be one of \('negative', 'positive'\), got 'auto'"),
    (dict(polarity="Negative"), r"polarity must be one of"),
    (dict(sensitivity=1.5), r"sensitivity must be a number in \[0, 1\].*got 1.5"),
    (dict(sensitivity=-0.1), r"sensitivity must be a number in \[0, 1\]"),
    (dict(px_per_mm=0.0), r"px_per_mm must be a positive finite number.*got 0.0"),
    (dict(px_per_mm=float("nan")), r"px_per_mm must be a positive finite number"),
    (dict(probability=np.zeros((20, 30), np.uint8)), r"probability must be a float array of shape \(20, 30\)"),
    (dict(max_components=0), r"max_components must be a positive whole number, got 0"),
])
def test_bad_input_is_refused_with_what_is_wrong_and_what_is_allowed(change, message):
    # given: valid arguments but one
    original, restored, mask = _ok()
    kwargs = dict(original=original, restored=restored, mask=mask, polarity="negative", px_per_mm=35.0,
                  sensitivity=DEFAULT_SENSITIVITY, probability=None, max_components=10)
    kwargs.update(change)
    positional = [kwargs.pop(k) for k in ("original", "restored", "mask")]

    # when / then
    with pytest.raises(ValueError, match=message):
        review_components(*positional, **kwargs)


def test_apply_review_refuses_images_that_do_not_match_the_report():
    # given: a report for a 20 x 30 frame
    original, restored, mask = _ok()
    report = review_components(original, restored, mask, polarity="negative", px_per_mm=35.0)

    # when / then
    with pytest.raises(ValueError, match=r"one shape and dtype"):
        apply_review(original, restored.astype(np.uint16), report)
    with pytest.raises(ValueError, match=r"the report is for a \(20, 30\) mask"):
        apply_review(np.zeros((10, 10, 3), np.uint8), np.zeros((10, 10, 3), np.uint8), report)
