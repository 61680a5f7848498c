"""Exact overlapping-tile inference for networks made for small inputs.

The image is cut into ``tile x tile`` windows with a fractional ``overlap``
(Section 5.2 of the paper: 256 x 256, 50%), each window is passed through a
function (usually a network), and the predictions are stitched back with a
smooth blending window, normalised by the accumulated weight::

    output = sum_t w_t * pred_t / sum_t w_t

so that an identity function gives the input back up to float rounding,
including at the borders. The last window of a row or column is shifted so
that it ends on the border (no padding is needed unless the image is smaller
than one tile, in which case it is reflect-padded and cropped back).

Like MONAI's sliding-window inferer, the work is split into a splitter
(:func:`tile_grid`), the call of the function on batches of windows on
``device``, and a merger whose accumulators live on ``output_device``. Tiles
are taken one row band at a time, and the accumulators cover one band only,
so memory beyond the input and output images is ``O(tile * width)``.

Skipped tiles (``skip(tile) -> True``) are not passed to the function: their
input pixels stand in for the prediction, and pixels covered by skipped tiles
only are copied through bit-exact.

References
----------
.. [1] Pielawski, N. and Wahlby, C. (2020). Introducing Hann windows for
   reducing edge-effects in patch-based image segmentation. PLoS ONE 15(3).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from imaging.progress import ProgressFn

TileFn = Callable[[torch.Tensor], torch.Tensor]

WINDOW_KINDS = ("hann", "spline", "constant")


class TilingError(ValueError):
    """Raised for invalid tiling parameters or inputs."""


@dataclass(frozen=True)
class Tile:
    """One window of the grid: its row/column index and its pixel extent."""

    row: int
    col: int
    y0: int
    x0: int
    size: int

    @property
    def slices(self) -> tuple[slice, slice]:
        """``(rows, cols)`` slices selecting the window in the (padded) image."""
        return slice(self.y0, self.y0 + self.size), slice(self.x0, self.x0 + self.size)


def _starts(length: int, tile: int, stride: int) -> list[int]:
    """Window starts along one axis; the last one is shifted to end on the border."""
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile + 1, stride))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return starts


def _check_tiling(tile: int, overlap: float) -> int:
    if not isinstance(tile, (int, np.integer)) or tile < 1:
        raise TilingError(f"tile must be a positive integer, got {tile!r}")
    if not 0.0 <= overlap < 1.0:
        raise TilingError(f"overlap must be in [0, 1), got {overlap!r}")
    return max(1, int(round(tile * (1.0 - overlap))))


def tile_grid(h: int, w: int, *, tile: int = 256, overlap: float = 0.5) -> list[Tile]:
    """The windows covering an ``h x w`` image, row-major.

    Parameters
    ----------
    h, w : int
        Image height and width (at least ``tile`` each; smaller images are
        padded by :func:`run_tiled` before the grid is made).
    tile : int
        Side of the square windows.
    overlap : float
        Fraction of a window shared with its neighbour, in ``[0, 1)``;
        the stride is ``round(tile * (1 - overlap))``.

    Returns
    -------
    list of Tile
        Every pixel is covered; the last row and column are shifted inwards.
    """
    stride = _check_tiling(tile, overlap)
    if h < tile or w < tile:
        raise TilingError(f"image {h}x{w} is smaller than one {tile}x{tile} tile; pad it first")
    ys, xs = _starts(h, tile, stride), _starts(w, tile, stride)
    return [Tile(r, c, y, x, tile) for r, y in enumerate(ys) for c, x in enumerate(xs)]


def blend_window(tile: int, *, kind: str = "hann") -> np.ndarray:
    """A 2-D blending window of shape ``(tile, tile)``, float32, strictly positive.

    ``"hann"`` samples the Hann window half a pixel off its zeros,
    ``sin^2(pi (i + 0.5) / tile)``: it never vanishes (so every border pixel keeps
    a weight) and, at 50% overlap, shifted copies sum to one. ``"spline"`` is the
    squared spline of Chevalier's Smoothly-Blend-Image-Patches, ``"constant"`` a
    plain average.
    """
    if tile < 1:
        raise TilingError(f"tile must be positive, got {tile}")
    t = (np.arange(tile, dtype=np.float64) + 0.5) / tile
    if kind == "hann":
        w1 = np.sin(np.pi * t) ** 2
    elif kind == "spline":
        d = np.abs(2.0 * t - 1.0)  # 0 at the centre, 1 at the edges
        w1 = np.where(d <= 0.5, 1.0 - 2.0 * d**2, 2.0 * (1.0 - d) ** 2)
        w1 = np.maximum(w1, 1e-6)
    elif kind == "constant":
        w1 = np.ones(tile)
    else:
        raise TilingError(f"window kind {kind!r} is unknown; use one of {WINDOW_KINDS}")
    return np.outer(w1, w1).astype(np.float32)


def _prepare(image: np.ndarray | torch.Tensor, tile: int, scale: float | None
             ) -> tuple[np.ndarray, int, int, bool, float]:
    """Validate; return the (H', W', C) array reflect-padded to >= tile, H, W, 2-D flag, scale."""
    arr = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    if arr.ndim not in (2, 3) or arr.shape[0] < 1 or arr.shape[1] < 1 or arr.size == 0:
        raise TilingError(f"image must be a non-empty (H, W) or (H, W, C) array, got {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating):
        scale = 1.0 if scale is None else float(scale)
    elif np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        if scale is None:
            raise TilingError(f"an integer image ({arr.dtype}) needs scale= (e.g. 255 or 65535)")
        scale = float(scale)
    else:
        raise TilingError(f"image must be an integer or float array, got {arr.dtype}")
    if not scale > 0:
        raise TilingError(f"scale must be positive, got {scale}")
    was_2d = arr.ndim == 2
    arr = arr[..., None] if was_2d else arr
    h, w = arr.shape[:2]
    ph, pw = max(0, tile - h), max(0, tile - w)
    if ph or pw:  # numpy's reflect repeats the reflection as far as needed
        arr = np.pad(arr, ((0, ph), (0, pw), (0, 0)), mode="reflect")
    return arr, h, w, was_2d, scale


def _rows_as_float(arr: np.ndarray, y0: int, y1: int, scale: float) -> torch.Tensor:
    """Rows ``[y0, y1)`` of an (H, W, C) array as a (C, rows, W) float32 tensor divided by scale."""
    rows = torch.from_numpy(np.ascontiguousarray(arr[y0:y1]).astype(np.float32, copy=False))
    if scale != 1.0:
        rows = rows / scale
    return rows.permute(2, 0, 1)


@dataclass
class _Band:
    """Accumulators for the rows ``[y0, y0 + tile)`` of the output."""

    num: torch.Tensor  # (C_out, tile, W): sum of w * prediction over processed tiles
    w_proc: torch.Tensor  # (tile, W): sum of w over processed tiles
    w_all: torch.Tensor  # (tile, W): sum of w over all tiles
    y0: int = 0


def _finalise_rows(band: _Band, image: torch.Tensor | None, out: torch.Tensor, y_end: int) -> None:
    """Write output rows ``[band.y0, y_end)`` and shift the band down to ``y_end``.

    ``image`` holds the input rows ``[band.y0, y_end)`` (as many channels as the
    output) when tiles may have been skipped, else None.
    """
    n = y_end - band.y0
    if n <= 0:
        return
    w_proc, w_all = band.w_proc[:n], band.w_all[:n]
    if image is None:
        out[:, band.y0:y_end] = band.num[:, :n] / w_all
    else:
        src = image[:, : n].to(out.device)
        blended = (band.num[:, :n] + (w_all - w_proc) * src) / w_all
        out[:, band.y0:y_end] = torch.where(w_proc > 0, blended, src)
    for acc in (band.num[:, :], band.w_proc, band.w_all):
        rows = acc.shape[-2]
        acc[..., : rows - n, :] = acc[..., n:, :].clone()
        acc[..., rows - n:, :] = 0
    band.y0 = y_end


def _batches(items: list[Tile], size: int) -> Iterator[list[Tile]]:
    for i in range(0, len(items), size):
        yield items[i: i + size]


def run_tiled(
    image: np.ndarray | torch.Tensor,
    fn: TileFn,
    *,
    tile: int = 256,
    overlap: float = 0.5,
    window: str = "hann",
    batch_size: int = 8,
    scale: float | None = None,
    skip: Callable[[Tile], bool] | None = None,
    out_channels: int | None = None,
    device: str | torch.device = "cpu",
    output_device: str | torch.device = "cpu",
    progress: ProgressFn | None = None,
) -> np.ndarray:
    """Apply ``fn`` to overlapping tiles of ``image`` and blend the predictions.

    Parameters
    ----------
    image : ndarray or Tensor, (H, W) or (H, W, C)
        Any size, including smaller than a tile (it is reflect-padded, then
        cropped back). Float images are used as they are (as float32); integer
        images are divided by ``scale`` one band at a time, so no float copy of
        the whole input is made.
    fn : callable
        Maps a ``(N, C, tile, tile)`` float32 batch on ``device`` to a
        ``(N, C_out, tile, tile)`` batch. Called without gradients.
    tile, overlap, window
        Grid and blending (see :func:`tile_grid`, :func:`blend_window`).
    batch_size : int
        Windows per call of ``fn``.
    scale : float, optional
        Divisor applied to the input (required for integer images, e.g. 65535).
    skip : callable, optional
        ``skip(tile) -> bool``; a skipped tile is not passed to ``fn`` and its
        input stands in for the prediction (needs ``C_out == C``). Pixels covered
        by skipped tiles only are returned bit-exact (``input / scale`` in float32).
        Tile coordinates refer to the padded image when the image is smaller than a tile.
    out_channels : int, optional
        ``C_out``; defaults to ``C``.
    device, output_device
        Where ``fn`` runs, and where the float32 accumulators live.
    progress : callable, optional
        ``progress(done, total)`` as tiles are processed or skipped.

    Returns
    -------
    ndarray, float32
        ``(H, W)`` if the input was 2-D and ``C_out == 1``, else ``(H, W, C_out)``.
    """
    if batch_size < 1:
        raise TilingError(f"batch_size must be at least 1, got {batch_size}")
    arr, h, w, was_2d, scale = _prepare(image, tile, scale)
    ph, pw, c = arr.shape
    c_out = c if out_channels is None else int(out_channels)
    if skip is not None and c_out != c:
        raise TilingError(f"skipping needs as many output channels as input ({c}), got {c_out}")
    tiles = tile_grid(ph, pw, tile=tile, overlap=overlap)
    win = torch.from_numpy(blend_window(tile, kind=window)).to(output_device)
    out = torch.empty((c_out, ph, pw), dtype=torch.float32, device=output_device)
    band = _Band(
        num=torch.zeros((c_out, tile, pw), dtype=torch.float32, device=output_device),
        w_proc=torch.zeros((tile, pw), dtype=torch.float32, device=output_device),
        w_all=torch.zeros((tile, pw), dtype=torch.float32, device=output_device),
    )

    def passthrough(y_end: int) -> torch.Tensor | None:
        return _rows_as_float(arr, band.y0, y_end, scale) if skip is not None else None

    done, total = 0, len(tiles)
    with torch.no_grad():
        for y0 in sorted({t.y0 for t in tiles}):
            _finalise_rows(band, passthrough(y0), out, y0)
            row_tiles = [t for t in tiles if t.y0 == y0]
            for t in row_tiles:
                band.w_all[:, t.x0: t.x0 + tile] += win
            work = [t for t in row_tiles if skip is None or not skip(t)]
            rows = _rows_as_float(arr, y0, y0 + tile, scale) if work else None
            for batch in _batches(work, batch_size):
                x = torch.stack([rows[:, :, t.x0: t.x0 + tile] for t in batch])
                pred = fn(x.to(device))
                if tuple(pred.shape) != (len(batch), c_out, tile, tile):
                    raise TilingError(f"fn returned shape {tuple(pred.shape)}, expected "
                                      f"{(len(batch), c_out, tile, tile)}")
                pred = pred.to(output_device, torch.float32)
                for t, p in zip(batch, pred):
                    band.num[:, :, t.x0: t.x0 + tile] += p * win
                    band.w_proc[:, t.x0: t.x0 + tile] += win
                done += len(batch)
                if progress is not None:
                    progress(done, total)
            if len(work) < len(row_tiles):
                done += len(row_tiles) - len(work)
                if progress is not None:
                    progress(done, total)
        _finalise_rows(band, passthrough(ph), out, ph)
    result = out[:, :h, :w].permute(1, 2, 0).cpu().numpy()
    return result[..., 0] if was_2d and c_out == 1 else result
