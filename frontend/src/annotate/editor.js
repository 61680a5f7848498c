// The polygon annotation editor: wires the store, autosave, undo history, viewer, overlay,
// input handling and sidebar together (the test build's hooks are in testhooks.js).
import { AnnotationApi } from "./api.js";
import { History } from "./history.js";
import { Interaction } from "./interaction.js";
import { OverlayRenderer } from "./render.js";
import { Review } from "./review.js";
import { PolygonStore, makeState, sameState, withStatus } from "./store.js";
import { Syncer } from "./sync.js";
import { Sidebar } from "./ui.js";
import { createViewer, zoomToBox } from "./viewer.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Reads and checks the page's data-* configuration; throws with what is wrong. */
export function readConfig(root) {
  const d = root.dataset;
  const num = (name) => {
    const v = Number(d[name]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`#annotator needs a positive data-${name}, got "${d[name]}"`);
    return v;
  };
  let classes;
  try {
    classes = JSON.parse(d.classes || "[]");
  } catch (e) {
    throw new Error(`#annotator data-classes is not JSON: ${e.message}`);
  }
  if (!Array.isArray(classes) || !classes.length || !classes.every((c) => c && c.key)) {
    throw new Error("#annotator data-classes must be a non-empty list of {key, label, colour}");
  }
  let review = null;
  if (d.kind === "review") {
    try {
      review = JSON.parse(d.review || "{}");
    } catch (e) {
      throw new Error(`#annotator data-review is not JSON: ${e.message}`);
    }
  }
  return {
    review,
    scanId: d.scanId, width: num("width"), height: num("height"), dziUrl: (d.dziUrl || "").trim(),
    api: d.api || "/api/annotation/", user: d.user || "", readonly: d.readonly === "true",
    classes: classes.map((c) => ({
      key: String(c.key), label: String(c.label || c.key),
      colour: /^#[0-9a-f]{6}$/i.test(c.colour || "") ? c.colour : "#9e9e9e",
    })),
  };
}

// The class of the next polygon is remembered across reloads and scans (per browser).
const CLASS_KEY = "filmlab.annotate.class";

/** The class chosen last in this browser when the editor knows it, else the first class. */
export function rememberedClass(classes) {
  let stored = null;
  try {
    stored = window.localStorage.getItem(CLASS_KEY);
  } catch (e) {
    stored = null; // storage refused (private mode): start with the first class
  }
  return classes.some((c) => c.key === stored) ? stored : classes[0].key;
}

function rememberClass(cls) {
  try {
    window.localStorage.setItem(CLASS_KEY, cls);
  } catch (e) {
    // storage refused or full: the choice lasts until the page is left
  }
}

export class Editor {
  constructor(root) {
    const cfg = readConfig(root);
    Object.assign(this, { scanId: cfg.scanId, width: cfg.width, height: cfg.height, classes: cfg.classes, user: cfg.user });
    this._readonly = cfg.readonly;
    this.loaded = false;
    // a review set (restoration.core.components on a review scan): step, reject and add, see review.js
    this.review = cfg.review ? new Review(this, cfg.review) : null;
    this.tool = this._readonly || this.review ? "select" : "draw";
    this.currentClass = rememberedClass(this.classes);
    this.selectedKey = null;
    this.done = false;
    this.store = new PolygonStore({ width: this.width, height: this.height });
    this.api = new AnnotationApi(cfg.api, this.scanId);
    this.history = new History();
    this.ui = new Sidebar(this, root);
    this.syncer = new Syncer({
      store: this.store, api: this.api,
      onStatus: (s) => this.loaded && this.ui.setStatus(s),
      onNotice: (text, kind) => this.notice(text, kind),
    });
    const { viewer, opened } = createViewer(this.ui.viewerEl, {
      dziUrl: cfg.dziUrl, width: this.width, height: this.height, onBlank: (m) => this.notice(m, "warn"),
    });
    this.viewer = viewer;
    this.stats = {
      lastRedrawMs: 0, drawn: 0, total: 0, redraws: 0, meanRedrawMs: 0, maxRedrawMs: 0,
      lastFrameMs: 0, reused: 0, flush: false, noCache: false,
    };
    this.interaction = new Interaction(this);
    this.renderer = new OverlayRenderer({
      viewer, store: this.store, width: this.width, height: this.height, classes: this.classes,
      scene: () => this.interaction.scene(), stats: this.stats, review: !!this.review,
    });
    this.store.onChange((rec) => {
      if (rec && rec.key === this.selectedKey && !rec.state) this.selectedKey = null;
      this.renderer.invalidate();
      this.ui.schedule();
    });
    window.addEventListener("beforeunload", (e) => {
      if (this.syncer.pending) {
        e.preventDefault();
        e.returnValue = "";
      }
    });
    this.ready = Promise.all([opened, this._load()]).then(([mode]) => {
      this.mode = mode;
      this.renderer.invalidate();
      return new Promise((r) => requestAnimationFrame(() => r(this)));
    });
    this.ui.refresh();
  }

  get readonly() {
    return this._readonly || !this.loaded;
  }

  classOf(key) {
    return this.classes.find((c) => c.key === key) || { key, label: key, colour: "#9e9e9e" };
  }

  async _load() {
    for (let attempt = 0; ; attempt++) {
      try {
        const [scan, items] = await Promise.all([this.api.scan().catch(() => null), this.api.listPolygons()]);
        if (scan) {
          if (scan.name) this.ui.setTitle(scan.name);
          this.done = !!(scan.assignment && scan.assignment.done);
        }
        this.store.load(items);
        this.loaded = true;
        this.ui.setDone(this.done);
        this.ui.setStatus(this.syncer.status());
        this.ui.schedule();
        return;
      } catch (e) {
        if (e.status === undefined) throw e;
        const wait = Math.min(30000, 1000 * 2 ** attempt);
        this.ui.setStatus({ state: "error", text: `Could not load the polygons (${e.detail}) — retrying` });
        await sleep(wait);
      }
    }
  }

  notice(text, kind = "info") {
    this.ui.showNotice(text, kind);
  }

  // ---- changes (each one undoable and autosaved) ----
  _change(label, key, after) {
    const rec = this.store.get(key);
    const before = rec ? rec.state : null;
    if (sameState(before, after)) return;
    this.store.setState(key, after);
    this.history.push(label, [{ key, before, after }]);
    this.syncer.push(this.store.get(key));
  }

  /** Sets the review status of several polygons as one undoable change (autosaved one PATCH each). */
  setStatuses(keys, status, label) {
    if (this.readonly) return 0;
    const changes = [];
    for (const key of keys) {
      const rec = this.store.get(key);
      if (!rec || !rec.state || rec.state.status === status) continue;
      const before = rec.state, after = withStatus(before, status);
      this.store.setState(key, after, { silent: true });
      changes.push({ key, before, after });
      this.syncer.push(rec);
    }
    if (!changes.length) return 0;
    this.history.push(label, changes);
    this.renderer.invalidate();
    this.ui.schedule();
    return changes.length;
  }

  addPolygon(points) {
    if (this.readonly) return;
    const rec = this.store.create(makeState(this.currentClass, points, this.review ? "added" : ""));
    this.history.push("Draw polygon", [{ key: rec.key, before: null, after: rec.state }]);
    this.syncer.push(rec);
    this.select(rec.key);
  }

  editPoints(key, points, label = "Edit polygon") {
    const rec = this.store.get(key);
    if (this.readonly || !rec || !rec.state) return;
    this._change(label, key, makeState(rec.state.cls, points, rec.state.status));
  }

  deleteSelected() {
    if (this.readonly || !this.selectedKey) return;
    const key = this.selectedKey;
    this.select(null);
    this._change("Delete polygon", key, null);
  }

  /**
   * Keys 1-5 / class buttons: the class of the next polygon and, with the select tool, of the
   * selected polygon. (With the draw tool the polygon just drawn stays selected for vertex
   * fixes, but picking the next class must not recolour it.)
   */
  chooseClass(cls) {
    this.currentClass = cls;
    rememberClass(cls);
    const rec = this.selectedKey ? this.store.get(this.selectedKey) : null;
    if (!this.readonly && this.tool === "select" && rec && rec.state && rec.state.cls !== cls) {
      this._change("Change class", rec.key, Object.freeze({ cls, points: rec.state.points, status: rec.state.status }));
    }
    this.renderer.invalidate("top");
    this.ui.schedule();
  }

  _apply(entry, which) {
    let last = null;
    for (const c of entry.changes) {
      const rec = this.store.setState(c.key, c[which]);
      this.syncer.push(rec);
      if (rec.state) last = rec.key;
    }
    this.select(last);
  }

  undo() {
    if (this.readonly) return;
    this.interaction.cancelDrawing();
    const entry = this.history.undo();
    if (entry) this._apply(entry, "before");
  }

  redo() {
    if (this.readonly) return;
    this.interaction.cancelDrawing();
    const entry = this.history.redo();
    if (entry) this._apply(entry, "after");
  }

  // ---- selection, tools, navigation ----
  select(key, { zoom = false } = {}) {
    const rec = key ? this.store.get(key) : null;
    this.selectedKey = rec && rec.state ? key : null;
    if (zoom && this.selectedKey) this.zoomToSelected();
    this.renderer.invalidate("top");
    this.ui.schedule();
  }

  zoomToSelected() {
    const rec = this.selectedKey ? this.store.get(this.selectedKey) : null;
    if (rec && rec.state) zoomToBox(this.viewer, this.width, rec.bbox);
  }

  /** Selects the previous/next polygon in list order and zooms to it. */
  step(dir) {
    const all = this.store.ordered();
    if (!all.length) return;
    const i = all.findIndex((r) => r.key === this.selectedKey);
    const j = i < 0 ? (dir > 0 ? 0 : all.length - 1) : (i + dir + all.length) % all.length;
    this.select(all[j].key, { zoom: true });
  }

  setTool(tool) {
    if (tool === "draw" && this._readonly) return;
    if (tool !== this.tool) this.interaction.cancelDrawing();
    this.tool = tool;
    this.viewer.canvas.style.cursor = tool === "draw" ? "crosshair" : "default";
    this.ui.schedule();
  }

  async toggleDone() {
    const want = !this.done;
    this.ui.setDone(this.done, true);
    try {
      const res = await this.api.setDone(want);
      this.done = res && typeof res.done === "boolean" ? res.done : want;
      this.notice(this.done ? "Scan marked done." : "Scan reopened.");
    } catch (e) {
      this.notice(`Could not change the scan's done state: ${e.detail}`, "error");
    }
    this.ui.setDone(this.done);
  }

  /** Resolves once the viewer has stopped animating and the overlay shows the final view. */
  async settled() {
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    await frame();
    await frame();
    if (this.renderer.animating) await new Promise((r) => this.viewer.addOnceHandler("animation-finish", r));
    await frame();
  }
}
