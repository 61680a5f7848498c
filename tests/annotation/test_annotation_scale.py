"""The editor with 5,000 polygons on an 8000 x 5000 scan in Chromium: load, zoom, pan, select, edit, culling.

Functional only: no timings are asserted (speed is held by benchmarks/annotation_redraw.py).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from annotation import services
from annotation.core.geometry import validate_polygon
from annotation.core.types import CLASSES
from annotation.models import Polygon
from tests.support import browser_login, screenshot

WIDTH, HEIGHT = 8000, 5000
COUNT = 5000
#: One dirt blob in a clear neighbourhood: the polygon the test clicks and edits.
TARGET_CENTRE, TARGET_RADIUS, CLEARANCE = (5200.0, 3100.0), 40.0, 250.0


def target_points() -> np.ndarray:
    ang = np.arange(12) * 2 * math.pi / 12
    return np.stack([TARGET_CENTRE[0] + TARGET_RADIUS * np.cos(ang),
                     TARGET_CENTRE[1] + TARGET_RADIUS * np.sin(ang)], axis=1)


def random_shape(rng: np.random.Generator, cls: str) -> np.ndarray:
    """Dust and dirt as small star-shaped blobs, hairs and scratches as long strands 3 px wide."""
    if cls in ("dust", "dirt"):
        k = int(rng.integers(5, 13))
        r = rng.uniform(2, 12) if cls == "dust" else rng.uniform(5, 30)
        ang = (np.arange(k) + rng.uniform(-0.3, 0.3, k)) * 2 * math.pi / k
        rad = r * rng.uniform(0.7, 1.0, k)
        return np.stack([rad * np.cos(ang), rad * np.sin(ang)], axis=1)
    length = {"short hair": (60, 300), "long hair": (300, 1500), "scratch": (500, 3000)}[cls]
    m = int(rng.integers(4, 12))
    heading = rng.uniform(0, math.pi) + np.concatenate([[0.0], np.cumsum(rng.normal(0, 0.2, m - 1))])
    centre = np.cumsum(np.stack([np.cos(heading), np.sin(heading)], axis=1) * rng.uniform(*length) / m, axis=0)
    normal = np.stack([-np.sin(heading), np.cos(heading)], axis=1) * 1.5
    return np.concatenate([centre + normal, (centre - normal)[::-1]])


def scale_artefacts(count: int, seed: int = 7) -> list:
    """``count`` validated artefacts: the target and random ones that keep clear of it."""
    rng = np.random.default_rng(seed)
    tx, ty = TARGET_CENTRE
    out = [validate_polygon(target_points(), width=WIDTH, height=HEIGHT).to_artefact("dirt", source_key="target")]
    while len(out) < count:
        cls = str(rng.choice(CLASSES, p=[0.63, 0.22, 0.11, 0.035, 0.005]))
        pts = random_shape(rng, cls)
        pts = pts - pts.min(axis=0)
        span = pts.max(axis=0)
        if span[0] > WIDTH - 2 or span[1] > HEIGHT - 2:
            continue
        pts = pts + [rng.uniform(1, WIDTH - 1 - span[0]), rng.uniform(1, HEIGHT - 1 - span[1])]
        (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
        if x1 > tx - CLEARANCE and x0 < tx + CLEARANCE and y1 > ty - CLEARANCE and y0 < ty + CLEARANCE:
            continue
        out.append(validate_polygon(pts, width=WIDTH, height=HEIGHT).to_artefact(cls))
    return out


def to_screen(page, x: float, y: float) -> tuple[float, float]:
    p = page.evaluate("([x, y]) => window.__annotator.imageToScreen(x, y)", [x, y])
    return p["x"], p["y"]


def scale_of(page) -> float:
    a, b = to_screen(page, 0, 0), to_screen(page, 1000, 0)
    return (b[0] - a[0]) / 1000


def stats(page) -> dict:
    return page.evaluate("({...window.__annotatorStats})")


def settle(page) -> None:
    page.evaluate("window.__annotator.settled()")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_editor_handles_5000_polygons_on_an_8000_x_5000_scan(page, live_server, users):
    # given an 8000 x 5000 scan without pixels, assigned to the annotator, holding 5,000 polygons
    ds = services.annotation_set_get_or_create(name="scale")
    scan = services.scan_create(dataset=ds, name="big frame", width=WIDTH, height=HEIGHT, build_tiles=False)
    services.scan_assign(scan=scan, annotator=users["annotator"])
    assert services.polygons_replace_imported(scan=scan, artefacts=scale_artefacts(COUNT)) == COUNT
    target = Polygon.objects.get(scan=scan, source_key="target")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # when the annotator opens it
    browser_login(page, live_server, "annotator", "annotator")
    page.goto(f"{live_server.url}/annotation/scans/{scan.pk}/")
    page.wait_for_function("window.__annotator !== undefined")
    page.evaluate("window.__annotator.ready")
    settle(page)
    # then all 5,000 are loaded, and at the whole-scan view all of them are drawn
    shown = page.evaluate("window.__annotator.polygons()")
    assert len(shown) == COUNT
    assert {p["id"] for p in shown} == set(Polygon.objects.filter(scan=scan).values_list("pk", flat=True))
    home = stats(page)
    assert home["total"] == COUNT and home["drawn"] == COUNT
    page.click("[data-testid=tool-select]")

    # when they zoom in with the wheel over the target polygon
    s0, redraws0 = scale_of(page), home["redraws"]
    px, py = to_screen(page, *TARGET_CENTRE)
    page.mouse.move(px, py)
    for _ in range(30):  # Chromium merges wheel events when frames are slow: wheel until 6x closer
        if scale_of(page) / s0 >= 6:
            break
        page.mouse.wheel(0, -120)
        page.wait_for_timeout(60)
    settle(page)
    # then the view is closer (without tiles the viewer allows about 1 screen px per scan px, here
    # about 7x the whole-scan view), still centred on the pointer, and the polygons were redrawn
    assert scale_of(page) / s0 >= 6
    qx, qy = to_screen(page, *TARGET_CENTRE)
    assert abs(qx - px) < 10 and abs(qy - py) < 10  # (a zoom about the view's centre would be 100s of px off)
    assert stats(page)["redraws"] > redraws0

    # when they drag the view (the select tool pans when no handle is under the pointer)
    start = (qx + 150, qy + 100)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] - 200, start[1] - 120, steps=8)
    page.mouse.up()
    settle(page)
    # then the scan moved with the pointer, and only the polygons near the view are drawn (culling)
    tx, ty = to_screen(page, *TARGET_CENTRE)
    assert abs(tx - (qx - 200)) < 3 and abs(ty - (qy - 120)) < 3
    zoomed = stats(page)
    assert zoomed["total"] == COUNT and 1 <= zoomed["drawn"] < COUNT // 4

    # when they click inside the target polygon
    page.mouse.click(tx, ty)
    # then it is selected
    assert page.evaluate("window.__annotator.selectedId()") == target.pk

    # when they drag its first vertex by (30, 20) screen px
    before = next(p for p in page.evaluate("window.__annotator.polygons()") if p["id"] == target.pk)["points"]
    s = scale_of(page)
    vx, vy = to_screen(page, *before[0])
    page.mouse.move(vx, vy)
    page.mouse.down()
    page.mouse.move(vx + 30, vy + 20, steps=6)
    page.mouse.up()
    # then that vertex moved by (30, 20) / scale image px, the others stayed
    after = next(p for p in page.evaluate("window.__annotator.polygons()") if p["id"] == target.pk)["points"]
    assert len(after) == len(before) and after[1:] == before[1:]
    assert abs(after[0][0] - (before[0][0] + 30 / s)) < 2 / s and abs(after[0][1] - (before[0][1] + 20 / s)) < 2 / s
    # and once the editor is idle the server holds the new points, as version 2
    page.evaluate("window.__annotator.idle()")
    target.refresh_from_db()
    assert target.version == 2
    assert abs(target.points[0][0] - after[0][0]) < 0.01 and abs(target.points[0][1] - after[0][1]) < 0.01
    assert Polygon.objects.filter(scan=scan).count() == COUNT
    screenshot(page, "annotation-scale-edited")
    assert errors == []
