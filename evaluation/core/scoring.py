"""Score restorations against expert ground truth: one pair (``score_arrays``) or three folders.

``score_folders`` produces what ``score_restorations --json`` prints::

    {"images": [{"name": N, "psnr": X, "ssim": X, "lpips": X,
                 "psnr_damage": X, "psnr_clean": X, "ssim_damage": X, "ssim_clean": X,
                 "damage_fraction": X}, ...],
     "mean": {...}, "std": {...},
     "metric_card": {"version": "1.0", "damage_threshold": T, "dilation": R}}

The damage fields appear only when the damaged inputs are given: the ground-truth damage is
``groundtruth_mask(damaged, ground_truth, threshold=damage_threshold)`` dilated by ``dilation`` px;
"damage" scores are inside it and "clean" scores outside. Images are matched by file stem.

Values can be non-finite: PSNR of identical regions is ``inf``; a region with no pixels (no damage
in a frame) gives ``nan``. ``mean`` and ``std`` (population, ddof 0) are over the images where a
value is defined (not ``nan``); equal values (``inf`` included) have std 0, and a mix of ``inf`` and
finite values has mean ``inf`` and std ``nan``; ``report_to_json`` writes strict JSON with non-finite values as null.

A do-nothing baseline row scores the damaged inputs as if they were restorations:
``score_do_nothing`` / ``score_folders(gt, damaged, damaged)``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from imaging.files import list_images
from imaging.io import DEFAULT_MAX_PIXELS, IMAGE_SUFFIXES, ImageError, read_image
from imaging.lpips import lpips_distance
from imaging.progress import ProgressFn

from .masks import summarise_sweeps
from .metrics import (
    METRIC_CARD_VERSION,
    MetricInputError,
    check_pair,
    dilate_mask,
    masked_psnr,
    psnr,
    region_mean,
    ssim_with_map,
)
from .segmentation import groundtruth_mask

__all__ = [
    "DEFAULT_DAMAGE_THRESHOLD",
    "DEFAULT_DILATION",
    "ScoringError",
    "report_to_json",
    "score_arrays",
    "score_do_nothing",
    "score_folders",
    "submission_summary",
    "summarise",
]

DEFAULT_DAMAGE_THRESHOLD = 0.02  # about 5 grey levels of 255 on the normalised difference
DEFAULT_DILATION = 3  # px around the ground-truth damage counted as damage

class ScoringError(ValueError):
    """Raised when folders do not pair up or an image cannot be scored; names the file."""


def score_arrays(
    ground_truth: np.ndarray,
    restored: np.ndarray,
    damaged: np.ndarray | None = None,
    *,
    lpips_device: str = "cpu",
    damage_threshold: float = DEFAULT_DAMAGE_THRESHOLD,
    dilation: int = DEFAULT_DILATION,
    data_range: float | None = None,
) -> dict[str, float]:
    """Scores of one restoration against its ground truth (and the damaged input, if given).

    Parameters
    ----------
    ground_truth, restored : ndarray
        Expert restoration and the method's output; same shape and dtype, never resized.
    damaged : ndarray, optional
        The authentic damaged scan; enables the damage/clean region scores.
    lpips_device : str
        Device for LPIPS (``"cuda"`` when available).
    damage_threshold, dilation :
        Binarisation threshold of the normalised difference and dilation radius in px.
    data_range : float, optional
        Inferred from uint8/uint16; required for float images.

    Returns
    -------
    dict
        ``psnr``, ``ssim``, ``lpips`` and, with ``damaged``, ``psnr_damage``, ``psnr_clean``,
        ``ssim_damage``, ``ssim_clean`` and ``damage_fraction`` (share of pixels in the dilated mask).
    """
    check_pair(ground_truth, restored)
    ssim_value, ssim_map = ssim_with_map(ground_truth, restored, data_range=data_range)
    scores = {
        "psnr": psnr(ground_truth, restored, data_range=data_range),
        "ssim": ssim_value,
        "lpips": lpips_distance(ground_truth, restored, data_range=data_range, device=lpips_device),
    }
    if damaged is not None:
        try:
            check_pair(ground_truth, damaged)
        except MetricInputError as exc:
            raise MetricInputError(f"damaged input does not match the ground truth: {exc}") from None
        damage = dilate_mask(
            groundtruth_mask(damaged, ground_truth, threshold=damage_threshold, data_range=data_range), dilation
        )
        clean = ~damage
        scores.update(
            psnr_damage=masked_psnr(ground_truth, restored, damage, data_range=data_range),
            psnr_clean=masked_psnr(ground_truth, restored, clean, data_range=data_range),
            ssim_damage=region_mean(ssim_map, damage),
            ssim_clean=region_mean(ssim_map, clean),
            damage_fraction=float(damage.mean()),
        )
    return scores


def score_do_nothing(ground_truth: np.ndarray, damaged: np.ndarray, **options) -> dict[str, float]:
    """The do-nothing baseline: the damaged input scored as its own restoration."""
    return score_arrays(ground_truth, damaged, damaged, **options)


def _pair_folders(gt_dir: Path, other_dir: Path, role: str) -> dict[str, Path]:
    gt_names = set(list_images(gt_dir))
    other = list_images(other_dir)
    missing = sorted(gt_names - set(other))
    extra = sorted(set(other) - gt_names)
    if missing or extra:
        raise ScoringError(
            f"{role} folder {other_dir} does not match the ground truth {gt_dir}: "
            f"missing {missing or 'none'}, extra {extra or 'none'} (images are matched by file stem)"
        )
    return other


def summarise(images: list[dict[str, object]]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and population std of every numeric key over the images where it is not ``nan``."""
    keys = [k for k in images[0] if k != "name"] if images else []
    mean: dict[str, float] = {}
    std: dict[str, float] = {}
    for key in keys:
        values = np.array([row[key] for row in images], dtype=np.float64)
        values = values[~np.isnan(values)]
        if values.size == 0:
            mean[key] = std[key] = float("nan")
        elif np.all(values == values[0]):  # equal values, inf included: std 0 where NumPy gives nan
            mean[key], std[key] = float(values[0]), 0.0
        else:  # inf among finite values: mean inf, std nan
            with np.errstate(invalid="ignore"):
                mean[key], std[key] = float(values.mean()), float(values.std())
    return mean, std


def submission_summary(images: list[dict]) -> dict:
    """A submission's summary over its images' score values: ``{"mean", "std", "count"}`` of the scalar
    scores (``summarise``) and, when images have a ground-truth threshold sweep, ``"sweep"``
    (``masks.summarise_sweeps``)."""
    scalar = [{k: v for k, v in row.items() if not isinstance(v, list)} for row in images]
    mean, std = summarise(scalar)
    summary: dict = {"mean": mean, "std": std, "count": len(images)}
    sweep = summarise_sweeps(images)
    if sweep is not None:
        summary["sweep"] = sweep
    return summary


def score_folders(
    gt_dir: str | Path,
    restored_dir: str | Path,
    damaged_dir: str | Path | None = None,
    *,
    progress: ProgressFn | None = None,
    lpips_device: str = "cpu",
    damage_threshold: float = DEFAULT_DAMAGE_THRESHOLD,
    dilation: int = DEFAULT_DILATION,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> dict[str, object]:
    """Score every restoration in ``restored_dir`` against the same-stem image in ``gt_dir``.

    Parameters
    ----------
    gt_dir, restored_dir : path
        Ground truth and restorations; the sets of stems must be equal.
    damaged_dir : path, optional
        Authentic damaged inputs with the same stems; adds the damage/clean region scores.
    progress : callable, optional
        Called as ``progress(done, total)`` after each image.
    lpips_device, damage_threshold, dilation, max_pixels :
        See ``score_arrays``; ``max_pixels`` refuses larger images before decoding.

    Returns
    -------
    dict
        ``{"images": [...], "mean": {...}, "std": {...}, "metric_card": {...}}`` (module docstring).
    """
    gt_dir, restored_dir = Path(gt_dir), Path(restored_dir)
    try:
        gt_files = list_images(gt_dir)
        restored_files = _pair_folders(gt_dir, restored_dir, "restored")
        damaged_files = _pair_folders(gt_dir, Path(damaged_dir), "damaged") if damaged_dir is not None else None
    except ImageError as exc:
        raise ScoringError(str(exc)) from exc
    if not gt_files:
        raise ScoringError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in {gt_dir}")
    images: list[dict[str, object]] = []
    names = sorted(gt_files)
    for done, name in enumerate(names, start=1):
        try:
            gt = read_image(gt_files[name], max_pixels=max_pixels, single_image=True)
            restored = read_image(restored_files[name], max_pixels=max_pixels, single_image=True)
            damaged = (read_image(damaged_files[name], max_pixels=max_pixels, single_image=True)
                       if damaged_files else None)
            scores = score_arrays(
                gt, restored, damaged, lpips_device=lpips_device, damage_threshold=damage_threshold, dilation=dilation
            )
        except (ImageError, MetricInputError) as exc:
            raise ScoringError(f"image {name!r}: {exc}") from exc
        images.append({"name": name, **scores})
        if progress is not None:
            progress(done, len(names))
    mean, std = summarise(images)
    card: dict[str, object] = {"version": METRIC_CARD_VERSION}
    if damaged_files is not None:
        card.update(damage_threshold=float(damage_threshold), dilation=int(dilation))
    return {"images": images, "mean": mean, "std": std, "metric_card": card}


def _finite_or_none(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    return value


def report_to_json(report: dict[str, object], *, indent: int | None = None) -> str:
    """Strict JSON of a ``score_folders`` report: ``inf`` and ``nan`` become ``null``."""
    return json.dumps(_finite_or_none(report), indent=indent, allow_nan=False)
