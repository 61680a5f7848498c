// Canvas overlay over the OpenSeadragon viewer. Two canvases: the base layer holds every
// polygon in view, the top layer the selection's handles, the polygon being drawn and drag
// previews (redrawn on pointer moves, which therefore never repaint thousands of polygons).
//
// The base layer is rendered into an off-screen cache that covers the view plus a margin;
// frames that only pan copy the cache at an offset, frames in a zoom animation scale it, and
// the polygons are drawn again only when they change, the zoom settles, or the view leaves
// the cache. So panning and zooming cost a bitmap copy however many polygons there are.
import { currentTransform } from "./viewer.js";

const HANDLE = 4; // half side of a vertex handle, CSS px
const MID_MIN_EDGE = 24; // midpoint handles only on edges at least this long on screen
const TINY = 3; // polygons smaller than this on screen are drawn as a dot
const MARGIN = 0.25; // cache margin on each side, as a share of the view
const MAX_CACHE_PX = 16e6; // device pixels; larger views (4K at dpr 2) get a thinner margin
const MAX_SCALE = 2; // during a zoom animation the cache is scaled by at most this (or 1/this)

function rgba(hex, alpha) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
  if (!m) return `rgba(158,158,158,${alpha})`;
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${alpha})`;
}

/** Diagonal red cross-hatching, the fill of a rejected component (struck through). */
function hatch(ctx) {
  const c = document.createElement("canvas");
  c.width = c.height = 8;
  const g = c.getContext("2d");
  g.strokeStyle = "rgba(229,57,53,0.75)";
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(0, 8);
  g.lineTo(8, 0);
  g.moveTo(0, 0);
  g.lineTo(8, 8);
  g.stroke();
  return ctx.createPattern(c, "repeat");
}

function makeCanvas(parent, cls) {
  const c = document.createElement("canvas");
  c.className = cls;
  parent.appendChild(c);
  return c;
}

export class OverlayRenderer {
  /**
   * @param {object} o
   * @param {import("openseadragon").Viewer} o.viewer
   * @param {import("./store.js").PolygonStore} o.store
   * @param {number} o.width scan width in pixels
   * @param {number} o.height scan height in pixels
   * @param {Array<{key,colour}>} o.classes
   * @param {() => object} o.scene what the top layer shows: {selectedKey, hiddenKey, preview, drawing, cursor, handles}
   * @param {object} o.stats object updated after each redraw (the test build's window.__annotatorStats)
   */
  constructor({ viewer, store, width, height, classes, scene, stats, review = false }) {
    this.viewer = viewer;
    this.store = store;
    this.width = width;
    this.height = height;
    this.scene = scene;
    this.stats = stats;
    this.style = new Map();
    for (const c of classes) this.style.set(c.key, { stroke: c.colour, fill: rgba(c.colour, 0.22) });
    this.fallback = { stroke: "#9e9e9e", fill: rgba("#9e9e9e", 0.22) };
    this.base = makeCanvas(viewer.canvas, "annot-layer");
    this.top = makeCanvas(viewer.canvas, "annot-layer");
    this.bctx = this.base.getContext("2d");
    this.tctx = this.top.getContext("2d");
    this.cache = document.createElement("canvas");
    this.cctx = this.cache.getContext("2d");
    // review sets: proposed and kept components light, rejected ones red, dashed and hatched, added ones in
    // their class's colour; the style key of a polygon is its status there, its class elsewhere
    this.review = review;
    this.statusStyle = {
      proposed: { stroke: "rgba(255,255,255,0.9)", fill: "rgba(255,255,255,0.14)", dash: [] },
      kept: { stroke: "#b9f6ca", fill: "rgba(185,246,202,0.16)", dash: [] },
      rejected: { stroke: "#e53935", fill: hatch(this.cctx), dash: [4, 3], cross: true },
    };
    this.cached = null; // {s, ox, oy, rx, ry, rw, rh, at}: the transform and region the cache was drawn for
    this.dirtyBase = this.dirtyTop = true;
    this.animating = false;
    this.lastKey = "";
    this.raf = 0;
    this.found = [];
    this.durations = [];
    this.resize();
    new ResizeObserver(() => this.resize()).observe(viewer.canvas);
    viewer.addHandler("update-viewport", () => this.frame());
    viewer.addHandler("resize", () => this.invalidate());
    viewer.addHandler("animation-start", () => (this.animating = true));
    viewer.addHandler("animation-finish", () => {
      this.animating = false;
      this.settle = true; // redraw sharp if the animation ended on a scaled cache
      this.invalidate("top");
    });
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = this.viewer.canvas.clientWidth, h = this.viewer.canvas.clientHeight;
    for (const c of [this.base, this.top]) {
      c.width = Math.max(1, Math.round(w * dpr));
      c.height = Math.max(1, Math.round(h * dpr));
    }
    this.cssW = w;
    this.cssH = h;
    this.dpr = dpr;
    this.invalidate();
  }

  /** Marks a layer ("base", "top" or both) for redrawing on the next animation frame. */
  invalidate(layer = "both") {
    if (layer !== "top") this.dirtyBase = true;
    if (layer !== "base") this.dirtyTop = true;
    if (!this.raf) this.raf = requestAnimationFrame(() => this.frame());
  }

  transform() {
    return currentTransform(this.viewer, this.width);
  }

  frame() {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    if (!this.viewer.world.getItemCount()) return;
    const t = this.transform();
    const key = `${t.s},${t.ox},${t.oy},${this.cssW},${this.cssH}`;
    const moved = key !== this.lastKey;
    this.lastKey = key;
    if (moved || this.dirtyBase || this.settle) this.drawBase(t, this.dirtyBase);
    if (moved || this.dirtyTop) this.drawTop(t);
    this.dirtyBase = this.dirtyTop = this.settle = false;
  }

  /** Shows the polygons at transform t: from the cache when it can stand in, else redrawn. */
  drawBase(t, changed) {
    const t0 = performance.now();
    const c = this.cached;
    const k = c ? t.s / c.s : 1;
    // pure pan: reuse while the view stays inside the cache; zoom animation: scale it a little
    const reuse = !changed && !this.stats.noCache && c && this._covers(t, c, k) &&
      (Math.abs(k - 1) < 1e-9 || (this.animating && k < MAX_SCALE && k > 1 / MAX_SCALE));
    if (!reuse) this._render(t);
    const d = this.cached;
    const kk = t.s / d.s;
    const ctx = this.bctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.base.width, this.base.height);
    const dx = (t.ox + (d.rx - d.ox) * kk) * this.dpr, dy = (t.oy + (d.ry - d.oy) * kk) * this.dpr;
    if (Math.abs(kk - 1) < 1e-9) ctx.drawImage(this.cache, Math.round(dx), Math.round(dy));
    else ctx.drawImage(this.cache, dx, dy, this.cache.width * kk, this.cache.height * kk);
    this.stats.lastFrameMs = performance.now() - t0;
    if (reuse) this.stats.reused = (this.stats.reused || 0) + 1;
  }

  /** True when the cache drawn at c, scaled by k, holds everything of the scan that t shows. */
  _covers(t, c, k) {
    const [x0, y0, x1, y1] = this._region(t, 0);
    const cx = t.ox + (c.rx - c.ox) * k, cy = t.oy + (c.ry - c.oy) * k; // cache corner now
    return x0 >= cx - 0.5 && y0 >= cy - 0.5 && x1 <= cx + c.rw * k + 0.5 && y1 <= cy + c.rh * k + 0.5;
  }

  /** The part of the scan in view (plus a margin share), in container px, as [x0, y0, x1, y1]. */
  _region({ s, ox, oy }, margin) {
    const mx = this.cssW * margin, my = this.cssH * margin;
    const x0 = Math.max(-mx, Math.floor(ox) - 2), y0 = Math.max(-my, Math.floor(oy) - 2);
    const x1 = Math.min(this.cssW + mx, Math.ceil(ox + this.width * s) + 2);
    const y1 = Math.min(this.cssH + my, Math.ceil(oy + this.height * s) + 2);
    return [Math.floor(x0), Math.floor(y0), Math.max(Math.floor(x0) + 1, Math.ceil(x1)), Math.max(Math.floor(y0) + 1, Math.ceil(y1))];
  }

  /** Draws every polygon in the view plus margin into the cache. */
  _render(t) {
    const t0 = performance.now();
    const { s, ox, oy } = t;
    const big = this.cssW * this.cssH * this.dpr * this.dpr * (1 + 2 * MARGIN) ** 2 > MAX_CACHE_PX;
    const [rx, ry, rx1, ry1] = this._region(t, big ? 0.05 : MARGIN);
    const rw = rx1 - rx, rh = ry1 - ry;
    const W = Math.ceil(rw * this.dpr), H = Math.ceil(rh * this.dpr);
    if (this.cache.width !== W || this.cache.height !== H) {
      this.cache.width = W;
      this.cache.height = H;
    }
    const ctx = this.cctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, W, H);
    ctx.setTransform(this.dpr, 0, 0, this.dpr, -rx * this.dpr, -ry * this.dpr);
    const found = this.store.query((rx - ox) / s, (ry - oy) / s, (rx1 - ox) / s, (ry1 - oy) / s, (this.found.length = 0, this.found));
    found.sort((a, b) => a.seq - b.seq);
    const hidden = this.scene().hiddenKey;
    ctx.lineWidth = 1;
    ctx.lineJoin = "miter";
    let style = null, cls = null;
    for (const rec of found) {
      if (rec.key === hidden) continue;
      // the style key: the class, and in a review set the class and status (status styles cover the class)
      const sk = this.review ? `${rec.state.cls}\n${rec.state.status}` : rec.state.cls;
      if (sk !== cls) {
        cls = sk;
        style = this.styleOf(rec.state);
        ctx.strokeStyle = style.stroke;
        ctx.setLineDash(style.dash || []);
      }
      const b = rec.bbox;
      if ((b[2] - b[0]) * s < TINY && (b[3] - b[1]) * s < TINY) {
        // a path per sub-pixel polygon costs far more than a 2 px square
        ctx.fillStyle = style.stroke;
        ctx.fillRect(ox + ((b[0] + b[2]) / 2) * s - 1, oy + ((b[1] + b[3]) / 2) * s - 1, 2, 2);
        continue;
      }
      // one path per polygon: Chromium slows down sharply on one path with thousands of subpaths
      ctx.beginPath();
      traceScreen(ctx, rec.state.points, s, ox, oy);
      ctx.fillStyle = style.fill;
      ctx.fill();
      ctx.stroke();
      if (style.cross) { // struck through: the diagonals of its box
        const x0 = ox + b[0] * s, y0 = oy + b[1] * s, x1 = ox + b[2] * s, y1 = oy + b[3] * s;
        ctx.beginPath();
        ctx.moveTo(x0, y0);
        ctx.lineTo(x1, y1);
        ctx.moveTo(x0, y1);
        ctx.lineTo(x1, y0);
        ctx.stroke();
      }
    }
    ctx.setLineDash([]);
    if (this.stats.flush) ctx.getImageData(0, 0, 1, 1); // benchmark: wait for rasterisation
    this.cached = { s, ox, oy, rx, ry, rw, rh };
    this._record(performance.now() - t0, found.length);
  }

  /** The stroke, fill and dash of a polygon state. */
  styleOf(state) {
    if (this.review && this.statusStyle[state.status]) return this.statusStyle[state.status];
    return this.style.get(state.cls) || this.fallback;
  }

  _record(ms, drawn) {
    const d = this.durations;
    d.push(ms);
    if (d.length > 120) d.shift();
    const st = this.stats;
    st.lastRedrawMs = ms;
    st.drawn = drawn;
    st.total = this.store.size;
    st.redraws = (st.redraws || 0) + 1;
    st.meanRedrawMs = d.reduce((a, b) => a + b, 0) / d.length;
    st.maxRedrawMs = Math.max(...d);
  }

  drawTop({ s, ox, oy }) {
    const ctx = this.tctx;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.cssW, this.cssH);
    const sc = this.scene();
    const X = (x) => ox + x * s, Y = (y) => oy + y * s;
    if (sc.hoverKey && sc.hoverKey !== sc.selectedKey) {
      const rec = this.store.get(sc.hoverKey);
      if (rec && rec.state) {
        ctx.beginPath();
        traceScreen(ctx, rec.state.points, s, ox, oy);
        ctx.strokeStyle = "rgba(255,255,255,0.9)";
        ctx.lineWidth = 2;
        ctx.stroke();
      }
    }
    const rec = sc.selectedKey ? this.store.get(sc.selectedKey) : null;
    if (rec && rec.state) {
      const pts = sc.preview && sc.preview.key === rec.key ? sc.preview.points : rec.state.points;
      const st = this.styleOf(rec.state);
      ctx.beginPath();
      traceScreen(ctx, pts, s, ox, oy, 0);
      ctx.fillStyle = st.fill;
      ctx.fill();
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 4;
      ctx.stroke();
      ctx.strokeStyle = st.stroke;
      ctx.lineWidth = 2;
      ctx.stroke();
      if (sc.handles) this._handles(ctx, pts, st.stroke, X, Y);
    }
    if (sc.drawing) this._drawing(ctx, sc, X, Y);
  }

  _handles(ctx, pts, colour, X, Y) {
    const n = pts.length;
    const inView = (x, y) => x > -10 && y > -10 && x < this.cssW + 10 && y < this.cssH + 10;
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = colour;
    ctx.fillStyle = "rgba(255,255,255,0.75)";
    ctx.beginPath();
    for (let i = 0; i < n; i++) {
      const a = pts[i], b = pts[(i + 1) % n];
      const ax = X(a[0]), ay = Y(a[1]), bx = X(b[0]), by = Y(b[1]);
      if (Math.hypot(bx - ax, by - ay) < MID_MIN_EDGE) continue;
      const mx = (ax + bx) / 2, my = (ay + by) / 2;
      if (!inView(mx, my)) continue;
      ctx.moveTo(mx + 3, my);
      ctx.arc(mx, my, 3, 0, 2 * Math.PI);
    }
    ctx.fill();
    ctx.stroke();
    // dense vertices get smaller handles so that the outline stays readable
    let perimeter = 0;
    for (let i = 0; i < n; i++) perimeter += Math.hypot(X(pts[(i + 1) % n][0]) - X(pts[i][0]), Y(pts[(i + 1) % n][1]) - Y(pts[i][1]));
    const hs = perimeter / n < 4 * HANDLE ? HANDLE / 2 : HANDLE;
    ctx.fillStyle = "#fff";
    ctx.beginPath();
    for (const [x, y] of pts) {
      const sx = X(x), sy = Y(y);
      if (inView(sx, sy)) ctx.rect(sx - hs, sy - hs, 2 * hs, 2 * hs);
    }
    ctx.fill();
    ctx.stroke();
  }

  _drawing(ctx, sc, X, Y) {
    const { points, cls } = sc.drawing;
    const st = this.style.get(cls) || this.fallback;
    if (!points.length) return;
    ctx.beginPath();
    ctx.moveTo(X(points[0][0]), Y(points[0][1]));
    for (const [x, y] of points) ctx.lineTo(X(x), Y(y));
    ctx.strokeStyle = st.stroke;
    ctx.lineWidth = 2;
    ctx.setLineDash([]);
    ctx.stroke();
    if (sc.cursor) {
      const last = points[points.length - 1];
      ctx.beginPath();
      ctx.moveTo(X(last[0]), Y(last[1]));
      ctx.lineTo(sc.cursor.x, sc.cursor.y);
      if (points.length >= 2) ctx.lineTo(X(points[0][0]), Y(points[0][1]));
      ctx.setLineDash([5, 4]);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.fillStyle = "#fff";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (const [x, y] of points) ctx.rect(X(x) - 3, Y(y) - 3, 6, 6);
    ctx.fill();
    ctx.stroke();
    if (points.length >= 3) {
      ctx.beginPath();
      ctx.arc(X(points[0][0]), Y(points[0][1]), sc.closeHot ? 9 : 7, 0, 2 * Math.PI);
      ctx.lineWidth = sc.closeHot ? 3 : 2;
      ctx.strokeStyle = sc.closeHot ? "#fff" : st.stroke;
      ctx.stroke();
    }
  }
}

/** Adds a closed polygon to the current path in screen px, skipping sub-pixel steps. */
function traceScreen(ctx, pts, s, ox, oy, minStep = 0.75) {
  let px = ox + pts[0][0] * s, py = oy + pts[0][1] * s;
  ctx.moveTo(px, py);
  for (let i = 1; i < pts.length; i++) {
    const qx = ox + pts[i][0] * s, qy = oy + pts[i][1] * s;
    if (Math.abs(qx - px) + Math.abs(qy - py) < minStep) continue;
    ctx.lineTo(qx, qy);
    px = qx;
    py = qy;
  }
  ctx.closePath();
}
