"""Plotly figures of the leaderboard, as plain JSON-ready dicts: box plots per metric, the sweep."""
from __future__ import annotations

import math

from evaluation.core.ranking import RESTORATION_METRICS, SEGMENTATION_METRICS, Metric


def _finite(value) -> float | None:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


def box_figure(metric: Metric, per_image: list[dict], order: list[str]) -> dict:
    """One box per leaderboard row: the metric's per-image values (non-finite values left out)."""
    by_row: dict[str, list[float]] = {label: [] for label in order}
    names: dict[str, list[str]] = {label: [] for label in order}
    for row in per_image:
        label = f"{row['method']} v{row['version']}"
        value = _finite(row.get(metric.key))
        if label in by_row and value is not None:
            by_row[label].append(value)
            names[label].append(row["image"])
    better = "higher is better" if metric.higher_is_better else "lower is better"
    return {
        "data": [{"type": "box", "name": label, "y": values, "text": names[label], "boxpoints": "all",
                  "jitter": 0.3, "pointpos": 0, "hovertemplate": "%{text}: %{y:.4g}<extra>%{x}</extra>"}
                 for label, values in by_row.items() if values],
        "layout": {"title": {"text": f"{metric.label} per image ({better})"}, "showlegend": False,
                   "xaxis": {"automargin": True}, "yaxis": {"title": {"text": metric.label}}},
    }


def sweep_figure(rows: list[dict], threshold: float | None) -> dict:
    """Mean F1 against the ground-truth binarisation threshold, one line per row with masks."""
    data = [{"type": "scatter", "mode": "lines+markers", "name": f"{r['method']} v{r['version']}",
             "x": r["sweep"]["thresholds"], "y": r["sweep"]["f1_sweep_mean"]} for r in rows]
    shapes = ([{"type": "line", "x0": threshold, "x1": threshold, "yref": "paper", "y0": 0, "y1": 1,
                "line": {"dash": "dot", "color": "#888"}}] if threshold is not None else [])
    return {"data": data, "layout": {"title": {"text": "Mean F1 by ground-truth threshold"}, "shapes": shapes,
                                     "xaxis": {"title": {"text": "threshold of the normalised difference"}},
                                     "yaxis": {"title": {"text": "mean F1"}}}}


def leaderboard_figures(*, board: dict, segmentation: dict, per_image: list[dict]) -> dict:
    """``{"box_<metric>": figure, ..., "sweep": figure}`` for the page's ``data-figure`` elements."""
    order = [f"{r['method']} v{r['version']}" for r in board["rows"]]
    figures = {f"box_{m.key}": box_figure(m, per_image, order) for m in RESTORATION_METRICS}
    seg_order = [f"{r['method']} v{r['version']}" for r in segmentation["rows"]]
    figures.update({f"box_{m.key}": box_figure(m, per_image, seg_order) for m in SEGMENTATION_METRICS
                    if m.key == "emd"})
    figures["sweep"] = sweep_figure(segmentation["rows"], segmentation["threshold"])
    return figures
