"""Fitting the damage model: patch counts, hurdle + Gamma MLE, fallbacks, serialisation."""
from __future__ import annotations

import json

import numpy as np
import pytest

from annotation.core.types import CLASSES, Artefact, FrameGeometry, ScanArtefacts
from synthesis.core.fit import MAX_SHAPE, fit_damage_model, fit_gamma, patch_counts
from synthesis.core.model import DamageModel, DamageModelError


def _art(cls: str, x: float, y: float, area_um2: float = 1000.0) -> Artefact:
    poly = np.array([[x - 1, y - 1], [x + 1, y - 1], [x + 1, y + 1], [x - 1, y + 1]])
    return Artefact(cls, poly, 4.0, area_um2, (x, y), (x - 1, y - 1, x + 1, y + 1))


def _synthetic_scans(rng, *, n_scans=30, p=0.3, shape=20.0, scale=0.5, area=(2.5, 4000.0)):
    """Scans of 10 x 10 patches whose dust counts follow a known hurdle model."""
    frame = FrameGeometry.for_35mm(2560, 2560)
    scans = []
    for s in range(n_scans):
        arts = []
        for py in range(10):
            for px in range(10):
                if rng.random() >= p:
                    continue
                n = max(1, int(round(rng.gamma(shape, scale))))
                for _ in range(n):
                    x, y = (px + rng.random()) * 256, (py + rng.random()) * 256
                    arts.append(_art("dust", x, y, float(rng.gamma(*area))))
        scans.append(ScanArtefacts(f"s{s}", frame, arts))
    return scans


def test_patch_counts_by_centroid_with_padded_edges():
    # given: a 600 x 300 frame is 3 x 2 padded patches; centroids placed by hand
    frame = FrameGeometry.for_35mm(600, 300)
    arts = [_art("dust", 10, 10), _art("dust", 300, 10), _art("dust", 599, 299),
            _art("dust", 255.9, 256.0), _art("dirt", 520, 100)]
    # when
    counts = patch_counts(ScanArtefacts("a", frame, arts))
    # then: row-major patch index = iy * 3 + ix
    assert counts["dust"].tolist() == [1, 1, 0, 1, 0, 1]
    assert counts["dirt"].tolist() == [0, 0, 1, 0, 0, 0]
    assert counts["scratch"].tolist() == [0] * 6


def test_hurdle_fit_recovers_known_parameters():
    rng = np.random.default_rng(0)
    scans = _synthetic_scans(rng)
    model = fit_damage_model(scans)
    dust = model.classes["dust"]
    # p_nonempty is the share of non-empty patches: 0.3 within binomial noise (n = 3000)
    assert abs(dust.p_nonempty - 0.3) < 3 * np.sqrt(0.3 * 0.7 / 3000)
    # Gamma(20, 0.5) rounded: the MLE on the integer counts stays within 10%
    assert dust.count_gamma.shape == pytest.approx(20.0, rel=0.15)
    assert dust.count_gamma.scale == pytest.approx(0.5, rel=0.15)
    # the MLE keeps the sample mean exactly (d logL / d scale = 0 gives scale = mean / shape)
    counts = np.concatenate([patch_counts(s)["dust"] for s in scans])
    assert dust.count_gamma.mean == pytest.approx(counts[counts > 0].mean(), rel=1e-6)
    # areas: Gamma(2.5, 4000) recovered from about 9,000 continuous samples
    assert dust.area_gamma.shape == pytest.approx(2.5, rel=0.05)
    assert dust.area_gamma.scale == pytest.approx(4000.0, rel=0.05)
    assert dust.diagnostics["ks_areas"]["pvalue"] > 0.001


def test_fit_gamma_on_continuous_samples_matches_truth():
    x = np.random.default_rng(1).gamma(0.7, 300.0, size=20000)
    params, notes, method = fit_gamma(x, min_samples=3, what="x")
    assert method == "mle" and not notes
    assert params.shape == pytest.approx(0.7, rel=0.03)
    assert params.scale == pytest.approx(300.0, rel=0.05)


def test_fallbacks_are_documented():
    frame = FrameGeometry.for_35mm(512, 512)
    # two short hairs only, in one patch; no dirt, hair or scratch at all; 10 equal dust patches
    arts = [_art("short hair", 10, 10, 500.0), _art("short hair", 20, 20, 700.0)]
    arts += [_art("dust", 300, 300, 100.0)]
    scans = [ScanArtefacts(f"s{i}", frame, list(arts)) for i in range(5)]
    model = fit_damage_model(scans, min_samples=3)
    hair = model.classes["short hair"]
    # 5 positive counts (all 2): variance zero -> near-constant Gamma
    assert hair.count_gamma.shape == MAX_SHAPE and hair.count_gamma.mean == pytest.approx(2.0)
    assert any("all values equal" in n for n in hair.notes)
    dirt = model.classes["dirt"]
    assert dirt.p_nonempty == 0 and dirt.count_gamma is None and "never generated" in dirt.notes[0]
    assert model.expected_counts(width=512, height=512)["dirt"] == 0
    # too few samples: exponential (shape 1) with the sample mean
    single = fit_damage_model([ScanArtefacts("one", frame, [_art("dust", 5, 5, 250.0)])])
    assert single.classes["dust"].area_gamma.shape == 1.0
    assert single.classes["dust"].area_gamma.scale == 250.0
    assert any("exponential" in n for n in single.classes["dust"].notes)


def test_bad_input_gets_clear_errors():
    with pytest.raises(DamageModelError, match="empty dataset"):
        fit_damage_model([])
    frame = FrameGeometry.for_35mm(512, 512)
    with pytest.raises(DamageModelError, match="no usable artefacts"):
        fit_damage_model([ScanArtefacts("empty", frame, [])])
    with pytest.raises(DamageModelError, match="unknown artefact classes"):
        fit_damage_model([ScanArtefacts("x", frame, [_art("smudge", 5, 5)])])
    with pytest.raises(DamageModelError, match="version"):
        DamageModel.from_dict({"version": 99, "classes": {}})


def test_public_model_matches_annotated_frames(public_model, public_scans):
    # 12,135 usable artefacts (README: two degenerate polygons skipped)
    assert sum(len(s.artefacts) for s in public_scans) == 12135
    annotated = {c: np.mean([sum(a.cls == c for a in s.artefacts) for s in public_scans]) for c in CLASSES}
    expected = public_model.expected_counts(width=4944, height=3396)
    for c in CLASSES:
        # n_patches * p_nonempty * E[count | > 0] per 4944 x 3396 frame vs the annotated mean per frame
        # (the frames are 4944-4969 px wide, so up to 0.6% apart)
        assert expected[c] == pytest.approx(annotated[c], rel=0.01), c
    # Table 1 of the paper (mean area, square microns), within 2% (scans 1 and 2 have larger canvases)
    table1 = {"dirt": 8194, "dust": 3344, "long hair": 53501, "short hair": 16365, "scratch": 229660}
    for c, mean in table1.items():
        assert public_model.classes[c].area_gamma.mean == pytest.approx(mean, rel=0.02), c


def test_count_basis_pixels_or_frame(public_model):
    full = public_model.expected_counts(width=4944, height=3396)
    # the same 35 mm frame scanned at half the resolution: a quarter of the 256 px patches (the paper's
    # scaling), or the same artefacts per frame when counts follow the physical frame area
    half_px = public_model.expected_counts(width=2472, height=1698)
    half_frame = public_model.expected_counts(width=2472, height=1698, count_basis="frame")
    for c in CLASSES:
        assert half_px[c] == pytest.approx(full[c] / 4, rel=1e-9)
        assert half_frame[c] == pytest.approx(public_model.diagnostics["annotated_mean_counts_per_frame"][c],
                                              rel=0.01)


def test_model_round_trips_through_json(public_model):
    data = json.loads(json.dumps(public_model.to_dict()))
    again = DamageModel.from_dict(data)
    assert again.to_dict() == data == public_model.to_dict()
    for c in CLASSES:
        a, b = public_model.classes[c], again.classes[c]
        assert a.count_gamma == b.count_gamma and a.area_gamma == b.area_gamma and a.perlin == b.perlin
        np.testing.assert_allclose(a.density, b.density, atol=1e-6)
    plot = data["classes"]["dust"]["diagnostics"]["area_plot"]
    assert len(plot["bin_edges_um2"]) == len(plot["density"]) + 1 == len(plot["fitted_pdf"]) + 1
