"""Plots say what their axes are, in the units the pages use (µm², the micro sign), never Plotly's SI prefixes."""
from __future__ import annotations

import json

from synthesis import figures


def params():
    density = [[0.5, 1.5, 1.0], [1.0, 1.0, 1.0]]
    area_plot = {"bin_edges_um2": [0, 1000, 2000], "density": [4e-4, 1e-4], "fitted_pdf": [3.9e-4, 1.1e-4]}
    cls = {"density": density, "diagnostics": {"area_plot": area_plot}}
    return {"classes": {"dust": cls}}


def test_the_spatial_density_heat_map_has_labelled_axes_over_the_frame():
    fig = figures.density_map_figure(params(), "dust")
    layout = fig["layout"]
    assert layout["xaxis"]["title"]["text"] == "x / frame width"
    assert layout["yaxis"]["title"]["text"].startswith("y / frame height")
    assert fig["data"][0]["x"] == [1 / 6, 0.5, 5 / 6] and fig["data"][0]["y"] == [0.25, 0.75]
    assert fig["data"][0]["colorbar"]["title"]["text"]


def test_area_densities_are_written_as_powers_of_ten_with_the_micro_sign():
    fig = figures.area_fit_figure(params(), "dust")
    assert fig["layout"]["yaxis"]["exponentformat"] == "power"  # not "400μ"
    text = json.dumps(fig, ensure_ascii=False)
    assert "µm²" in text and "\u03bc" not in text  # U+00B5 MICRO SIGN, not the Greek mu
