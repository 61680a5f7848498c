"""Perlin noise, densities, KDE maps and point sampling."""
from __future__ import annotations

import numpy as np
import pytest

from synthesis.core.model import PerlinSettings
from synthesis.core.perlin import (
    calibrate_perlin,
    correlation_length,
    fractal_noise,
    kde_map,
    noise_density,
    perlin_noise,
    sample_points,
)


def test_perlin_noise_is_seeded_bounded_and_smooth():
    a = perlin_noise((64, 96), cells=(2, 3), rng=np.random.default_rng(5))
    b = perlin_noise((64, 96), cells=(2, 3), rng=np.random.default_rng(5))
    c = perlin_noise((64, 96), cells=(2, 3), rng=np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # 2-D gradient noise with unit gradients is bounded by sqrt(2) / 2, and continuous
    assert np.abs(a).max() <= np.sqrt(2) / 2 + 1e-9
    assert np.abs(np.diff(a, axis=1)).max() < 0.1


def test_perlin_noise_at_a_cell_centre_matches_the_hand_value():
    # one cell sampled once, at its centre (0.5, 0.5): the fade weights are 1/2 each, so the
    # value is the mean of the four corner gradients dotted with the offsets to the centre
    angles = np.random.default_rng(3).uniform(-np.pi, np.pi, size=(2, 2))
    value = perlin_noise((1, 1), cells=(1, 1), rng=np.random.default_rng(3))[0, 0]
    g = np.stack([np.cos(angles), np.sin(angles)], axis=-1)
    offsets = {(0, 0): (0.5, 0.5), (0, 1): (-0.5, 0.5), (1, 0): (0.5, -0.5), (1, 1): (-0.5, -0.5)}
    hand = np.mean([g[iy, ix, 0] * ox + g[iy, ix, 1] * oy for (iy, ix), (ox, oy) in offsets.items()])
    assert value == pytest.approx(hand, abs=1e-12)


def test_fractal_noise_is_standardised_and_density_sums_to_one():
    s = PerlinSettings(frequency=3, octaves=3, persistence=0.5, contrast=0.8)
    z = fractal_noise((40, 60), s, rng=np.random.default_rng(0))
    assert z.mean() == pytest.approx(0, abs=1e-9) and z.std() == pytest.approx(1, abs=1e-9)
    d = noise_density((40, 60), s, rng=np.random.default_rng(0))
    assert d.sum() == pytest.approx(1.0) and (d > 0).all()
    # log density has the contrast as its standard deviation
    assert np.log(d).std() == pytest.approx(0.8, rel=1e-6)
    # a KDE map that is zero on the left half removes all mass there
    kde = np.ones((4, 6))
    kde[:, :3] = 0
    dk = noise_density((40, 60), s, rng=np.random.default_rng(0), kde_map=kde)
    assert dk[:, :25].sum() == 0


def test_sample_points_follow_the_density():
    rng = np.random.default_rng(0)
    density = np.zeros((4, 5))
    density[1, 3] = 1.0
    pts = sample_points(density, 500, rng, width=50, height=40)
    # all points inside cell (row 1, col 3): x in [30, 40), y in [10, 20)
    assert (pts[:, 0] >= 30).all() and (pts[:, 0] < 40).all()
    assert (pts[:, 1] >= 10).all() and (pts[:, 1] < 20).all()
    # a 3:1 density over two cells: share within 3 binomial standard deviations
    density = np.array([[3.0, 1.0]])
    pts = sample_points(density, 4000, rng, width=2, height=1)
    share = (pts[:, 0] < 1).mean()
    assert abs(share - 0.75) < 3 * np.sqrt(0.75 * 0.25 / 4000)
    with pytest.raises(ValueError):
        sample_points(np.zeros((2, 2)), 3, rng, width=1, height=1)


def test_kde_map_and_calibration():
    rng = np.random.default_rng(0)
    # points crowded in the left third: the map is higher there, mean 1
    pts = np.column_stack([rng.beta(1, 4, 3000), rng.random(3000)])
    m, sigma = kde_map(pts, grid=(22, 32))
    assert m.mean() == pytest.approx(1.0) and sigma >= 1.0
    assert m[:, :8].mean() > 2 * m[:, 24:].mean()
    # a smooth field has a longer correlation length than a rough one
    smooth = fractal_noise((22, 32), PerlinSettings(1, 1, 0.5, 1), rng=rng)
    rough = fractal_noise((22, 32), PerlinSettings(8, 1, 0.5, 1), rng=rng)
    assert correlation_length(smooth) > correlation_length(rough)
    # calibration picks a lower frequency for the smooth map than for the rough one
    s_smooth, _ = calibrate_perlin(np.exp(smooth), sigma_cells=1.0)
    s_rough, _ = calibrate_perlin(np.exp(rough), sigma_cells=1.0)
    assert s_smooth.frequency < s_rough.frequency
    assert s_smooth.contrast == pytest.approx(1.0, rel=1e-6)
