"""Mask-driven inpainting that keeps bit depth, colour and (optionally) film grain.

Three methods fill the pixels of a damage mask and return every other pixel
bit-identical to the input:

* ``"telea"``: OpenCV's fast-marching method (Telea 2004);
* ``"ns"``: OpenCV's Navier-Stokes method (Bertalmio et al. 2001);
* ``"grain"``: Telea for the low frequencies, then synthetic grain matched to
  the undamaged pixels around the damage: its per-channel local standard
  deviation, its colour covariance and its spatial correlation (a Gaussian
  blur of white noise whose lag-1 autocorrelation matches the residual's).
  Seeded: same seed, same bytes.

OpenCV inpaints 8-bit images of 1 or 3 channels and 16-bit or float32 images
of one channel; other inputs are inpainted channel by channel (Telea and
Navier-Stokes treat channels independently, so the result is the same).

The image is processed in ``block x block`` pieces with ``margin`` pixels of
context; blocks without damage are skipped, so the cost follows the damage and
memory stays bounded on 8K scans.
"""
from __future__ import annotations

import cv2
import numpy as np

from imaging.progress import ProgressFn

METHODS = ("telea", "ns", "grain")
_CV_FLAGS = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}


class InpaintError(ValueError):
    """Raised for invalid inpainting inputs or parameters."""


def _cv_inpaint(img: np.ndarray, mask_u8: np.ndarray, flag: int, radius: float) -> np.ndarray:
    """cv2.inpaint for any channel count of uint8 / uint16 / float32 (H, W, C)."""
    if img.dtype == np.uint8 and img.shape[2] in (1, 3):
        out = cv2.inpaint(np.ascontiguousarray(img), mask_u8, radius, flag)
        return out.reshape(img.shape)
    planes = [cv2.inpaint(np.ascontiguousarray(img[..., c]), mask_u8, radius, flag)
              for c in range(img.shape[2])]
    return np.stack(planes, axis=-1)


def _blur(a: np.ndarray, sigma: float) -> np.ndarray:
    out = cv2.GaussianBlur(a, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT)
    return out.reshape(a.shape)


def _grain_sigma(resid: np.ndarray, valid: np.ndarray) -> float:
    """Blur sigma whose Gaussian-filtered white noise has the residual's lag-1 correlation."""
    both_x = valid[:, 1:] & valid[:, :-1]
    both_y = valid[1:, :] & valid[:-1, :]
    a = np.concatenate([resid[:, 1:][both_x].ravel(), resid[1:, :][both_y].ravel()])
    b = np.concatenate([resid[:, :-1][both_x].ravel(), resid[:-1, :][both_y].ravel()])
    if a.size < 16 or a.std() == 0 or b.std() == 0:
        return 0.0
    rho = float(np.corrcoef(a, b)[0, 1])
    if not np.isfinite(rho) or rho <= 0.05:
        return 0.0
    rho = min(rho, 0.95)
    # Gaussian-blurred white noise: rho(1) = exp(-1 / (4 sigma^2)).
    return float(min(2.0, np.sqrt(-1.0 / (4.0 * np.log(rho)))))


def _correlated_noise(shape: tuple[int, int, int], sigma: float, cov: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise of spatial blur ``sigma`` and channel covariance ``cov``."""
    white = rng.standard_normal(shape, dtype=np.float32)
    if sigma > 0:
        k = cv2.getGaussianKernel(int(2 * np.ceil(3 * sigma) + 1), sigma, cv2.CV_32F)
        white = cv2.sepFilter2D(white, -1, k, k, borderType=cv2.BORDER_REFLECT).reshape(shape)
        # A separable blur scales the variance by (sum k^2)^2: divide the std back out.
        white /= np.float32(np.sum(k.astype(np.float64) ** 2))
    chol = np.linalg.cholesky(cov + 1e-12 * np.eye(cov.shape[0]))
    return (white @ chol.T.astype(np.float32)).astype(np.float32)


def _grain_fill(img: np.ndarray, mask: np.ndarray, rng: np.random.Generator, *,
                radius: float, lf_sigma: float, stat_sigma: float) -> np.ndarray:
    """Low frequencies from Telea plus grain matched to the valid neighbourhood (float32)."""
    f = img.astype(np.float32)
    valid = ~mask
    vf = valid.astype(np.float32)
    den = np.maximum(_blur(vf, lf_sigma), 1e-6)[..., None]
    low_bg = _blur(f * vf[..., None], lf_sigma) / den
    resid = (f - low_bg) * vf[..., None]
    n_valid = int(valid.sum())
    if n_valid < 16:
        cov = np.zeros((f.shape[2], f.shape[2]), np.float64)
    else:
        cov = np.cov(resid[valid].T.astype(np.float64)).reshape(f.shape[2], f.shape[2])
    var_global = np.maximum(np.diag(cov), 1e-12).astype(np.float32)
    # Local variance by normalised convolution, shrunk towards the global one.
    prior = np.float32(0.05)
    local_var = (_blur(resid**2, stat_sigma) + prior * var_global) / (
        _blur(vf, stat_sigma)[..., None] + prior)
    scale = np.sqrt(local_var / var_global)
    sigma = _grain_sigma(resid.mean(axis=2), valid)
    noise = _correlated_noise(f.shape, sigma, cov, rng) * scale
    base = _cv_inpaint(img, mask.astype(np.uint8) * 255, cv2.INPAINT_TELEA, radius)
    low = _blur(base.astype(np.float32), lf_sigma)
    return low + noise


def _to_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype)


def _validate(image: np.ndarray, mask: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype not in (np.uint8, np.uint16, np.float32):
        got = getattr(image, "dtype", type(image).__name__)
        raise InpaintError(f"image must be a uint8, uint16 or float32 array, got {got}")
    if image.ndim not in (2, 3) or image.size == 0:
        raise InpaintError(f"image must be a non-empty (H, W) or (H, W, C) array, got {image.shape}")
    if not isinstance(mask, np.ndarray) or mask.shape != image.shape[:2]:
        raise InpaintError(f"mask must be an (H, W) array of shape {image.shape[:2]}, "
                           f"got {getattr(mask, 'shape', None)}")


def inpaint(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    method: str = "telea",
    radius: float = 3.0,
    block: int = 512,
    margin: int = 32,
    seed: int = 0,
    lf_sigma: float = 2.0,
    stat_sigma: float = 8.0,
    progress: ProgressFn | None = None,
) -> np.ndarray:
    """Fill the masked pixels of ``image``; all other pixels are returned bit-identical.

    Parameters
    ----------
    image : ndarray, uint8 / uint16 / float32, (H, W) or (H, W, C)
    mask : ndarray, (H, W)
        Non-zero (True) where the image is damaged and must be filled.
    method : {"telea", "ns", "grain"}
    radius : float
        OpenCV's ``inpaintRadius``: the neighbourhood each filled pixel draws on.
    block, margin : int
        Processing block side and the context around it.
    seed : int
        Seed of the grain noise (``"grain"`` only); blocks draw from
        ``default_rng([seed, block_row, block_col])``.
    lf_sigma, stat_sigma : float
        Gaussian scales of the low frequencies kept from Telea and of the local
        grain statistics (``"grain"`` only).
    progress : callable, optional
        ``progress(done, total)`` over the damaged blocks.

    Returns
    -------
    ndarray
        Same shape and dtype as ``image``.
    """
    _validate(image, mask)
    if method not in METHODS:
        raise InpaintError(f"method {method!r} is unknown; use one of {METHODS}")
    if block < 8 or margin < 0:
        raise InpaintError(f"block must be at least 8 and margin non-negative, got {block}, {margin}")
    damaged = mask.astype(bool)
    planes = image[..., None] if image.ndim == 2 else image
    out = planes.copy()
    h, w = damaged.shape
    todo = [(by, bx) for by in range(0, h, block) for bx in range(0, w, block)
            if damaged[by: by + block, bx: bx + block].any()]
    for i, (by, bx) in enumerate(todo):
        y0, x0 = max(0, by - margin), max(0, bx - margin)
        y1, x1 = min(h, by + block + margin), min(w, bx + block + margin)
        crop, cmask = planes[y0:y1, x0:x1], damaged[y0:y1, x0:x1]
        if method == "grain":
            rng = np.random.default_rng([seed, by // block, bx // block])
            filled = _to_dtype(_grain_fill(crop, cmask, rng, radius=radius, lf_sigma=lf_sigma,
                                           stat_sigma=stat_sigma), image.dtype)
        else:
            filled = _cv_inpaint(crop, cmask.astype(np.uint8) * 255, _CV_FLAGS[method], radius)
        core = (slice(by - y0, by - y0 + min(block, h - by)), slice(bx - x0, bx - x0 + min(block, w - bx)))
        dst = out[by: by + block, bx: bx + block]
        m = cmask[core]
        dst[m] = filled[core][m]
        if progress is not None:
            progress(i + 1, len(todo))
    return out[..., 0] if image.ndim == 2 else out
