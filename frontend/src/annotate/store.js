// The polygons of one scan, as the editor sees them, and as the server last confirmed them.
//
// Each polygon is a record with a client `key` that never changes (the server `id` arrives
// later, and changes when an undone delete is re-created). `rec.state` is what the user
// sees ({cls, points} or null when deleted locally); `rec.saved` is the last state the
// server confirmed (null when the server does not hold it). States are immutable objects:
// every edit builds a new one, so "unsaved" is a cheap comparison.
import { bboxOf, polygonArea, samePoints } from "./geometry.js";
import { SpatialGrid } from "./grid.js";


/** A random UUID (v4); crypto.randomUUID needs a secure context, getRandomValues does not. */
export function newClientKey() {
  if (globalThis.crypto?.randomUUID && globalThis.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A polygon as the user sees it; `status` is its review status in a review set ("" elsewhere). */
export function makeState(cls, points, status = "") {
  return Object.freeze({ cls, points: Object.freeze(points.map((p) => [Number(p[0]), Number(p[1])])), status: status || "" });
}

/** The same state with another review status (the points are shared, not copied). */
export function withStatus(state, status) {
  return Object.freeze({ cls: state.cls, points: state.points, status });
}

export function sameState(a, b) {
  if (a === b) return true;
  if (!a || !b) return false;
  return a.cls === b.cls && (a.status || "") === (b.status || "") && samePoints(a.points, b.points);
}

export class PolygonStore {
  constructor({ width, height, cellSize = 256 }) {
    this.width = width;
    this.height = height;
    this.grid = new SpatialGrid(width, height, cellSize);
    this.records = new Map(); // key -> record
    this.byId = new Map(); // server id -> record
    this.counts = new Map(); // class -> visible polygons
    this.nextKey = 1;
    this.nextSeq = 1;
    this.listeners = new Set();
  }

  onChange(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  _emit(rec) {
    for (const fn of this.listeners) fn(rec);
  }

  get(key) {
    return this.records.get(key) || null;
  }

  byServerId(id) {
    return this.byId.get(id) || null;
  }

  /** Number of polygons the user sees. */
  get size() {
    return this.grid.size;
  }

  _newRecord(key = this.nextKey++) {
    const rec = {
      key, id: null, version: null, state: null, saved: null, seq: this.nextSeq++,
      meta: {}, bbox: null, area: 0, _stamp: 0,
      // sent with the POST that stores a drawn polygon: a retry after a lost reply creates nothing new
      clientKey: newClientKey(),
    };
    this.records.set(key, rec);
    return rec;
  }

  /** Replaces everything with the server's list (the GET endpoint's items). */
  load(items) {
    for (const rec of this.records.values()) this.grid.remove(rec);
    this.records.clear();
    this.byId.clear();
    this.counts.clear();
    for (const item of items) {
      const rec = this._newRecord();
      this.setServer(rec, item, { adopt: true, silent: true });
    }
    this._emit(null);
  }

  /** Adds a polygon the user just drew; returns its record. */
  create(state) {
    const rec = this._newRecord();
    this.setState(rec.key, state);
    return rec;
  }

  /**
   * Sets what the user sees for `key` (null deletes it locally). Re-creates a record that was
   * dropped, so that undo can bring back a deleted polygon under its old key.
   */
  setState(key, state, { silent = false } = {}) {
    const rec = this.records.get(key) || this._newRecord(key);
    if (rec.state === state) return rec;
    if (rec.state) this.counts.set(rec.state.cls, (this.counts.get(rec.state.cls) || 1) - 1);
    rec.state = state;
    if (state) {
      this.counts.set(state.cls, (this.counts.get(state.cls) || 0) + 1);
      rec.bbox = bboxOf(state.points);
      rec.area = polygonArea(state.points);
      this.grid.put(rec);
    } else {
      this.grid.remove(rec);
    }
    if (!silent) this._emit(rec);
    return rec;
  }

  /**
   * Records the server's copy of a polygon (a response body) or its absence (null).
   * With `adopt`, the user's state becomes the server's (load, repaired points, conflicts).
   */
  setServer(rec, item, { adopt = false, silent = false } = {}) {
    if (rec.id !== null && this.byId.get(rec.id) === rec) this.byId.delete(rec.id);
    if (item) {
      rec.id = item.id;
      rec.version = item.version ?? null;
      rec.saved = makeState(item.cls, item.points, item.status);
      rec.meta = { created_by: item.created_by, area_px: item.area_px, area_um2: item.area_um2, notes: item.notes, score: item.score ?? null };
      this.byId.set(item.id, rec);
    } else {
      rec.id = null;
      rec.version = null;
      rec.saved = null;
    }
    if (adopt) this.setState(rec.key, rec.saved, { silent: true });
    if (!silent) this._emit(rec);
  }

  /** Forgets a record that neither the user nor the server holds any more. */
  drop(rec) {
    if (rec.state || rec.saved) return;
    this.grid.remove(rec);
    this.records.delete(rec.key);
  }

  /** Visible records whose bbox meets the rectangle (image pixels). */
  query(x0, y0, x1, y1, out = []) {
    return this.grid.query(x0, y0, x1, y1, out);
  }

  /** Visible records in drawing order (oldest first). */
  ordered() {
    const out = [];
    for (const rec of this.records.values()) if (rec.state) out.push(rec);
    out.sort((a, b) => a.seq - b.seq);
    return out;
  }

  /** True while the user sees something the server has not confirmed. */
  isDirty(rec) {
    return !sameState(rec.state, rec.saved);
  }
}
