"""Plotly figures of fitted damage models, as plain JSON-ready dicts (no Django)."""
from __future__ import annotations

from annotation.core.types import CLASS_COLOURS, CLASSES


def count_fit_figure(params: dict, cls: str, *, name: str = "") -> dict:
    """Per-patch counts of non-empty patches: data histogram and the fitted Gamma (Figure 5)."""
    plot = params["classes"][cls]["diagnostics"].get("count_plot")
    if not plot:
        return {"data": [], "layout": {"title": {"text": f"{cls}: no counts"}}}
    return {
        "data": [
            {"type": "bar", "name": f"data{' ' + name if name else ''}", "x": plot["count"], "y": plot["empirical"],
             "marker": {"color": CLASS_COLOURS[cls]}, "opacity": 0.6},
            {"type": "scatter", "mode": "lines+markers", "name": f"fitted Gamma{' ' + name if name else ''}",
             "x": plot["count"], "y": plot["fitted"], "line": {"color": "#222"}},
        ],
        "layout": {"title": {"text": f"{cls}: artefacts per non-empty 256 px patch"},
                   "xaxis": {"title": {"text": "artefacts in the patch"}},
                   "yaxis": {"title": {"text": "share of non-empty patches"}}},
    }


def area_fit_figure(params: dict, cls: str, *, name: str = "") -> dict:
    """Artefact areas: density histogram and the fitted Gamma pdf (Figure 7)."""
    plot = params["classes"][cls]["diagnostics"].get("area_plot")
    if not plot:
        return {"data": [], "layout": {"title": {"text": f"{cls}: no areas"}}}
    edges = plot["bin_edges_um2"]
    centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
    widths = [b - a for a, b in zip(edges[:-1], edges[1:])]
    return {
        "data": [
            {"type": "bar", "name": f"data{' ' + name if name else ''}", "x": centres, "y": plot["density"],
             "width": widths, "marker": {"color": CLASS_COLOURS[cls]}, "opacity": 0.6},
            {"type": "scatter", "mode": "lines", "name": f"fitted Gamma{' ' + name if name else ''}",
             "x": centres, "y": plot["fitted_pdf"], "line": {"color": "#222"}},
        ],
        "layout": {"title": {"text": f"{cls}: area (µm²)"}, "xaxis": {"title": {"text": "area (µm²)"}},
                   # a density per µm² is about 1e-4: written as powers of ten, not Plotly's SI prefixes
                   # ("400μ" with a Greek mu beside µm²)
                   "yaxis": {"title": {"text": "density (per µm²)"}, "exponentformat": "power"}},
    }


def _cell_centres(n: int) -> list[float]:
    """Centres of ``n`` equal cells over [0, 1] (the map's cells as shares of the frame)."""
    return [(i + 0.5) / n for i in range(n)]


def density_map_figure(params: dict, cls: str) -> dict:
    """The coarse KDE map of centroids over the frame, y down."""
    density = params["classes"][cls].get("density")
    if density is None:
        return {"data": [], "layout": {"title": {"text": f"{cls}: no spatial data"}}}
    return {
        "data": [{"type": "heatmap", "z": density, "x": _cell_centres(len(density[0])),
                  "y": _cell_centres(len(density)), "colorscale": "Viridis",
                  "colorbar": {"title": {"text": "density (× mean)"}}}],
        "layout": {"title": {"text": f"{cls}: spatial density (KDE)"},
                   "xaxis": {"title": {"text": "x / frame width"}, "range": [0, 1], "constrain": "domain"},
                   "yaxis": {"title": {"text": "y / frame height (down)"}, "range": [1, 0], "scaleanchor": "x"}},
    }


def counts_per_frame_figure(models: list[tuple[str, dict]]) -> dict:
    """Expected artefacts per frame by class, one bar group per model, with the annotated means."""
    data = []
    for label, params in models:
        expected = params["diagnostics"].get("expected_counts_mean_frame", {})
        data.append({"type": "bar", "name": f"{label} (model)", "x": list(CLASSES),
                     "y": [expected.get(c, 0) for c in CLASSES]})
        annotated = params["diagnostics"].get("annotated_mean_counts_per_frame")
        if annotated:
            data.append({"type": "scatter", "mode": "markers", "name": f"{label} (annotated)",
                         "x": list(CLASSES), "y": [annotated.get(c, 0) for c in CLASSES],
                         "marker": {"symbol": "diamond", "size": 10}})
    return {"data": data, "layout": {"title": {"text": "Artefacts per frame"}, "barmode": "group",
                                     "yaxis": {"title": {"text": "count"}, "type": "log"}}}


def model_figures(params: dict) -> dict[str, dict]:
    figs = {"counts_per_frame": counts_per_frame_figure([("", params)])}
    for cls in CLASSES:
        key = cls.replace(" ", "_")
        figs[f"count_{key}"] = count_fit_figure(params, cls)
        figs[f"area_{key}"] = area_fit_figure(params, cls)
        figs[f"density_{key}"] = density_map_figure(params, cls)
    return figs


def comparison_figures(a: tuple[str, dict], b: tuple[str, dict]) -> dict[str, dict]:
    """Side-by-side figures of two models: per-class fits overlaid, per-frame counts grouped."""
    figs = {"counts_per_frame": counts_per_frame_figure([a, b])}
    for cls in CLASSES:
        key = cls.replace(" ", "_")
        for kind, builder in (("count", count_fit_figure), ("area", area_fit_figure)):
            fa, fb = builder(a[1], cls, name=a[0]), builder(b[1], cls, name=b[0])
            for trace in fb["data"]:
                trace = dict(trace)
                if trace["type"] == "bar":
                    trace["marker"] = {"color": "#888"}
                else:
                    trace["line"] = {"color": "#b5471b", "dash": "dash"}
                fa["data"].append(trace)
            figs[f"{kind}_{key}"] = fa
    return figs


def parameter_rows(params: dict) -> list[dict]:
    """One row per class for the parameter table."""
    rows = []
    for cls in CLASSES:
        m = params["classes"][cls]
        d = m.get("diagnostics", {})
        rows.append({
            "cls": cls, "n": m["n_artefacts"], "p_nonempty": m["p_nonempty"],
            "count_gamma": m.get("count_gamma"), "area_gamma": m.get("area_gamma"),
            "ks_counts": d.get("ks_counts"), "ks_areas": d.get("ks_areas"),
            "expected_per_frame": params["diagnostics"].get("expected_counts_mean_frame", {}).get(cls),
            "annotated_per_frame": params["diagnostics"].get("annotated_mean_counts_per_frame", {}).get(cls),
            "notes": m.get("notes", []),
        })
    return rows
