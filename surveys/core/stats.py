"""Statistics of two-alternative forced-choice surveys (paper, Section 4.5 and Table 2).

The input is a flat list of :class:`TrialRecord`: one per answered trial.
``success`` is "picked the image with real damage" in survey 1 and "preferred
model A" in survey 2; a participant's *score* is their share of successes over
their regular (non-catch) trials.

* :func:`table2` lays scores out as the paper's Table 2: rows by familiarity
  and overall, columns by crop size and overall, each the mean and the sample
  standard deviation (``ddof=1``) of the participants' scores, in percent.
* :func:`group_summary`: per group an exact two-sided binomial test of the
  pooled successes against 50% with a Clopper-Pearson 95% interval, d' for
  2AFC and a Wilcoxon signed-rank test of the per-participant scores against
  50% (which respects that trials are clustered in participants).
* :func:`between_groups`: Kruskal-Wallis H test over per-participant scores
  and a chi-square test of independence on pooled counts.
* :func:`side_bias` and :func:`attention` (catch-trial failures).
* :func:`response_medians`: per participant the upper median of the response
  times (catch trials included), by :func:`upper_median`.

References
----------
Clopper and Pearson (1934), Biometrika 26(4). Macmillan and Creelman,
"Detection Theory: A User's Guide", 2nd ed., Section 7.2 (d' for 2AFC is
``sqrt(2) * z(pc)``). Kruskal and Wallis (1952), JASA 47(260).
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

__all__ = [
    "TrialRecord", "attention", "between_groups", "binomial_summary", "clopper_pearson", "d_prime_2afc",
    "group_summary", "participant_scores", "response_medians", "side_bias", "summarise", "table2", "upper_median",
]

#: Name of the overall row / column.
OVERALL = "overall"


@dataclass(frozen=True)
class TrialRecord:
    """One answered trial."""

    participant: str
    group: str
    crop_size: int
    success: bool
    chose_left: bool
    catch: bool = False
    response_ms: int | None = None


def _regular(records: Iterable[TrialRecord]) -> list[TrialRecord]:
    return [r for r in records if not r.catch]


def clopper_pearson(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) confidence interval of a binomial proportion ``k / n``.

    ``lower = Beta.ppf(alpha/2; k, n-k+1)`` (0 when ``k == 0``) and
    ``upper = Beta.ppf(1-alpha/2; k+1, n-k)`` (1 when ``k == n``).
    """
    _check_counts(k, n)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    alpha = 1 - confidence
    lower = 0.0 if k == 0 else float(sps.beta.ppf(alpha / 2, k, n - k + 1))
    upper = 1.0 if k == n else float(sps.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lower, upper


def _check_counts(k: int, n: int) -> None:
    if int(n) != n or int(k) != k or n < 1 or not 0 <= k <= n:
        raise ValueError(f"need integers 0 <= k <= n and n >= 1, got k={k}, n={n}")


def d_prime_2afc(proportion: float, *, n: int | None = None) -> float:
    """Sensitivity d' of a two-alternative forced choice: ``sqrt(2) * z(proportion)``.

    With ``n`` trials, a proportion of 0 or 1 is first moved to ``1/(2n)`` or
    ``1 - 1/(2n)`` (the usual correction; Macmillan and Creelman). Without
    ``n`` such a proportion gives an infinite d'.
    """
    if not 0.0 <= proportion <= 1.0:
        raise ValueError(f"proportion must be in [0, 1], got {proportion}")
    p = float(proportion)
    if n is not None:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        p = min(max(p, 1.0 / (2 * n)), 1.0 - 1.0 / (2 * n))
    return math.sqrt(2.0) * float(sps.norm.ppf(p))


def binomial_summary(k: int, n: int, *, p: float = 0.5, confidence: float = 0.95) -> dict:
    """Exact two-sided binomial test of ``k`` successes in ``n`` trials against ``p``, with its CI and d'."""
    _check_counts(k, n)
    result = sps.binomtest(int(k), int(n), p, alternative="two-sided")
    low, high = clopper_pearson(k, n, confidence=confidence)
    return {
        "k": int(k), "n": int(n), "proportion": k / n, "p_value": float(result.pvalue),
        "ci_low": low, "ci_high": high, "confidence": confidence, "d_prime": d_prime_2afc(k / n, n=n),
        "test": f"exact binomial test (two-sided) against {p:.0%}", "ci_method": "Clopper-Pearson",
    }


def participant_scores(records: Iterable[TrialRecord]) -> dict[str, dict]:
    """Per participant: group, regular-trial count, successes, score, and score per crop size."""
    by: dict[str, dict] = {}
    for r in _regular(records):
        p = by.setdefault(r.participant, {"group": r.group, "n": 0, "k": 0, "left": 0, "sizes": defaultdict(list)})
        if p["group"] != r.group:
            raise ValueError(f"participant {r.participant} appears in groups {p['group']!r} and {r.group!r}")
        p["n"] += 1
        p["k"] += int(r.success)
        p["left"] += int(r.chose_left)
        p["sizes"][r.crop_size].append(bool(r.success))
    out = {}
    for pid, p in by.items():
        out[pid] = {
            "group": p["group"], "n": p["n"], "k": p["k"], "score": p["k"] / p["n"], "left_share": p["left"] / p["n"],
            "by_size": {s: float(np.mean(v)) for s, v in sorted(p["sizes"].items())},
        }
    return out


def upper_median(values: Iterable[int]) -> int | None:
    """The upper median: the middle value of an odd count, the larger middle one of an even count (a value that
    occurred, never an average); ``None`` for no values."""
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else None


def response_medians(records: Iterable[TrialRecord]) -> dict[str, int | None]:
    """Per participant of ``records`` the upper median of their response times in ms, catch trials included
    (``None`` for a participant with no recorded time)."""
    times: dict[str, list[int]] = defaultdict(list)
    for r in records:
        listed = times[r.participant]  # a participant without any recorded time is listed too
        if r.response_ms is not None:
            listed.append(r.response_ms)
    return {participant: upper_median(values) for participant, values in times.items()}


def _mean_std(values: Sequence[float]) -> dict:
    """Mean and sample standard deviation (``ddof=1``; None for fewer than two values) in percent."""
    if not values:
        return {"n": 0, "mean": None, "std": None}
    arr = np.asarray(values, dtype=float) * 100.0
    return {"n": len(arr), "mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if len(arr) > 1 else None}


def table2(records: Iterable[TrialRecord], *, crop_sizes: Sequence[int], groups: Sequence[str]) -> dict:
    """Participant scores by group and crop size, laid out as the paper's Table 2.

    Returns ``{"columns": [*crop_sizes, "overall"], "rows": [...]}`` with one
    row per group of ``groups`` and a final ``"overall"`` row; each row holds
    ``participants`` and ``cells`` keyed by column, each cell
    ``{"n", "mean", "std"}`` over the participants that have trials there
    (scores in percent, sample standard deviation).
    """
    scores = participant_scores(records)
    unknown = {s["group"] for s in scores.values()} - set(groups)
    if unknown:
        raise ValueError(f"records hold groups {sorted(unknown)} not in {list(groups)}")
    columns: list = [int(s) for s in crop_sizes] + [OVERALL]
    rows = []
    for group in [*groups, OVERALL]:
        members = [s for s in scores.values() if group == OVERALL or s["group"] == group]
        cells = {size: _mean_std([m["by_size"][size] for m in members if size in m["by_size"]])
                 for size in columns[:-1]}
        cells[OVERALL] = _mean_std([m["score"] for m in members])
        rows.append({"group": group, "participants": len(members), "cells": cells})
    return {"columns": columns, "rows": rows}


def _wilcoxon_half(scores: Sequence[float]) -> dict:
    """Two-sided Wilcoxon signed-rank test of scores against 0.5 (zero differences dropped)."""
    diffs = np.asarray(scores, dtype=float) - 0.5
    name = "Wilcoxon signed-rank test of participant scores against 50%"
    if np.count_nonzero(diffs) == 0:
        return {"test": name, "statistic": None, "p_value": None, "note": "every score is exactly 50%"}
    res = sps.wilcoxon(diffs, zero_method="wilcox", alternative="two-sided")
    return {"test": name, "statistic": float(res.statistic), "p_value": float(res.pvalue)}


def group_summary(records: Iterable[TrialRecord], *, groups: Sequence[str], confidence: float = 0.95) -> list[dict]:
    """Per group and overall: pooled binomial test against 50% (with CI and d'), Wilcoxon on scores."""
    regular = _regular(records)
    scores = participant_scores(regular)
    out = []
    for group in [*groups, OVERALL]:
        rows = [r for r in regular if group == OVERALL or r.group == group]
        member_scores = [s["score"] for s in scores.values() if group == OVERALL or s["group"] == group]
        item = {"group": group, "participants": len(member_scores), "trials": len(rows)}
        if rows:
            item["binomial"] = binomial_summary(sum(r.success for r in rows), len(rows), confidence=confidence)
            item["wilcoxon"] = _wilcoxon_half(member_scores)
        out.append(item)
    return out


def between_groups(records: Iterable[TrialRecord], *, groups: Sequence[str]) -> dict:
    """Tests of a difference between groups.

    ``kruskal``: Kruskal-Wallis H test over the per-participant scores of the
    groups that have participants; ``chi2``: chi-square test of independence
    of (group x success) on pooled regular trials. Each is None, with a
    ``note``, when fewer than two groups have data or the data are constant.
    """
    regular = _regular(records)
    scores = participant_scores(regular)
    samples = {g: [s["score"] for s in scores.values() if s["group"] == g] for g in groups}
    present = {g: v for g, v in samples.items() if v}
    out: dict = {"groups": list(present)}
    kw_name = "Kruskal-Wallis H test over participant scores"
    chi_name = "chi-square test of independence on pooled trials (group x answer)"
    if len(present) < 2:
        note = "fewer than two groups have participants"
        return {**out, "kruskal": {"test": kw_name, "note": note}, "chi2": {"test": chi_name, "note": note}}
    values = [v for vs in present.values() for v in vs]
    if len(set(values)) == 1:
        out["kruskal"] = {"test": kw_name, "note": "every participant has the same score"}
    else:
        res = sps.kruskal(*present.values())
        out["kruskal"] = {"test": kw_name, "statistic": float(res.statistic), "p_value": float(res.pvalue),
                          "df": len(present) - 1}
    table = np.array([[sum(r.success for r in regular if r.group == g),
                       sum(not r.success for r in regular if r.group == g)] for g in present])
    if (table.sum(axis=0) == 0).any():
        out["chi2"] = {"test": chi_name, "note": "every trial has the same answer"}
    else:
        res = sps.chi2_contingency(table, correction=False)
        out["chi2"] = {"test": chi_name, "statistic": float(res.statistic), "p_value": float(res.pvalue),
                       "df": int(res.dof)}
    return out


def side_bias(records: Iterable[TrialRecord]) -> dict:
    """Share of regular trials answered with the left image, with its binomial test against 50%."""
    regular = _regular(records)
    out: dict = {"trials": len(regular)}
    if regular:
        out["binomial"] = binomial_summary(sum(r.chose_left for r in regular), len(regular))
    return out


def attention(records: Iterable[TrialRecord], *, max_failures: int = 0) -> dict[str, dict]:
    """Catch trials per participant: ``{"catch", "failed", "flagged"}``; flagged when failures exceed the limit."""
    if max_failures < 0:
        raise ValueError(f"max_failures must be >= 0, got {max_failures}")
    out: dict[str, dict] = {}
    for r in records:
        item = out.setdefault(r.participant, {"catch": 0, "failed": 0, "flagged": False})
        if r.catch:
            item["catch"] += 1
            item["failed"] += int(not r.success)
    for item in out.values():
        item["flagged"] = item["failed"] > max_failures
    return out


def summarise(records: Sequence[TrialRecord], *, crop_sizes: Sequence[int], groups: Sequence[str],
              exclude_flagged: bool = True, max_failures: int = 0) -> dict:
    """Everything a results page shows: attention flags, Table 2, group tests, between-group tests, side bias."""
    records = list(records)
    checks = attention(records, max_failures=max_failures)
    flagged = sorted(p for p, c in checks.items() if c["flagged"])
    kept = [r for r in records if not (exclude_flagged and r.participant in set(flagged))]
    scores = participant_scores(kept)
    return {
        "attention": checks,
        "flagged": flagged,
        "excluded": flagged if exclude_flagged else [],
        "participants": scores,
        "table": table2(kept, crop_sizes=crop_sizes, groups=groups),
        "groups": group_summary(kept, groups=groups),
        "between": between_groups(kept, groups=groups),
        "side_bias": side_bias(kept),
    }
