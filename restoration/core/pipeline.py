"""Restoration pipelines over whole scans: detect then inpaint, or restore directly.

* :func:`detect_damage`: segmentation U-Net probabilities over 256 x 256 tiles
  with 50% overlap and Hann blending, thresholded and dilated into a mask.
* :func:`restore_masked`: inpaint the masked pixels only (blocks without damage
  are skipped); pixels outside the mask come back bit-identical.
* :func:`restore_direct`: a restoration network over all tiles (blind), keeping
  the input bit-exact wherever the network changed a pixel by less than a
  tolerance, so grain survives away from the damage.
* :func:`inpaint_torchscript`: a TorchScript inpainter called as
  ``module(image, mask)`` (LaMa's export), on tiles that hold damage.

Images are uint8 or uint16 (any bit depth is kept), (H, W) grey, (H, W, 3) RGB
or (H, W, 4) RGBA (alpha passes through); networks see floats in ``[0, 1]``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from imaging.masks import dilate_mask
from imaging.progress import ProgressFn

from .inpaint import inpaint
from .tiler import Tile, run_tiled
from .unet import UNet


class RestorationError(ValueError):
    """Raised for images or parameters that a restoration pipeline cannot take."""


@dataclass(frozen=True)
class DamageMap:
    """Per-pixel damage probability (float32, H x W) and the dilated binary mask.

    ``polarity`` is the film polarity the detection assumed (decided when asked for
    ``auto``), ``flagged`` the share of pixels above the threshold under each polarity
    tried (at the detector's scale), ``factor`` the resampling to the detector's scale.
    """

    probability: np.ndarray
    mask: np.ndarray
    polarity: str = "negative"
    flagged: dict[str, float] = field(default_factory=dict)
    factor: float = 1.0


def value_scale(image: np.ndarray) -> float:
    """The full-scale value of an image's dtype (255 or 65535); refuses anything else."""
    if not isinstance(image, np.ndarray) or image.dtype not in (np.uint8, np.uint16):
        got = getattr(image, "dtype", type(image).__name__)
        raise RestorationError(f"image must be a uint8 or uint16 array, got {got}")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (1, 3, 4)):
        if image.shape[0] > 0 and image.shape[1] > 0:
            return float(np.iinfo(image.dtype).max)
    raise RestorationError(f"image must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {image.shape}")


def _colour(image: np.ndarray) -> np.ndarray:
    """The colour planes an image's networks see: (H, W) or (H, W, 3) (alpha dropped)."""
    if image.ndim == 3 and image.shape[2] == 4:
        return image[..., :3]
    if image.ndim == 3 and image.shape[2] == 1:
        return image[..., 0]
    return image


def _with_channels(fn: Callable[[torch.Tensor], torch.Tensor], c_img: int, c_net: int,
                   ) -> Callable[[torch.Tensor], torch.Tensor]:
    """Adapt a grey image to a 3-channel network (repeat in, average out) and back."""
    if c_img == c_net:
        return fn
    if c_img == 1 and c_net == 3:
        def grey(x: torch.Tensor) -> torch.Tensor:
            y = fn(x.expand(-1, 3, -1, -1))
            return y.mean(dim=1, keepdim=True) if y.shape[1] == 3 else y
        return grey
    raise RestorationError(f"a network for {c_net} channels cannot take a {c_img}-channel image")


#: Film polarities a detector can be told; ``auto`` decides from the image.
POLARITIES = ("negative", "positive", "auto")
#: The long edge of a 35 mm frame, in mm (the default scale of a scan: its long side spans it).
FRAME_LONG_MM = 35.0


def frame_px_per_mm(shape: tuple[int, ...], frame_long_mm: float = FRAME_LONG_MM) -> float:
    """The scale of a scan of a whole frame: its long side over the frame's long edge."""
    return max(shape[0], shape[1]) / float(frame_long_mm)


#: The most a scan is enlarged to reach a detector's canonical scale: a web-sized 35 mm frame (30 px/mm) seen
#: at 141 px/mm is 4.7 times; smaller pictures (thumbnails, crops taken for whole frames) are not enlarged
#: further, which would cost the square of the factor in time for detail the picture does not hold.
MAX_UPSCALE = 5.0


def detect_damage(
    image: np.ndarray,
    model: UNet,
    *,
    threshold: float = 0.5,
    dilate: int = 2,
    tile: int = 256,
    overlap: float = 0.5,
    batch_size: int = 8,
    device: str | torch.device = "cpu",
    progress: ProgressFn | None = None,
    polarity: str = "negative",
    px_per_mm: float | None = None,
) -> DamageMap:
    """Damage probability of every pixel by a segmentation U-Net, and the dilated mask.

    The sigmoid probabilities of overlapping tiles are blended with a Hann
    window; ``mask = dilate(probability > threshold, dilate)``.

    A detector with a canonical scale (``model.config.canonical_px_per_mm``) sees the
    scan resampled to that scale (``px_per_mm``: the scan's own, default a whole
    35 mm frame, :func:`frame_px_per_mm`), enlarged at most :data:`MAX_UPSCALE` times; its
    probabilities are brought back to the scan's size, and ``dilate`` is in canonical pixels. A light-damage detector
    (``model.config.light_damage``) sees positive film inverted; ``polarity="auto"``
    runs both and keeps the polarity under which the detector finds more damage
    (:attr:`DamageMap.polarity` says which, :attr:`DamageMap.flagged` both shares).
    """
    scale = value_scale(image)
    if not 0.0 < threshold < 1.0:
        raise RestorationError(f"threshold must be in (0, 1), got {threshold}")
    if model.config.task != "segmentation" or model.config.out_channels != 1:
        raise RestorationError("detect_damage needs a segmentation U-Net with one output channel")
    if polarity not in POLARITIES:
        raise RestorationError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    if px_per_mm is not None and not px_per_mm > 0:
        raise RestorationError(f"px_per_mm must be positive, got {px_per_mm!r}")
    cfg = model.config
    colour = _colour(image)
    c_img = 1 if colour.ndim == 2 else colour.shape[2]
    model = model.to(device).eval()
    fn = _with_channels(lambda x: torch.sigmoid(model(x)), c_img, cfg.in_channels)
    h, w = image.shape[:2]
    factor = 1.0
    if cfg.canonical_px_per_mm:
        native = px_per_mm or frame_px_per_mm(image.shape)
        factor = min(cfg.canonical_px_per_mm / native, MAX_UPSCALE)
    seen = colour
    if abs(factor - 1.0) > 1e-6:
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        seen = cv2.resize(colour, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    if not cfg.light_damage:
        tried = ["negative" if polarity == "auto" else polarity]
    else:
        tried = ["negative", "positive"] if polarity == "auto" else [polarity]
    probs: dict[str, np.ndarray] = {}
    for k, pol in enumerate(tried):
        view = seen if not (cfg.light_damage and pol == "positive") else np.asarray(scale, seen.dtype) - seen
        part = None if progress is None else (lambda d, t, k=k: progress(k * t + d, len(tried) * t))
        probs[pol] = run_tiled(view, fn, tile=tile, overlap=overlap, batch_size=batch_size, scale=scale,
                               out_channels=1, device=device, progress=part).reshape(seen.shape[:2])
    flagged = {pol: float((p > threshold).mean()) for pol, p in probs.items()}
    chosen = max(flagged, key=lambda pol: (flagged[pol], pol == "negative"))
    prob = probs[chosen]
    if prob.shape != (h, w):
        prob = cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
    radius = round(dilate / factor) if factor < 1 else dilate
    return DamageMap(prob, dilate_mask(prob > threshold, radius, disk="ellipse"), chosen, flagged, factor)


def restore_masked(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    method: str = "grain",
    seed: int = 0,
    progress: ProgressFn | None = None,
) -> np.ndarray:
    """Inpaint the pixels of ``mask`` (colour planes only); all others come back bit-identical."""
    value_scale(image)
    colour = _colour(image)
    filled = inpaint(colour, mask, method=method, seed=seed, progress=progress)
    return _put_colour(image, filled)


def _put_colour(image: np.ndarray, colour: np.ndarray) -> np.ndarray:
    out = image.copy()
    if image.ndim == 3 and image.shape[2] == 4:
        out[..., :3] = colour
    else:
        out[...] = colour.reshape(image.shape)
    return out


def restore_direct(
    image: np.ndarray,
    model: UNet,
    *,
    change_threshold: float = 2.0 / 255.0,
    dilate: int = 1,
    tile: int = 256,
    overlap: float = 0.5,
    batch_size: int = 8,
    device: str | torch.device = "cpu",
    progress: ProgressFn | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Blind restoration by a residual U-Net over all tiles.

    Pixels where the network moved any channel by more than ``change_threshold``
    (in ``[0, 1]`` units), dilated by ``dilate``, form the mask and take the
    network's values; every other pixel is kept bit-exact (set
    ``change_threshold=0`` to take the network output nearly everywhere).

    Returns
    -------
    restored : ndarray, same dtype and shape as ``image``
    mask : ndarray, bool, (H, W)
    """
    scale = value_scale(image)
    if model.config.task != "restoration":
        raise RestorationError("restore_direct needs a restoration U-Net")
    colour = _colour(image)
    c_img = 1 if colour.ndim == 2 else colour.shape[2]
    model = model.to(device).eval()
    fn = _with_channels(lambda x: model(x), c_img, model.config.in_channels)
    pred = run_tiled(colour, fn, tile=tile, overlap=overlap, batch_size=batch_size, scale=scale,
                     out_channels=c_img, device=device, progress=progress)
    pred = pred.reshape(colour.shape)
    changed = np.zeros(colour.shape[:2], bool)
    for y in range(0, colour.shape[0], 512):  # in bands: no full-size float temporaries
        src = colour[y: y + 512].astype(np.float32) / np.float32(scale)
        change = np.abs(pred[y: y + 512] - src)
        changed[y: y + 512] = (change.max(axis=2) if change.ndim == 3 else change) > change_threshold
    mask = dilate_mask(changed, dilate, disk="ellipse")
    out = image.copy()
    planes = out[..., :3] if out.ndim == 3 and out.shape[2] == 4 else out.reshape(colour.shape)
    new = np.clip(np.rint(pred[mask] * scale), 0, scale).astype(image.dtype)
    planes[mask] = new
    return out, mask


def inpaint_torchscript(
    image: np.ndarray,
    mask: np.ndarray,
    module: torch.nn.Module,
    *,
    tile: int = 512,
    overlap: float = 0.5,
    multiple: int = 8,
    device: str | torch.device = "cpu",
    progress: ProgressFn | None = None,
) -> np.ndarray:
    """Inpaint with a TorchScript module called as ``module(image, mask)`` (LaMa's export).

    The module takes ``(N, 3, H, W)`` images in ``[0, 1]`` and ``(N, 1, H, W)``
    masks in ``{0, 1}`` with sides multiples of ``multiple`` and returns
    ``(N, 3, H, W)`` in ``[0, 1]``. It runs on ``tile`` x ``tile`` windows that
    hold damage (others are skipped), so memory stays bounded; pixels outside
    the mask come back bit-identical.
    """
    scale = value_scale(image)
    if tile % multiple:
        raise RestorationError(f"tile {tile} must be a multiple of {multiple}")
    colour = _colour(image)
    c_img = 1 if colour.ndim == 2 else colour.shape[2]
    m = mask.astype(bool)
    if not m.any():
        return image.copy()
    stacked = np.concatenate([colour.reshape(*colour.shape[:2], c_img), m[..., None].astype(colour.dtype)
                              * np.array(scale, colour.dtype)], axis=2)
    padded_mask = _pad_like_tiler(m, tile)

    def undamaged(t: Tile) -> bool:
        return not padded_mask[t.slices].any()

    def fn(x: torch.Tensor) -> torch.Tensor:
        img, msk = x[:, :c_img], (x[:, c_img:] > 0.5).float()
        img3 = img.expand(-1, 3, -1, -1) if c_img == 1 else img
        out = module(img3, msk).clamp(0.0, 1.0).float()
        out = out.mean(dim=1, keepdim=True) if c_img == 1 else out
        return torch.cat([img * (1 - msk) + out * msk, x[:, c_img:]], dim=1)

    pred = run_tiled(stacked, fn, tile=tile, overlap=overlap, batch_size=1, scale=scale,
                     skip=undamaged, device=device, progress=progress)[..., :c_img]
    new = np.clip(np.rint(pred * scale), 0, scale).astype(image.dtype).reshape(colour.shape)
    keep = m if colour.ndim == 2 else m[..., None]
    return _put_colour(image, np.where(keep, new, colour))


def _pad_like_tiler(mask: np.ndarray, tile: int) -> np.ndarray:
    h, w = mask.shape
    ph, pw = max(0, tile - h), max(0, tile - w)
    return np.pad(mask, ((0, ph), (0, pw)), mode="reflect") if ph or pw else mask
