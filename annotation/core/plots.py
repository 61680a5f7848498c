"""Plotly figures of artefact statistics, as plain JSON-ready dicts.

Each builder returns ``{"data": [...], "layout": {...}}`` made of lists,
numbers and strings only, ready for ``json.dumps`` and ``Plotly.newPlot``
in the page (or ``plotly.graph_objects.Figure(fig)`` in a notebook).
"""
from __future__ import annotations

from collections.abc import Sequence

from annotation.core.stats import (
    Unit,
    area_histogram,
    damage_stats,
    density_map,
    patch_count_histogram,
)
from annotation.core.types import CLASS_COLOURS, CLASSES, ScanArtefacts

_UNIT_LABEL = {"px": "area (px)", "um2": "area (\u00b5m\u00b2)"}


def counts_figure(scans: Sequence[ScanArtefacts], *, name: str = "") -> dict:
    """Bar chart of the number of artefacts per class."""
    stats = damage_stats(scans, name=name)
    counts = [stats["classes"][c]["count"] for c in CLASSES]
    return {
        "data": [{"type": "bar", "x": list(CLASSES), "y": counts,
                  "marker": {"color": [CLASS_COLOURS[c] for c in CLASSES]}}],
        "layout": {"title": {"text": f"Artefacts per class{' - ' + name if name else ''}"},
                   "xaxis": {"title": {"text": "class"}},
                   "yaxis": {"title": {"text": "count"}}},
    }


def area_histogram_figure(
    scans: Sequence[ScanArtefacts], *, unit: Unit = "px", bins: int = 50, log: bool = True,
) -> dict:
    """Area histograms per class (Figure 7), one trace per class, log-spaced bins by default."""
    data = []
    for cls in CLASSES:
        counts, edges = area_histogram(scans, cls, unit=unit, bins=bins, log=log)
        if not counts.any():
            continue
        centres = (edges[:-1] * edges[1:]) ** 0.5 if log else (edges[:-1] + edges[1:]) / 2
        data.append({"type": "bar", "name": cls, "x": centres.tolist(), "y": counts.tolist(),
                     "width": (edges[1:] - edges[:-1]).tolist(),
                     "marker": {"color": CLASS_COLOURS[cls]}, "opacity": 0.7})
    return {
        "data": data,
        "layout": {"title": {"text": f"Artefact sizes ({_UNIT_LABEL[unit]})"},
                   "barmode": "overlay",
                   "xaxis": {"title": {"text": _UNIT_LABEL[unit]}, "type": "log" if log else "linear"},
                   "yaxis": {"title": {"text": "artefacts"}}},
    }


def patch_count_figure(scans: Sequence[ScanArtefacts]) -> dict:
    """Histograms of artefacts per 256 x 256 patch for each class (Figure 5)."""
    data = []
    for cls in CLASSES:
        k, n = patch_count_histogram(scans, cls)
        data.append({"type": "bar", "name": cls, "x": k.tolist(), "y": n.tolist(),
                     "marker": {"color": CLASS_COLOURS[cls]}})
    return {
        "data": data,
        "layout": {"title": {"text": "Artefacts per 256 x 256 patch"}, "barmode": "group",
                   "xaxis": {"title": {"text": "artefacts in the patch"}},
                   "yaxis": {"title": {"text": "patches"}, "type": "log"}},
    }


def density_figure(
    scans: Sequence[ScanArtefacts], cls: str, *, bins: tuple[int, int] = (35, 24),
    smooth: float = 1.5, aspect: float = 24 / 35,
) -> dict:
    """Heat map of the centroid density of ``cls`` over the frame (Figure 6), y pointing down.

    ``aspect`` is the frame's height / width, so that the unit square of
    normalised coordinates is drawn with the frame's shape.
    """
    dm = density_map(scans, cls, bins=bins, smooth=smooth)
    xc = ((dm.x_edges[:-1] + dm.x_edges[1:]) / 2).tolist()
    yc = ((dm.y_edges[:-1] + dm.y_edges[1:]) / 2).tolist()
    return {
        "data": [{"type": "heatmap", "x": xc, "y": yc, "z": dm.values.tolist(),
                  "colorscale": "Viridis", "colorbar": {"title": {"text": "density (1 = uniform)"}}}],
        "layout": {"title": {"text": f"Spatial density of {cls} ({dm.count} centroids)"},
                   "xaxis": {"title": {"text": "x / frame width"}, "range": [0, 1]},
                   "yaxis": {"title": {"text": "y / frame height"}, "range": [1, 0],
                             "scaleanchor": "x", "scaleratio": aspect}},
    }


def statistics_figures(scans: Sequence[ScanArtefacts], *, name: str = "") -> dict[str, dict]:
    """All figures of the statistics page, keyed by a stable id."""
    figs = {"counts": counts_figure(scans, name=name),
            "areas_px": area_histogram_figure(scans, unit="px"),
            "areas_um2": area_histogram_figure(scans, unit="um2"),
            "patch_counts": patch_count_figure(scans)}
    for cls in CLASSES:
        figs[f"density_{cls.replace(' ', '_')}"] = density_figure(scans, cls)
    return figs
