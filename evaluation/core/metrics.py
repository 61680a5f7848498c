"""Full-reference image metrics of the metric card: PSNR and SSIM, full frame and by region.

Every score is computed on the image's own range and bit depth: 255 for 8-bit, 65535 for 16-bit,
or an explicit ``data_range`` for float images (which are refused without one, as scikit-image
does). Shapes and dtypes must match exactly: nothing is resized or converted to make them agree
(the checks, and the damage regions' dilation, are the shared ones of :mod:`imaging.arrays` and
:mod:`imaging.masks`).

The region scores ("inside the damage", "outside the damage") go beyond the paper: full-frame scores
hide damage that covers under 3% of a frame. ``masked_psnr`` is the PSNR of the pixels in a mask;
``masked_ssim`` is the mean of the SSIM map over the pixels in a mask (away from the border that
scikit-image also leaves out of its full-frame mean), so that an all-true mask gives ``ssim`` back.

References
----------
Wang, Bovik, Sheikh and Simoncelli, "Image quality assessment: from error visibility to structural
similarity", IEEE TIP 13(4), 2004.
"""

from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity

from imaging.arrays import MetricInputError, check_pair, infer_data_range
from imaging.masks import dilate_mask

__all__ = [
    "METRIC_CARD",
    "METRIC_CARD_VERSION",
    "MetricInputError",
    "card_version",
    "check_pair",
    "dilate_mask",
    "infer_data_range",
    "masked_psnr",
    "masked_ssim",
    "psnr",
    "region_mean",
    "ssim",
    "ssim_with_map",
]

METRIC_CARD_VERSION = "1.0"
"""Version of the metric card; every stored score records the version that produced it."""


def card_version() -> str:
    """The metric-card version scores are made with now (read at call time, so tests can change it)."""
    return METRIC_CARD_VERSION

SSIM_SIGMA = 1.5
SSIM_WIN_SIZE = 11  # what scikit-image derives from sigma 1.5: 2 * int(3.5 * 1.5 + 0.5) + 1
SSIM_BORDER = (SSIM_WIN_SIZE - 1) // 2

METRIC_CARD: dict[str, object] = {
    "version": METRIC_CARD_VERSION,
    "psnr": "10 log10(R^2 / MSE) over the full frame and all channels; R = 255 (uint8), "
    "65535 (uint16) or the given data_range for float images",
    "ssim": "Wang et al. 2004; skimage.metrics.structural_similarity(gaussian_weights=True, "
    "sigma=1.5, use_sample_covariance=False, data_range=R, channel_axis=-1): Gaussian window "
    "(11 taps), population covariance, per RGB channel and averaged",
    "lpips": "LPIPS v0.1, AlexNet trunk with the scaling layer, inputs mapped from [0, 1] to "
    "[-1, 1], spatial mean, no gradients; grey images replicated to 3 channels",
    "shapes": "reference and test must match exactly in shape and dtype; never resized",
    "regions": "psnr/ssim inside and outside the dilated ground-truth damage mask; the SSIM "
    f"region mean leaves out the {SSIM_BORDER}-px border as the full-frame mean does",
}


def _check_mask(mask: np.ndarray, image: np.ndarray) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise MetricInputError(f"mask must be boolean, got {mask.dtype}")
    if mask.shape != image.shape[:2]:
        raise MetricInputError(f"mask shape {mask.shape} does not match the image size {image.shape[:2]}")
    return mask


def psnr(reference: np.ndarray, test: np.ndarray, *, data_range: float | None = None) -> float:
    """Peak signal-to-noise ratio in dB over the full frame and all channels.

    Parameters
    ----------
    reference, test : ndarray
        Ground truth and restoration, same shape and dtype.
    data_range : float, optional
        R; inferred from uint8/uint16, required for floats.

    Returns
    -------
    float
        ``10 log10(R^2 / MSE)``; ``inf`` when the images are identical.
    """
    check_pair(reference, test)
    full = np.ones(reference.shape[:2], dtype=bool)
    return masked_psnr(reference, test, full, data_range=data_range)


def masked_psnr(
    reference: np.ndarray, test: np.ndarray, mask: np.ndarray, *, data_range: float | None = None
) -> float:
    """PSNR over the pixels where ``mask`` is true (all channels of those pixels).

    Returns ``nan`` for an empty mask (no pixels: undefined) and ``inf`` when the region is identical.
    """
    check_pair(reference, test)
    mask = _check_mask(mask, reference)
    value_range = infer_data_range(reference, data_range)
    count = int(mask.sum())
    if count == 0:
        return float("nan")
    squared = 0.0
    for row in range(0, reference.shape[0], 512):  # bands keep float64 copies small on 4K+ frames
        band = mask[row : row + 512]
        diff = reference[row : row + 512][band].astype(np.float64) - test[row : row + 512][band]
        squared += float(np.dot(diff.ravel(), diff.ravel()))
    channels = 1 if reference.ndim == 2 else reference.shape[2]
    mse = squared / (count * channels)
    if mse == 0.0:
        return float("inf")
    return float(10.0 * np.log10(value_range**2 / mse))


def _check_ssim_size(image: np.ndarray) -> None:
    if min(image.shape[:2]) < SSIM_WIN_SIZE:
        raise MetricInputError(
            f"SSIM needs images of at least {SSIM_WIN_SIZE} x {SSIM_WIN_SIZE} px, got {image.shape[:2]}"
        )


def ssim_with_map(
    reference: np.ndarray, test: np.ndarray, *, data_range: float | None = None
) -> tuple[float, np.ndarray]:
    """Full-frame SSIM per the metric card and its per-pixel map averaged over channels.

    Returns
    -------
    (float, ndarray)
        scikit-image's mean SSIM and the ``(H, W)`` float64 SSIM map (channel mean).
    """
    check_pair(reference, test)
    _check_ssim_size(reference)
    value_range = infer_data_range(reference, data_range)
    channel_axis = -1 if reference.ndim == 3 else None
    score, full_map = structural_similarity(
        reference,
        test,
        gaussian_weights=True,
        sigma=SSIM_SIGMA,
        use_sample_covariance=False,
        data_range=value_range,
        channel_axis=channel_axis,
        full=True,
    )
    if full_map.ndim == 3:
        full_map = full_map.mean(axis=2)
    return float(score), full_map


def ssim(reference: np.ndarray, test: np.ndarray, *, data_range: float | None = None) -> float:
    """Full-frame SSIM exactly as the metric card says (scikit-image, Gaussian sigma 1.5).

    Parameters
    ----------
    reference, test : ndarray
        Ground truth and restoration, same shape and dtype, at least 11 x 11 px.
    data_range : float, optional
        R; inferred from uint8/uint16, required for floats.
    """
    check_pair(reference, test)
    _check_ssim_size(reference)
    value_range = infer_data_range(reference, data_range)
    return float(
        structural_similarity(
            reference,
            test,
            gaussian_weights=True,
            sigma=SSIM_SIGMA,
            use_sample_covariance=False,
            data_range=value_range,
            channel_axis=-1 if reference.ndim == 3 else None,
        )
    )


def region_mean(ssim_map: np.ndarray, mask: np.ndarray) -> float:
    """Mean of an SSIM map over ``mask`` minus the border scikit-image leaves out; ``nan`` if empty."""
    mask = _check_mask(mask, ssim_map)
    b = SSIM_BORDER
    inner_map = ssim_map[b:-b, b:-b]
    inner_mask = mask[b:-b, b:-b]
    if not inner_mask.any():
        return float("nan")
    return float(inner_map[inner_mask].mean(dtype=np.float64))


def masked_ssim(
    reference: np.ndarray, test: np.ndarray, mask: np.ndarray, *, data_range: float | None = None
) -> float:
    """Mean of the card's SSIM map over the pixels where ``mask`` is true.

    The map is computed on the full frame (the window sees the neighbours of the region); the
    5-px border is left out as in the full-frame mean, so an all-true mask returns ``ssim``.
    Returns ``nan`` when no pixel of the mask lies inside that border.
    """
    _, full_map = ssim_with_map(reference, test, data_range=data_range)
    return region_mean(full_map, mask)
