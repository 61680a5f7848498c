// Canvas overlay over the OpenSeadragon viewer. Two canvases: the base layer holds every
// polygon in view (redrawn when the view or the polygons change); the top layer holds the
// selection's handles, the polygon being drawn and drag previews (redrawn on pointer moves,
// which therefore never repaint thousands of polygons).
import { currentTransform } from "./viewer.js";

const HANDLE = 4; // half side of a vertex handle, CSS px
const MID_MIN_EDGE = 24; // midpoint handles only on edges at least this long on screen
const TINY = 3; // polygons smaller than this on screen are drawn as a dot

function rgba(hex, alpha) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
  if (!m) return `rgba(158,158,158,${alpha})`;
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${alpha})`;
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
   * @param {Array<{key,colour}>} o.classes
   * @param {() => object} o.scene what the top layer shows: {selectedKey, hiddenKey, preview, drawing, cursor, handles}
   * @param {object} o.stats object updated after each base redraw (window.__annotatorStats)
   */
  constructor({ viewer, store, width, classes, scene, stats }) {
    this.viewer = viewer;
    this.store = store;
    this.width = width;
    this.scene = scene;
    this.stats = stats;
    this.style = new Map();
    for (const c of classes) this.style.set(c.key, { stroke: c.colour, fill: rgba(c.colour, 0.22) });
    this.fallback = { stroke: "#9e9e9e", fill: rgba("#9e9e9e", 0.22) };
    this.base = makeCanvas(viewer.canvas, "annot-layer");
    this.top = makeCanvas(viewer.canvas, "annot-layer");
    this.bctx = this.base.getContext("2d");
    this.tctx = this.top.getContext("2d");
    this.dirtyBase = this.dirtyTop = true;
    this.lastKey = "";
    this.raf = 0;
    this.buckets = new Map();
    this.found = [];
    this.durations = [];
    this.resize();
    new ResizeObserver(() => this.resize()).observe(viewer.canvas);
    viewer.addHandler("update-viewport", () => this.frame());
    viewer.addHandler("resize", () => this.invalidate());
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
    if (moved || this.dirtyBase) this.drawBase(t);
    if (moved || this.dirtyTop) this.drawTop(t);
    this.dirtyBase = this.dirtyTop = false;
  }

  drawBase({ s, ox, oy }) {
    const t0 = performance.now();
    const ctx = this.bctx;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.cssW, this.cssH);
    const found = this.store.query(-ox / s, -oy / s, (this.cssW - ox) / s, (this.cssH - oy) / s, (this.found.length = 0, this.found));
    const hidden = this.scene().hiddenKey;
    for (const b of this.buckets.values()) b.length = 0;
    for (const rec of found) {
      let b = this.buckets.get(rec.state.cls);
      if (!b) this.buckets.set(rec.state.cls, (b = []));
      if (rec.key !== hidden) b.push(rec);
    }
    ctx.lineWidth = 1.25;
    ctx.lineJoin = "round";
    for (const [cls, recs] of this.buckets) {
      if (!recs.length) continue;
      const st = this.style.get(cls) || this.fallback;
      ctx.beginPath();
      let tiny = 0;
      for (const rec of recs) {
        const b = rec.bbox;
        if ((b[2] - b[0]) * s < TINY && (b[3] - b[1]) * s < TINY) {
          tiny++;
          continue;
        }
        traceScreen(ctx, rec.state.points, s, ox, oy);
      }
      ctx.fillStyle = st.fill;
      ctx.fill();
      ctx.strokeStyle = st.stroke;
      ctx.stroke();
      if (tiny) {
        ctx.fillStyle = st.stroke;
        ctx.beginPath();
        for (const rec of recs) {
          const b = rec.bbox;
          if ((b[2] - b[0]) * s >= TINY || (b[3] - b[1]) * s >= TINY) continue;
          ctx.rect(ox + ((b[0] + b[2]) / 2) * s - 1, oy + ((b[1] + b[3]) / 2) * s - 1, 2, 2);
        }
        ctx.fill();
      }
    }
    if (this.stats.flush) ctx.getImageData(0, 0, 1, 1); // benchmark: wait for rasterisation
    this._record(performance.now() - t0, found.length);
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
      const st = this.style.get(rec.state.cls) || this.fallback;
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
    ctx.fillStyle = "#fff";
    ctx.beginPath();
    for (const [x, y] of pts) {
      const sx = X(x), sy = Y(y);
      if (inView(sx, sy)) ctx.rect(sx - HANDLE, sy - HANDLE, 2 * HANDLE, 2 * HANDLE);
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
