"""Redraw and frame costs of the polygon editor with 5,000 polygons on an 8000 x 5000 scan.

The design bar: "a 16-bit 8000 x 5000 scan holding 5,000 polygons stays smooth
to pan, zoom and edit in Chromium". This script opens the real editor bundle
in its test build (``frontend/dist-test/annotate.js``: the production bundle
with the ``window.__annotator`` hooks it drives; build it first with ``cd
frontend && npm run build``) in Debian's Chromium through Playwright, on a
page equivalent to
``annotation/templates/annotation/scan_annotate.html`` served with a small
read-only mock of the annotation API on ``127.0.0.1`` (no Django, no database;
empty ``data-dzi-url``, so the viewer shows its grey stand-in and no tiles are
needed).

The polygons are seeded random artefacts with the class shares and the area
means and spreads of Table 1 of the paper (dust and dirt as small blobs, hairs
and scratches as long thin outlines), validated with
``annotation.core.geometry.validate_polygon`` as the server would store them.

Measured, each with a baseline taken in the same run and the ratio to it:

* page ready (navigation start -> editor ready): against the same page with 0 polygons;
* forced full redraw of the polygon layer (``stats.noCache``, ``stats.flush``), at
  the whole-scan view and zoomed 8x: against a naive redraw of every polygon as
  a path into a canvas of the viewer's size (no culling, no cache, no dots);
* a pan frame served from the editor's cache: against the same frame with the
  cache off (a forced full redraw);
* rAF frame intervals during a scripted mouse drag pan (whole view and 8x) and a
  wheel zoom in and out: against the same script with 0 polygons, and with
  5,000 polygons and the cache off. They are taken with OpenSeadragon's drawer as
  shipped and, when that is WebGL, again after switching to its canvas drawer:
  Chromium without a GPU runs WebGL on software GL, which costs the same for 0
  and 5,000 polygons but dominates every moving frame.

Ratios near 1 against the 0-polygon page mean the polygons cost no smoothness.
The redraw timings use the canvas drawer (the overlay's own cost does not depend
on it, but every timed frame waits for OpenSeadragon's). Without tiles the viewer
would cap the zoom near 1 screen px per scan px; the benchmark lifts that cap to
a tiled scan's 8 per scan px so that "zoomed 8x" is reachable. Usage::

    .venv/bin/python benchmarks/annotation_redraw.py [--polygons 5000] [--seed 1] [--samples 30]
        [--loads 3] [--viewport 1600x1000] [--timeout 300]

Exits 0 after printing; a watchdog ends the process (exit 3) after ``--timeout`` seconds.
"""
from __future__ import annotations

import argparse
import html
import json
import math
import os
import re
import shutil
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from annotation.core.geometry import validate_polygon  # noqa: E402
from annotation.core.types import CLASS_COLOURS, CLASSES, Artefact  # noqa: E402

DIST = REPO / "frontend" / "dist-test"  # the test build: the production bundles plus the hooks
WIDTH, HEIGHT = 8000, 5000
FULL_ID, EMPTY_ID = 1, 2
#: Table 1 of the paper: count, mean and standard deviation of the area (um^2) per class.
TABLE1 = {"dust": (7631, 3344, 1637), "dirt": (2700, 8194, 10304), "short hair": (1341, 16365, 11735),
          "long hair": (398, 53501, 35524), "scratch": (65, 229660, 521345)}
#: Vertex counts of the hand-drawn polygons (roughly the public annotations' 10th-90th percentiles).
VERTICES = {"dust": (4, 9), "dirt": (5, 13), "short hair": (4, 11), "long hair": (7, 17), "scratch": (2, 10)}
BROWSER_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


# ---------------------------------------------------------------- polygons

def _gamma_area(rng: np.random.Generator, cls: str, um2_per_px: float) -> float:
    _, mean, std = TABLE1[cls]
    return float(rng.gamma((mean / std) ** 2, std ** 2 / mean)) / um2_per_px


def _blob(rng, area: float, k: int) -> np.ndarray:
    r = math.sqrt(max(area, 2.0) / math.pi)
    ang = (np.arange(k) + rng.uniform(-0.3, 0.3, k)) * 2 * math.pi / k
    rad = r * rng.uniform(0.75, 1.1, k)
    pts = np.stack([rad * np.cos(ang), rad * np.sin(ang)], axis=1)
    x, y = pts[:, 0], pts[:, 1]
    drawn = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return pts * math.sqrt(max(area, 2.0) / drawn)  # the polygon's own area is the drawn size


def _strand(rng, area: float, m: int, straight: bool, max_len: float) -> np.ndarray:
    w = rng.uniform(2.0, 5.0)
    length = min(max(area / w, 10 * w), max_len)
    theta = rng.normal(math.pi / 2, 0.05) if straight else rng.uniform(0, math.pi)
    turns = rng.normal(0, 0.02 if straight else 0.25, m - 1)
    heading = theta + np.concatenate([[0.0], np.cumsum(turns)])
    step = length / max(m - 1, 1)
    centre = np.cumsum(np.stack([np.cos(heading), np.sin(heading)], axis=1) * step, axis=0)
    normal = np.stack([-np.sin(heading), np.cos(heading)], axis=1) * (w / 2)
    return np.concatenate([centre + normal, (centre - normal)[::-1]])


def random_artefacts(*, count: int, width: int, height: int, seed: int) -> list[Artefact]:
    """``count`` seeded random artefacts with Table 1's class shares and sizes, validated.

    Dust and dirt are star-shaped blobs; hairs are curved strands 2-5 px wide and
    scratches nearly vertical ones, all placed wholly inside the canvas.
    """
    if count < 0 or width < 100 or height < 100:
        raise ValueError(f"need count >= 0 and a canvas of at least 100 x 100, got {count}, {width} x {height}")
    rng = np.random.default_rng(seed)
    um2_per_px = (35000 / max(width, height)) * (24000 / min(width, height))
    shares = np.array([TABLE1[c][0] for c in CLASSES], float)
    out = []
    for cls in rng.choice(CLASSES, size=count, p=shares / shares.sum()):
        cls = str(cls)
        area = _gamma_area(rng, cls, um2_per_px)
        lo, hi = VERTICES[cls]
        if cls in ("dust", "dirt"):
            pts = _blob(rng, area, int(rng.integers(lo, hi + 1)))
        else:
            pts = _strand(rng, area, int(rng.integers(lo, hi + 1)), cls == "scratch", 0.9 * min(width, height))
        pts = pts - pts.min(axis=0)
        span = pts.max(axis=0)
        pts = pts + [rng.uniform(1, width - 1 - span[0]), rng.uniform(1, height - 1 - span[1])]
        out.append(validate_polygon(pts, width=width, height=height).to_artefact(cls))
    return out


def polygon_rows(artefacts: list[Artefact], *, review: bool = False) -> list[dict]:
    """The artefacts as the polygon list endpoint returns them (``PolygonSerializer`` fields); ``review``: as a
    review set's (score, status proposed, every fifth rejected: the review's dashed and hatched style)."""
    rows = []
    for i, a in enumerate(artefacts, start=1):
        (x0, y0, x1, y1), (cx, cy) = a.bbox, a.centroid
        rows.append({"id": i, "cls": a.cls, "points": np.asarray(a.polygon).round(3).tolist(), "created_by": None,
                     "area_px": a.area_px, "area_um2": a.area_um2, "bbox_xmin": x0, "bbox_ymin": y0,
                     "bbox_xmax": x1, "bbox_ymax": y1, "centroid_x": cx, "centroid_y": cy,
                     "patch_col": int(cx // 256), "patch_row": int(cy // 256), "notes": "; ".join(a.notes),
                     "source": "imported", "version": 1, "updated_at": "2026-01-01T00:00:00Z",
                     "score": round(0.5 + (i % 50) / 100, 2) if review else None,
                     "status": ("rejected" if i % 5 == 0 else "proposed") if review else ""})
    return rows


# ---------------------------------------------------------------- mock server

def page_html(*, scan_id: int, name: str, width: int, height: int, user: str = "annotator",
              review: bool = False) -> str:
    """The scan annotation page as ``scan_annotate.html`` (inside ``base.html``) renders it."""
    classes = json.dumps([{"key": c, "label": c.capitalize(), "colour": CLASS_COLOURS[c]} for c in CLASSES])
    e = html.escape
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{e(name)} · Film artefact lab</title>
  <link rel="stylesheet" href="/static/app.css">
</head>
<body>
  <header class="topbar">
    <a class="brand" href="/">Film artefact lab</a>
    <nav class="mainnav" aria-label="Main"></nav>
    <div class="account"><span class="username" data-testid="username">{e(user)}</span></div>
  </header>
  <main class="page wide">
<div id="annotator" data-scan-id="{scan_id}" data-width="{width}" data-height="{height}"
     data-dzi-url="" data-api="/api/annotation/" data-user="{e(user)}"
     data-readonly="false" data-classes='{e(classes, quote=False)}'
     data-scan-name="benchmark / {e(name)}" data-kind="{'review' if review else 'annotation'}"></div>
  </main>
  <script src="/static/app.js"></script>
  <script src="/static/annotate.js"></script>
</body>
</html>"""


class MockServer:
    """Static files from ``frontend/dist-test``, the annotation page and a read-only annotation API."""

    def __init__(self, scans: dict[int, list[dict]], *, width: int, height: int, review: bool = False):
        self.pages, self.details, self.lists = {}, {}, {}
        for sid, rows in scans.items():
            name = f"{len(rows)} polygons"
            self.pages[sid] = page_html(scan_id=sid, name=name, width=width, height=height, review=review).encode()
            by_class = {c: sum(r["cls"] == c for r in rows) for c in CLASSES}
            self.details[sid] = json.dumps({
                "id": sid, "dataset": "benchmark", "name": name, "width": width, "height": height,
                "tiles_state": "none", "dzi_url": None, "polygon_count": len(rows),
                "progress": {"polygons": len(rows), "by_class": by_class, "assignment": {"done": False}},
                "assignment": {"done": False}}).encode()
            self.lists[sid] = json.dumps(rows).encode()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _route(self, method: str, path: str):
        if method != "GET":
            return 405, b'{"detail": "read-only benchmark server"}', "application/json"
        if path.startswith("/static/"):
            f = (DIST / path[len("/static/"):]).resolve()
            if DIST.resolve() in f.parents and f.is_file():
                ctype = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}.get(f.suffix)
                return 200, f.read_bytes(), ctype or "application/octet-stream"
        if m := re.fullmatch(r"/annotation/scans/(\d+)/", path):
            if int(m[1]) in self.pages:
                return 200, self.pages[int(m[1])], "text/html; charset=utf-8"
        if m := re.fullmatch(r"/api/annotation/scans/(\d+)/(polygons/)?", path):
            if int(m[1]) in self.lists:
                return 200, (self.lists if m[2] else self.details)[int(m[1])], "application/json"
        return 404, b'{"detail": "Not found."}', "application/json"

    def _handler(self):
        route = self._route

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                code, body, ctype = route(self.command, self.path.split("?")[0])
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Set-Cookie", "csrftoken=benchmark; Path=/")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


# ---------------------------------------------------------------- in-page measurements

#: Nudges the view by a fraction of a pixel n times; each frame redraws (cache off) or reuses the cache.
REDRAWS = """async ({n, noCache}) => {
  const v = window.__annotator.viewer, st = window.__annotatorStats;
  const raf = () => new Promise((r) => requestAnimationFrame(r));
  const redraw = [], frame = [], r0 = st.redraws;
  st.flush = true; st.noCache = noCache;
  try {
    for (let i = 0; i < n; i++) {
      const c = v.viewport.getCenter(true);
      c.x += (i % 2 ? 1 : -1) * 1e-5;
      v.viewport.panTo(c, true);
      await raf(); await raf();
      redraw.push(st.lastRedrawMs); frame.push(st.lastFrameMs);
    }
  } finally { st.flush = false; st.noCache = false; }
  return {redraw, frame, redraws: st.redraws - r0, drawn: st.drawn, total: st.total};
}"""

#: The naive baseline: every polygon as a filled and stroked path into a viewer-sized canvas.
NAIVE = """({n}) => {
  const A = window.__annotator, polys = A.polygons(), r = A.viewer.canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1, p0 = A.imageToScreen(0, 0), p1 = A.imageToScreen(1, 0);
  const s = p1.x - p0.x, ox = p0.x - r.left, oy = p0.y - r.top;
  const style = {};
  for (const c of JSON.parse(document.getElementById("annotator").dataset.classes)) {
    const k = (i) => parseInt(c.colour.slice(i, i + 2), 16);
    style[c.key] = [c.colour, `rgba(${k(1)},${k(3)},${k(5)},0.22)`];
  }
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(r.width * dpr); canvas.height = Math.round(r.height * dpr);
  const ctx = canvas.getContext("2d"), out = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, r.width, r.height);
    for (const p of polys) {
      const pts = p.points;
      ctx.beginPath();
      ctx.moveTo(ox + pts[0][0] * s, oy + pts[0][1] * s);
      for (let j = 1; j < pts.length; j++) ctx.lineTo(ox + pts[j][0] * s, oy + pts[j][1] * s);
      ctx.closePath();
      [ctx.strokeStyle, ctx.fillStyle] = style[p.cls];
      ctx.fill(); ctx.stroke();
    }
    ctx.getImageData(0, 0, 1, 1);
    out.push(performance.now() - t0);
  }
  return out;
}"""

#: rAF timestamps into window.__frames until stopped (or 15 s, whichever comes first).
FRAMES_START = """() => {
  const t = window.__frames = [], end = performance.now() + 15000;
  window.__framesStop = false;
  const loop = (ts) => { t.push(ts); if (!window.__framesStop && ts < end) requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
}"""
FRAMES_STOP = """() => { window.__framesStop = true; const t = window.__frames;
  return t.slice(1).map((x, i) => x - t[i]); }"""


def open_editor(page, url: str) -> float:
    """Loads the page; seconds from navigation start to the editor's ``ready``."""
    page.goto(url)
    page.wait_for_function("window.__annotator !== undefined")
    ready_ms = page.evaluate("window.__annotator.ready.then(() => performance.now())")
    page.evaluate("window.__annotator.setTool('select')")
    # Without tiles the viewer shows a grey stand-in at most 1024 px wide, and OpenSeadragon caps the
    # zoom at 8 screen px per stand-in px (about 1 per scan px); a tiled scan is capped at 8 per scan px.
    page.evaluate("""(w) => { const v = window.__annotator.viewer;
      v.viewport.maxZoomPixelRatio = 8 * w / v.world.getItemAt(0).source.dimensions.x; }""", WIDTH)
    page.evaluate("window.__annotator.settled()")
    return ready_ms / 1000


def set_view(page, zoom: float) -> None:
    """Whole scan (zoom 1) or ``zoom`` times closer round the centre, settled."""
    page.evaluate("""(z) => { const v = window.__annotator.viewer.viewport;
      v.goHome(true); if (z !== 1) v.zoomTo(v.getHomeZoom() * z, null, true); }""", zoom)
    page.evaluate("window.__annotator.settled()")


def viewer_centre(page) -> tuple[float, float]:
    box = page.locator(".annot-viewer").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag_pan(page, moves: int, dx: float, dy: float) -> None:
    x, y = viewer_centre(page)
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, moves + 1):
        page.mouse.move(x - dx * i, y - dy * i)
        page.wait_for_timeout(16)
    page.mouse.up()


def wheel_zoom(page, steps: int) -> None:
    page.mouse.move(*viewer_centre(page))
    for delta in [-200] * steps + [200] * steps:
        page.mouse.wheel(0, delta)
        page.wait_for_timeout(120)


SCENARIOS = {  # name: (view zoom, script)
    "drag pan, whole scan": (1, lambda page: drag_pan(page, 12, 15, 6)),
    "drag pan, zoomed 8x": (8, lambda page: drag_pan(page, 12, 40, 15)),  # leaves the cache's margin
    "wheel zoom in and out": (1, lambda page: wheel_zoom(page, 3)),
}


def frame_intervals(page, zoom: float, script, *, no_cache: bool = False) -> list[float]:
    """rAF intervals (ms) while ``script`` drives the mouse, until the view settles."""
    set_view(page, zoom)
    page.evaluate(f"window.__annotatorStats.noCache = {str(no_cache).lower()}")
    page.evaluate(FRAMES_START)
    try:
        script(page)
        page.evaluate("window.__annotator.settled()")
    finally:
        intervals = page.evaluate(FRAMES_STOP)
        page.evaluate("window.__annotatorStats.noCache = false")
    return intervals


def drawer_type(page) -> str:
    return page.evaluate("window.__annotator.viewer.drawer.getType()")


def use_canvas_drawer(page) -> None:
    """Switches OpenSeadragon to its canvas 2D drawer (instead of WebGL, software GL without a GPU)."""
    page.evaluate("window.__annotator.viewer.requestDrawer('canvas', {mainDrawer: true, redrawImmediately: true})")
    page.evaluate("window.__annotator.settled()")


# ---------------------------------------------------------------- report

def q(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def row(label: str, xs: list[float], base_label: str, base: list[float], unit: str = "ms") -> None:
    m, bm = statistics.median(xs), statistics.median(base)
    print(f"  {label:<36} median {m:7.2f} {unit} p90 {q(xs, .9):7.2f} | {base_label:<30} median {bm:7.2f} "
          f"p90 {q(base, .9):7.2f} | ratio {m / bm:#.3g}x (p90 {q(xs, .9) / q(base, .9):#.3g}x)", flush=True)


def redraw_section(page, samples: int, zooms=(1, 8)) -> None:
    for zoom in zooms:
        set_view(page, zoom)
        s = page.evaluate("window.__annotator.imageToScreen(1000, 0).x - window.__annotator.imageToScreen(0, 0).x")
        where = f"{'whole scan' if zoom == 1 else f'zoomed {zoom}x'} ({s / 1000:.3f} screen px per scan px)"
        full = page.evaluate(REDRAWS, {"n": samples, "noCache": True})
        cached = page.evaluate(REDRAWS, {"n": samples, "noCache": False})
        naive = page.evaluate(NAIVE, {"n": max(5, samples // 3)})
        print(f" {where}: {full['drawn']} of {full['total']} polygons in the redrawn region; {full['redraws']}/"
              f"{samples} forced frames redrew, {cached['redraws']}/{samples} cached frames redrew")
        row("full redraw (cache off)", full["redraw"], "naive: every polygon a path", naive)
        row("pan frame from the cache", cached["frame"], "pan frame with the cache off", full["frame"])


def run_scenarios(page, frames: dict, sid: int, drawer: str, *, no_cache_too: bool) -> None:
    """Adds this page's frame intervals to ``frames[(scenario, drawer, sid, no_cache)]``."""
    for name, (zoom, script) in SCENARIOS.items():
        for no_cache in ((False, True) if no_cache_too else (False,)):
            key = (name, drawer, sid, no_cache)
            frames.setdefault(key, []).extend(frame_intervals(page, zoom, script, no_cache=no_cache))


def measure(page, url: str, n: int, args) -> None:
    ready = {FULL_ID: [], EMPTY_ID: []}
    open_editor(page, f"{url}/annotation/scans/{FULL_ID}/")  # warm-up: caches, compiled bundle
    for _ in range(args.loads):
        for sid in (EMPTY_ID, FULL_ID):
            ready[sid].append(open_editor(page, f"{url}/annotation/scans/{sid}/"))
    print(f"page ready (navigation start to editor ready), {args.loads} loads each after a warm-up:")
    row(f"{n} polygons", ready[FULL_ID], "0 polygons", ready[EMPTY_ID], unit="s ")
    frames: dict = {}
    for sid in (EMPTY_ID, FULL_ID):
        open_editor(page, f"{url}/annotation/scans/{sid}/")
        loaded = page.evaluate("window.__annotator.polygons().length")
        if loaded != (n if sid == FULL_ID else 0):
            raise RuntimeError(f"scan {sid}: {loaded} polygons loaded")
        shipped = drawer_type(page)
        run_scenarios(page, frames, sid, shipped, no_cache_too=sid == FULL_ID and shipped == "canvas")
        if shipped != "canvas":  # OpenSeadragon's WebGL drawer runs on software GL without a GPU
            use_canvas_drawer(page)
            run_scenarios(page, frames, sid, "canvas", no_cache_too=sid == FULL_ID)
    print("polygon layer (stats of the editor; OpenSeadragon canvas drawer):")
    redraw_section(page, args.samples)
    for drawer in dict.fromkeys([shipped, "canvas"]):
        print(f"rAF frame intervals during scripted input, OpenSeadragon {drawer} drawer"
              f"{' (as shipped)' if drawer == shipped else ''}; 60 Hz = 16.7 ms:")
        for name in SCENARIOS:
            cached = frames[(name, drawer, FULL_ID, False)]
            row(name, cached, "same, 0 polygons", frames[(name, drawer, EMPTY_ID, False)])
            if (name, drawer, FULL_ID, True) in frames:
                row(name, cached, "same, cache off", frames[(name, drawer, FULL_ID, True)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polygons", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=30, help="redraws timed per view")
    parser.add_argument("--loads", type=int, default=3, help="timed page loads per page")
    parser.add_argument("--viewport", default="1600x1000", help="browser window, WxH CSS px")
    parser.add_argument("--timeout", type=float, default=300, help="watchdog: exit 3 after this many seconds")
    parser.add_argument("--review", action="store_true",
                        help="the editor in review mode (a review set: statuses, every fifth polygon rejected)")
    args = parser.parse_args()
    vw, vh = (int(v) for v in args.viewport.lower().split("x"))
    if not (DIST / "annotate.js").is_file():
        sys.exit(f"{DIST / 'annotate.js'} is missing: run `cd frontend && npm run build` first")
    watchdog = threading.Timer(args.timeout, lambda: (print(f"watchdog: over {args.timeout} s, exiting",
                                                            file=sys.stderr, flush=True), os._exit(3)))
    watchdog.daemon = True
    watchdog.start()
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    artefacts = random_artefacts(count=args.polygons, width=WIDTH, height=HEIGHT, seed=args.seed)
    rows = polygon_rows(artefacts, review=args.review)
    counts = ", ".join(f"{sum(a.cls == c for a in artefacts)} {c}" for c in CLASSES)
    print(f"{len(rows)} polygons ({counts}; {sum(len(r['points']) for r in rows)} vertices) on {WIDTH} x "
          f"{HEIGHT}, seed {args.seed}; Chromium window {vw}x{vh}{'; review mode' if args.review else ''}",
          flush=True)
    errors: list[str] = []
    with MockServer({FULL_ID: rows, EMPTY_ID: []}, width=WIDTH, height=HEIGHT, review=args.review) as server, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                     args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": vw, "height": vh})
            page.set_default_timeout(30000)
            page.on("pageerror", lambda e: errors.append(str(e)))
            measure(page, server.url, len(rows), args)
        finally:
            browser.close()
    watchdog.cancel()
    print(f"page errors: {errors or 'none'}; {time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
