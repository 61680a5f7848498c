"""The tiler is exact: identity stitches back, skipped tiles pass through bit-exact."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from restoration.core.tiler import Tile, TilingError, blend_window, run_tiled, tile_grid

torch.set_num_threads(2)


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x.clone()


@pytest.mark.parametrize("shape", [(300, 517), (256, 256), (1, 1), (5, 300), (300, 517, 3),
                                   (257, 255, 3), (40, 30, 3), (1000, 130)])
def test_identity_network_stitches_back_within_1e6(shape):
    # given: any image, including smaller than a tile and odd sizes
    image = np.random.default_rng(0).random(shape, dtype=np.float32)
    # when
    out = run_tiled(image, _identity, tile=256, overlap=0.5, batch_size=3)
    # then: every pixel, borders included
    assert out.shape == image.shape and out.dtype == np.float32
    assert np.abs(out - image).max() <= 1e-6


@pytest.mark.parametrize("window", ["hann", "spline", "constant"])
def test_identity_holds_for_every_window_and_small_tiles(window):
    image = np.random.default_rng(1).random((70, 45, 3), dtype=np.float32)
    out = run_tiled(image, _identity, tile=16, overlap=0.5, window=window)
    assert np.abs(out - image).max() <= 1e-6


def test_uint16_range_round_trips_bit_exact():
    # given: full 16-bit range, scaled by the tiler band by band
    image = np.random.default_rng(2).integers(0, 65536, (300, 517, 3), dtype=np.uint16)
    image[0, 0], image[-1, -1] = 0, 65535
    # when
    out = run_tiled(image, _identity, scale=65535)
    # then: within 1e-6 on [0, 1], and back to the same integers
    assert np.abs(out - image / 65535.0).max() <= 1e-6
    assert np.array_equal(np.rint(out * 65535).astype(np.uint16), image)


def test_integer_image_without_scale_is_refused():
    with pytest.raises(TilingError, match="scale"):
        run_tiled(np.zeros((10, 10), np.uint8), _identity)


def test_skipped_tiles_pass_through_bit_exact_and_are_not_computed():
    # given: a function that would change everything, and half the tiles skipped
    image = np.random.default_rng(3).random((384, 640, 3), dtype=np.float32)
    seen: list[tuple[int, int]] = []

    def shift(x: torch.Tensor) -> torch.Tensor:
        return x + 1.0

    def skip(t: Tile) -> bool:
        return t.row >= 1  # only the first row of tiles (rows 0-255) is processed

    def counting(x):
        seen.append(tuple(x.shape))
        return shift(x)

    # when
    out = run_tiled(image, counting, tile=256, overlap=0.5, skip=skip)
    # then: rows 256+ are covered by skipped tiles only: bit-exact; rows 0-127 only by row 0: +1
    assert np.array_equal(out[256:], image[256:])
    assert np.abs(out[:128] - (image[:128] + 1)).max() <= 1e-6
    grid = tile_grid(384, 640, tile=256, overlap=0.5)
    assert sum(s[0] for s in seen) == sum(t.row == 0 for t in grid)


def test_skip_everything_returns_the_input_bit_exact():
    image = np.random.default_rng(4).random((300, 517), dtype=np.float32)
    out = run_tiled(image, lambda x: x * 0, skip=lambda t: True)
    assert np.array_equal(out, image)


def test_fewer_output_channels_and_progress():
    # given: a grey-making function; progress counts all tiles
    image = np.random.default_rng(5).random((300, 517, 3), dtype=np.float32)
    calls = []
    out = run_tiled(image, lambda x: x.mean(dim=1, keepdim=True), out_channels=1,
                    progress=lambda d, t: calls.append((d, t)))
    assert out.shape == (300, 517, 1)
    assert np.abs(out[..., 0] - image.mean(axis=2)).max() <= 1e-6
    n = len(tile_grid(300, 517))
    assert calls[-1] == (n, n)


def test_tile_grid_covers_every_pixel_with_shifted_last_tile():
    # hand-derived: 517 wide, stride 128 -> starts 0, 128, 256, then 261 (517 - 256)
    grid = tile_grid(300, 517, tile=256, overlap=0.5)
    assert sorted({t.x0 for t in grid}) == [0, 128, 256, 261]
    assert sorted({t.y0 for t in grid}) == [0, 44]
    cover = np.zeros((300, 517), int)
    for t in grid:
        cover[t.slices] += 1
    assert cover.min() >= 1


def test_hann_window_is_positive_and_a_partition_of_unity_at_half_overlap():
    w = blend_window(8, kind="hann")
    assert w.min() > 0
    one_d = np.sqrt(np.diag(w))
    # sin^2 + cos^2 = 1: a window plus its half-shifted copy sums to one
    assert np.allclose(one_d[:4] + one_d[4:], 1.0, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{"tile": 0}, {"overlap": 1.0}, {"overlap": -0.1}])
def test_bad_grid_parameters_are_refused(kwargs):
    with pytest.raises(TilingError):
        tile_grid(300, 300, **{"tile": 256, "overlap": 0.5, **kwargs})


def test_wrong_output_shape_is_refused():
    with pytest.raises(TilingError, match="fn returned shape"):
        run_tiled(np.zeros((300, 300), np.float32), lambda x: x[..., :10, :10])
