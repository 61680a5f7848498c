"""Leaderboard columns, ranks per metric and the average rank, and JSON-safe score values.

Ranks are competition ranks ("1224"): rows with equal values share the best rank of their group
and the next rank skips. A row without a value for a metric (``None`` or ``nan``: an undefined
score) ranks last on that metric, tied with the other rows without one, so that a row never gains
by lacking a score. ``inf`` (identical images: PSNR of a perfect restoration) is an ordinary value,
the best one for PSNR. The average rank is the mean of a row's ranks over the metrics ranked.

Database JSON cannot hold ``inf`` or ``nan``: ``to_stored`` writes them as the strings ``"inf"``,
``"-inf"`` and ``"nan"`` and ``from_stored`` reads them back; ``to_public`` gives ``None`` for them,
as ``score_restorations --json`` does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "RESTORATION_METRICS",
    "SEGMENTATION_METRICS",
    "Metric",
    "average_ranks",
    "from_stored",
    "rank_values",
    "to_public",
    "to_stored",
]


@dataclass(frozen=True)
class Metric:
    """A leaderboard column: key in the score values, label, and which direction is better."""

    key: str
    label: str
    higher_is_better: bool
    group: str = "full frame"


RESTORATION_METRICS = (
    Metric("psnr", "PSNR (dB)", True),
    Metric("ssim", "SSIM", True),
    Metric("lpips", "LPIPS", False),
    Metric("psnr_damage", "PSNR damage (dB)", True, "inside the damage"),
    Metric("ssim_damage", "SSIM damage", True, "inside the damage"),
    Metric("psnr_clean", "PSNR clean (dB)", True, "outside the damage"),
    Metric("ssim_clean", "SSIM clean", True, "outside the damage"),
)
"""The paper's Table 4 columns, then the damage-region columns."""

SEGMENTATION_METRICS = (
    Metric("iou", "IoU", True, "segmentation"),
    Metric("f1", "F1", True, "segmentation"),
    Metric("emd", "EMD", False, "segmentation"),
)
"""The paper's Table 3 columns."""


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def rank_values(values: Sequence[float | None], *, higher_is_better: bool) -> list[int]:
    """Competition ranks (1 is best) of ``values``; ``None`` and ``nan`` share the last rank.

    Examples
    --------
    >>> rank_values([30.0, 32.0, 30.0, None], higher_is_better=True)
    [2, 1, 2, 4]
    """
    present = [float(v) for v in values if not _missing(v)]
    ranks = []
    for value in values:
        if _missing(value):
            ranks.append(len(present) + 1)
            continue
        value = float(value)
        better = sum(1 for other in present if (other > value if higher_is_better else other < value))
        ranks.append(better + 1)
    return ranks


def average_ranks(
    rows: Sequence[Mapping[str, float | None]], metrics: Sequence[Metric]
) -> tuple[list[dict[str, int]], list[float]]:
    """Rank every row on every metric and average each row's ranks.

    Parameters
    ----------
    rows : sequence of mappings
        One mapping per leaderboard row, metric key -> value (missing keys count as ``None``).
    metrics : sequence of Metric
        The columns to rank; the average is over all of them.

    Returns
    -------
    (list of dict, list of float)
        Per row ``{metric key: rank}``, and per row the mean of those ranks (``nan`` with no metric).
    """
    per_row: list[dict[str, int]] = [{} for _ in rows]
    for metric in metrics:
        ranks = rank_values([row.get(metric.key) for row in rows], higher_is_better=metric.higher_is_better)
        for row_ranks, rank in zip(per_row, ranks):
            row_ranks[metric.key] = rank
    averages = [sum(r.values()) / len(r) if r else float("nan") for r in per_row]
    return per_row, averages


def to_stored(value: object) -> object:
    """A float made JSON-safe for the database (``inf`` -> ``"inf"``); dicts and lists recursively."""
    if isinstance(value, dict):
        return {k: to_stored(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_stored(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def from_stored(value: object) -> object:
    """The inverse of ``to_stored`` (``"inf"`` -> ``inf``, ``None`` -> ``nan``)."""
    if isinstance(value, dict):
        return {k: from_stored(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_stored(v) for v in value]
    if value is None:
        return float("nan")
    if value in ("inf", "-inf", "nan"):
        return float(value)
    return value


def to_public(value: object) -> object:
    """Values for strict JSON: non-finite floats (and their stored strings) become ``None``."""
    value = from_stored(value) if isinstance(value, str) else value
    if isinstance(value, dict):
        return {k: to_public(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_public(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
