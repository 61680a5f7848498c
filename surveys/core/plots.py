"""Plotly figures of survey results, as JSON-ready ``{"data": [...], "layout": {...}}`` dicts.

Built from the output of :func:`surveys.core.stats.summarise`; the page draws
them with ``Plotly.newPlot`` (or ``plotly.graph_objects.Figure(fig)`` in a notebook).
"""
from __future__ import annotations

from collections.abc import Sequence

__all__ = ["results_figures"]

GROUP_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#444444")


def _chance_line() -> dict:
    return {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 50, "y1": 50,
            "line": {"dash": "dot", "color": "#888"}}


def scores_by_size_figure(summary: dict, *, labels: dict[str, str], score_name: str) -> dict:
    """Mean participant score per crop size, one line per group, error bars one standard deviation."""
    table = summary["table"]
    sizes = [c for c in table["columns"] if c != "overall"]
    data = []
    for i, row in enumerate(table["rows"]):
        cells = [row["cells"][s] for s in sizes]
        data.append({"type": "scatter", "mode": "lines+markers", "name": labels.get(row["group"], row["group"]),
                     "x": [f"{s} px" for s in sizes], "y": [c["mean"] for c in cells],
                     "error_y": {"type": "data", "array": [c["std"] or 0 for c in cells], "visible": True},
                     "marker": {"color": GROUP_COLOURS[i % len(GROUP_COLOURS)]}})
    return {"data": data, "layout": {
        "title": {"text": f"{score_name} by crop size (mean ± std)"}, "shapes": [_chance_line()],
        "xaxis": {"title": {"text": "crop size"}, "type": "category"},
        "yaxis": {"title": {"text": f"{score_name} (%)"}, "range": [0, 100]}}}


def score_distribution_figure(summary: dict, *, groups: Sequence[str], labels: dict[str, str],
                              score_name: str) -> dict:
    """Per-participant scores by group: box plots with every participant as a point."""
    data = []
    for i, group in enumerate(groups):
        scores = [100 * p["score"] for p in summary["participants"].values() if p["group"] == group]
        data.append({"type": "box", "name": labels.get(group, group), "y": scores, "boxpoints": "all",
                     "jitter": 0.4, "pointpos": 0, "marker": {"color": GROUP_COLOURS[i % len(GROUP_COLOURS)]}})
    return {"data": data, "layout": {
        "title": {"text": f"Participants: {score_name.lower()}"}, "shapes": [_chance_line()],
        "showlegend": False, "yaxis": {"title": {"text": f"{score_name} (%)"}, "range": [0, 100]}}}


def group_interval_figure(summary: dict, *, labels: dict[str, str], score_name: str) -> dict:
    """Pooled proportion per group with its Clopper-Pearson 95% interval."""
    names, values, plus, minus = [], [], [], []
    for item in summary["groups"]:
        b = item.get("binomial")
        if not b:
            continue
        names.append(labels.get(item["group"], item["group"]))
        values.append(100 * b["proportion"])
        plus.append(100 * (b["ci_high"] - b["proportion"]))
        minus.append(100 * (b["proportion"] - b["ci_low"]))
    return {"data": [{"type": "scatter", "mode": "markers", "x": names, "y": values, "marker": {"size": 10},
                      "error_y": {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus}}],
            "layout": {"title": {"text": f"Pooled {score_name.lower()} with 95% Clopper-Pearson interval"},
                       "shapes": [_chance_line()], "xaxis": {"type": "category"},
                       "yaxis": {"title": {"text": f"{score_name} (%)"}, "range": [0, 100]}}}


def results_figures(summary: dict, *, groups: Sequence[str], labels: dict[str, str], score_name: str) -> dict:
    """All figures of a results page, keyed as the page's ``data-figure`` attributes."""
    return {
        "by_size": scores_by_size_figure(summary, labels=labels, score_name=score_name),
        "distribution": score_distribution_figure(summary, groups=groups, labels=labels, score_name=score_name),
        "intervals": group_interval_figure(summary, labels=labels, score_name=score_name),
    }
