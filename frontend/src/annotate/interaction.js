// Pointer and keyboard handling on the viewer: drawing new polygons, selecting, dragging and
// inserting vertices. Panning and zooming stay OpenSeadragon's: a drag pans unless it starts on
// a handle or a polygon is being drawn (then it traces vertices; hold Space to pan instead).
import { dedupePoints, distSqToOutline, pointInPolygon, polygonArea } from "./geometry.js";

const HANDLE_HIT = 8; // px round a vertex handle that grabs it
const MID_HIT = 6;
const MID_MIN_EDGE = 24; // same as the renderer
const CLOSE_HIT = 9; // px round the first vertex that closes the polygon (less on tiny polygons)
const TRACE_STEP = 6; // px between vertices traced by dragging while drawing
const PICK_TOL = 4; // px round an outline that still selects it

const dist = (a, b) => Math.hypot(a.x - b.x, a.y - b.y);

function isTextField(el) {
  return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
}

export class Interaction {
  constructor(editor) {
    this.ed = editor;
    this.viewer = editor.viewer;
    this.drawing = null; // {points: [[x, y], ...]} in image px
    this.drag = null; // {key, index, points, moved}
    this.tracing = false;
    this.cursor = null; // container px
    this.closeHot = false;
    this.hoverKey = null;
    this.spaceHeld = false;
    this.lastDragEnd = 0;
    this.suppress = null; // {until, at}: clicks of the double-click that closed a polygon
    this.lastPick = null;
    this._bindViewer();
    document.addEventListener("keydown", (e) => this.onKeyDown(e));
    document.addEventListener("keyup", (e) => {
      if (e.key === " ") this.spaceHeld = false;
    });
  }

  // ---- coordinates ----
  toImage(pos, clamp = true) {
    const { s, ox, oy } = this.ed.renderer.transform();
    let x = (pos.x - ox) / s, y = (pos.y - oy) / s;
    if (clamp) {
      x = Math.min(this.ed.width, Math.max(0, x));
      y = Math.min(this.ed.height, Math.max(0, y));
    }
    return [x, y];
  }

  toScreen([x, y]) {
    const { s, ox, oy } = this.ed.renderer.transform();
    return { x: ox + x * s, y: oy + y * s };
  }

  scene() {
    return {
      selectedKey: this.ed.selectedKey,
      hoverKey: this.hoverKey,
      hiddenKey: this.drag ? this.drag.key : null,
      preview: this.drag,
      drawing: this.drawing && { points: this.drawing.points, cls: this.ed.currentClass },
      cursor: this.drawing && !this.tracing ? this.cursor : null,
      closeHot: this.closeHot,
      handles: !this.ed.readonly,
    };
  }

  // ---- viewer events ----
  _bindViewer() {
    const v = this.viewer;
    v.addHandler("canvas-press", (e) => this.onPress(e));
    v.addHandler("canvas-drag", (e) => this.onDrag(e));
    v.addHandler("canvas-drag-end", (e) => {
      if (this.drag || this.tracing) e.preventDefaultAction = true;
    });
    v.addHandler("canvas-release", (e) => this.onRelease(e));
    v.addHandler("canvas-click", (e) => this.onClick(e));
    v.addHandler("canvas-double-click", (e) => this.onDoubleClick(e));
    v.addHandler("canvas-nonprimary-press", (e) => {
      if (e.button === 2) this.deleteVertexAt(e.position);
    });
    v.addHandler("canvas-key", (e) => {
      // no rotation or flipping of the scan; our own shortcuts are handled on the document
      if (/^[rRfF]$/.test(e.originalEvent.key)) e.preventDefaultAction = true;
    });
    const el = v.canvas;
    el.addEventListener("contextmenu", (e) => e.preventDefault());
    el.addEventListener("pointermove", (e) => this.onMove(e), { passive: true });
    el.addEventListener("pointerleave", () => {
      this.cursor = null;
      this.hoverKey = null;
      this.ed.renderer.invalidate("top");
    });
  }

  _local(e) {
    const r = this.viewer.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  onPress(e) {
    this.pressPos = e.position;
    this.tracing = false;
    if (this.ed.readonly || this.drawing) return;
    const h = this.handleAt(e.position);
    if (!h) return;
    if (e.originalEvent && e.originalEvent.altKey) {
      this.deleteVertexAt(e.position);
      return;
    }
    const rec = this.ed.store.get(this.ed.selectedKey);
    const points = rec.state.points.map((p) => p.slice());
    if (h.kind === "insert") points.splice(h.index, 0, this.toImage(e.position));
    this.drag = { key: rec.key, index: h.index, points, moved: h.kind === "insert" };
    this.ed.renderer.invalidate();
  }

  onDrag(e) {
    if (this.drag) {
      e.preventDefaultAction = true;
      this.drag.points[this.drag.index] = this.toImage(e.position);
      this.drag.moved = true;
      this.ed.renderer.invalidate("top");
      return;
    }
    if (this.drawing && !this.spaceHeld && !this.ed.readonly) {
      e.preventDefaultAction = true;
      if (!this.tracing) {
        this.tracing = true;
        this.addPoint(this.pressPos, 3);
      }
      this.addPoint(e.position, TRACE_STEP);
    }
  }

  onRelease(e) {
    if (this.drag) {
      const { key, points, moved } = this.drag;
      this.drag = null;
      this.lastDragEnd = performance.now();
      if (moved) this.ed.editPoints(key, points, "Move vertex");
      this.ed.renderer.invalidate();
    } else if (this.tracing) {
      this.addPoint(e.position, 3);
      this.tracing = false;
      this.lastDragEnd = performance.now();
    }
  }

  onClick(e) {
    e.preventDefaultAction = true;
    if (!e.quick || performance.now() - this.lastDragEnd < 150) return;
    if (this.suppress && performance.now() < this.suppress.until && dist(e.position, this.suppress.at) < 20) return;
    if (this.ed.tool === "draw" && !this.ed.readonly) this.drawClick(e.position);
    else this.pick(e.position);
  }

  onDoubleClick(e) {
    e.preventDefaultAction = true;
    if (!this.drawing) return;
    const pts = this.drawing.points;
    // the second click of the double-click added a vertex on top of the first one
    while (pts.length > 1 && dist(this.toScreen(pts[pts.length - 1]), this.toScreen(pts[pts.length - 2])) < 6) pts.pop();
    this.finish();
  }

  onMove(e) {
    const pos = this._local(e);
    this.cursor = pos;
    let cursor = this.ed.tool === "draw" && !this.ed.readonly ? "crosshair" : "default";
    if (this.drawing) {
      const pts = this.drawing.points;
      this.closeHot = this.nearFirst(pos);
      if (this.closeHot) cursor = "pointer";
      this.ed.renderer.invalidate("top");
    } else if (this.drag) {
      cursor = "grabbing";
    } else {
      const h = this.ed.readonly ? null : this.handleAt(pos);
      const hover = h || this.ed.tool === "draw" ? null : this.pickAll(pos)[0] || null;
      if (h) cursor = h.kind === "vertex" ? "move" : "copy";
      else if (hover) cursor = "pointer";
      if (hover !== this.hoverKey) {
        this.hoverKey = hover;
        this.ed.renderer.invalidate("top");
      }
    }
    if (this.viewer.canvas.style.cursor !== cursor) this.viewer.canvas.style.cursor = cursor;
  }

  // ---- drawing ----
  addPoint(pos, minStep = 1) {
    const pts = this.drawing.points;
    if (pts.length && dist(pos, this.toScreen(pts[pts.length - 1])) < minStep) return;
    pts.push(this.toImage(pos));
    this.ed.renderer.invalidate("top");
  }

  drawClick(pos) {
    if (!this.drawing) {
      this.ed.select(null);
      this.drawing = { points: [] };
    }
    if (this.nearFirst(pos)) {
      this.suppress = { until: performance.now() + 400, at: pos };
      this.finish();
      return;
    }
    this.addPoint(pos);
  }

  /** True when a click at pos would close the polygon: near its first vertex, scaled down on tiny polygons. */
  nearFirst(pos) {
    const pts = this.drawing ? this.drawing.points : [];
    if (pts.length < 3) return false;
    const scr = pts.map((p) => this.toScreen(p));
    const xs = scr.map((p) => p.x), ys = scr.map((p) => p.y);
    const extent = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
    return dist(pos, scr[0]) <= Math.min(CLOSE_HIT, Math.max(3, extent / 3));
  }

  /** Closes the polygon being drawn; returns false (and keeps drawing) when it is degenerate. */
  finish() {
    if (!this.drawing) return false;
    const pts = dedupePoints(this.drawing.points);
    if (pts.length < 3 || polygonArea(pts) <= 1e-6) {
      this.ed.notice("A polygon needs at least three vertices that enclose an area.", "warn");
      return false;
    }
    this.drawing = null;
    this.closeHot = false;
    this.ed.addPolygon(pts);
    return true;
  }

  cancelDrawing() {
    this.drawing = null;
    this.tracing = false;
    this.closeHot = false;
    this.ed.renderer.invalidate("top");
  }

  removeLastVertex() {
    this.drawing.points.pop();
    if (!this.drawing.points.length) this.drawing = null;
    this.ed.renderer.invalidate("top");
  }

  // ---- selection and handles ----
  /** Keys of the polygons under a screen point, smallest (then topmost) first. */
  pickAll(pos) {
    const { s } = this.ed.renderer.transform();
    const [x, y] = this.toImage(pos, false);
    const tol = PICK_TOL / s;
    const hits = this.ed.store.query(x - tol, y - tol, x + tol, y + tol).filter((rec) => {
      const b = rec.bbox;
      if ((b[2] - b[0]) * s < 2 * PICK_TOL && (b[3] - b[1]) * s < 2 * PICK_TOL) return true;
      const pts = rec.state.points;
      return pointInPolygon(x, y, pts) || distSqToOutline(x, y, pts) <= tol * tol;
    });
    hits.sort((a, b) => a.area - b.area || b.seq - a.seq);
    return hits.map((r) => r.key);
  }

  /** Selects the polygon under the point; clicking the same spot again cycles through overlaps. */
  pick(pos) {
    const hits = this.pickAll(pos);
    let key = hits[0] || null;
    const again = this.lastPick && dist(pos, this.lastPick) < 4;
    const i = hits.indexOf(this.ed.selectedKey);
    if (this.ed.review && i >= 0 && hits.length === 1) {
      // review: one click on the selected component rejects or restores it
      this.lastPick = pos;
      this.ed.review.toggle();
      return;
    }
    if (again && i >= 0) key = hits[(i + 1) % hits.length];
    this.lastPick = pos;
    this.ed.select(key);
  }

  /** The selected polygon's vertex or midpoint handle under a screen point. */
  handleAt(pos) {
    const rec = this.ed.selectedKey ? this.ed.store.get(this.ed.selectedKey) : null;
    if (!rec || !rec.state || this.drawing) return null;
    const pts = rec.state.points;
    const scr = pts.map((p) => this.toScreen(p));
    let best = null, bestD = HANDLE_HIT;
    scr.forEach((p, i) => {
      const d = dist(p, pos);
      if (d <= bestD) (best = { kind: "vertex", index: i }), (bestD = d);
    });
    if (best) return best;
    for (let i = 0; i < scr.length; i++) {
      const a = scr[i], b = scr[(i + 1) % scr.length];
      if (dist(a, b) < MID_MIN_EDGE) continue;
      if (dist({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }, pos) <= MID_HIT) return { kind: "insert", index: i + 1 };
    }
    return null;
  }

  deleteVertexAt(pos) {
    if (this.ed.readonly) return;
    const h = this.handleAt(pos);
    if (!h || h.kind !== "vertex") return;
    const rec = this.ed.store.get(this.ed.selectedKey);
    if (rec.state.points.length <= 3) {
      this.ed.notice("A polygon keeps at least three vertices: delete the polygon instead.", "warn");
      return;
    }
    const points = rec.state.points.filter((_, i) => i !== h.index);
    this.ed.editPoints(rec.key, points, "Delete vertex");
  }

  // ---- keyboard ----
  /** The review's own keys (N/P, Tab/Shift+Tab, X, D); true when the key was one. */
  onReviewKey(key, shift) {
    const ed = this.ed;
    if (key === "Tab" || /^[nNpP]$/.test(key)) ed.step(key === "Tab" ? (shift ? -1 : 1) : /^[nN]$/.test(key) ? 1 : -1);
    else if (/^[xX]$/.test(key)) ed.review.toggle();
    else if (/^[dD]$/.test(key)) ed.setTool("draw");
    else return false;
    return true;
  }

  onKeyDown(e) {
    if (isTextField(e.target)) return;
    const ed = this.ed;
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key;
    if (mod && !e.altKey && (key === "z" || key === "Z")) {
      e.preventDefault();
      if (e.shiftKey) ed.redo();
      else if (this.drawing) this.removeLastVertex();
      else ed.undo();
      return;
    }
    if (mod && !e.altKey && (key === "y" || key === "Y")) {
      e.preventDefault();
      ed.redo();
      return;
    }
    if (mod || e.altKey) return;
    if (e.target && e.target.tagName === "BUTTON" && (key === "Enter" || key === " ")) return;
    if (ed.review && !this.drawing && this.onReviewKey(key, e.shiftKey)) {
      e.preventDefault();
      return;
    }
    const n = /^[1-9]$/.test(key) ? Number(key) : 0;
    if (n && n <= ed.classes.length) {
      ed.chooseClass(ed.classes[n - 1].key);
    } else if (key === "Escape") {
      if (this.drag) this.drag = null, ed.renderer.invalidate();
      else if (this.drawing) this.cancelDrawing();
      else ed.select(null);
    } else if (key === "Enter") {
      if (!this.drawing) return;
      this.finish();
    } else if (key === "Backspace" || key === "Delete") {
      if (this.drawing) this.removeLastVertex();
      else if (ed.selectedKey) ed.deleteSelected();
      else return;
    } else if (key === " ") {
      this.spaceHeld = true; // Space + drag pans while drawing
    } else if (/^[nNpP]$/.test(key)) {
      ed.setTool("draw");
    } else if (/^[vV]$/.test(key)) {
      ed.setTool("select");
    } else if (key === "[" || key === "]") {
      ed.step(key === "]" ? 1 : -1);
    } else if (/^[fF]$/.test(key)) {
      ed.zoomToSelected();
    } else if (key === "?" || key === "h" || key === "H") {
      ed.ui.toggleHelp();
    } else {
      return;
    }
    e.preventDefault();
  }
}
