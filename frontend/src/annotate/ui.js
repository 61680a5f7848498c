// The editor's sidebar (tools, classes with counts, save status, scan done toggle, polygon
// list, shortcut help) and the notice line over the viewer.
import { VirtualList } from "./polylist.js";

export const testId = (cls) => `class-${cls.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

const SHORTCUTS = [
  ["N / P", "draw tool"], ["V", "select tool"], ["1–5", "class of the next polygon (select tool: also of the selected one)"],
  ["click", "add a vertex (draw) / select (select)"], ["drag", "pan; while drawing, trace vertices"],
  ["Space + drag", "pan while drawing"], ["wheel", "zoom"],
  ["Enter, double-click, first vertex", "close the polygon"], ["Backspace", "remove the last vertex while drawing"],
  ["Esc", "cancel drawing / deselect"], ["drag a square", "move a vertex"], ["drag a dot", "insert a vertex"],
  ["Alt+click or right-click a vertex", "delete the vertex"], ["Delete", "delete the selected polygon"],
  ["click again", "cycle through overlapping polygons"], ["[ / ]", "previous / next polygon"],
  ["F", "zoom to the selected polygon"], ["0", "whole scan"], ["Ctrl+Z", "undo"], ["Ctrl+Shift+Z / Ctrl+Y", "redo"],
];

const REVIEW_SHORTCUTS = [
  ["N / Tab", "next component (zoomed to it)"], ["P / Shift+Tab", "previous component"],
  ["X, or click the selected one", "reject / restore the component"], ["D", "draw tool: add missed damage"],
  ["V", "select tool"], ["1–5", "class of the next polygon"], ["Enter, double-click", "close the polygon"],
  ["Esc", "cancel drawing / deselect"], ["Delete", "delete the selected polygon"], ["F", "zoom to the selected one"],
  ["wheel / drag", "zoom / pan"], ["Ctrl+Z", "undo"], ["Ctrl+Shift+Z / Ctrl+Y", "redo"],
];

export class Sidebar {
  constructor(editor, root) {
    this.ed = editor;
    this.root = root;
    this.filter = "";
    this.pending = false;
    root.classList.add("annot");
    root.replaceChildren();
    const noFocus = (e) => e.preventDefault(); // buttons keep the keyboard on the viewer
    const btn = (attrs, ...kids) => h("button", { type: "button", onmousedown: noFocus, ...attrs }, ...kids);

    this.status = h("span", { class: "annot-status", "data-testid": "save-status", "data-state": "loading", role: "status", "aria-live": "polite", text: "Loading…" });
    this.title = h("h2", { class: "annot-title", text: `Scan ${editor.scanId}` });
    this.tools = {
      draw: btn({ "data-testid": "tool-draw", title: `Draw polygons (${editor.review ? "D" : "N"})`, onclick: () => editor.setTool("draw") }, "Draw ", h("kbd", { text: editor.review ? "D" : "N" })),
      select: btn({ "data-testid": "tool-select", title: "Select and edit (V)", onclick: () => editor.setTool("select") }, "Select ", h("kbd", { text: "V" })),
    };
    this.undoBtn = btn({ "data-testid": "undo", title: "Undo (Ctrl+Z)", onclick: () => editor.undo() }, "Undo");
    this.redoBtn = btn({ "data-testid": "redo", title: "Redo (Ctrl+Shift+Z)", onclick: () => editor.redo() }, "Redo");
    this.deleteBtn = btn({ "data-testid": "delete", title: "Delete the selected polygon (Delete)", onclick: () => editor.deleteSelected() }, "Delete");
    this.classBtns = new Map();
    this.counts = new Map();
    const classes = editor.classes.map((c, i) => {
      const count = h("span", { class: "annot-count", "data-testid": `count-${testId(c.key).slice(6)}`, text: "0" });
      this.counts.set(c.key, count);
      const b = btn(
        { class: "annot-class", "data-testid": testId(c.key), title: `${c.label} (${i + 1})`, onclick: () => editor.chooseClass(c.key) },
        h("span", { class: "annot-swatch", style: `background:${c.colour}` }), h("span", { class: "annot-label", text: c.label }),
        i < 9 ? h("kbd", { text: String(i + 1) }) : null, count,
      );
      this.classBtns.set(c.key, b);
      return b;
    });
    this.total = h("strong", { "data-testid": "polygon-count", text: "0" });
    this.selInfo = h("div", { class: "annot-selected", "data-testid": "selected-info" });
    this.doneBtn = btn({ class: "annot-done", "data-testid": "mark-done", "aria-pressed": "false", onclick: () => editor.toggleDone() }, "Mark scan done");
    this.filterSel = h("select", { "data-testid": "list-filter", "aria-label": "Show class", onchange: (e) => { this.filter = e.target.value; e.target.blur(); this.refresh(); } },
      h("option", { value: "", text: "All classes" }), ...editor.classes.map((c) => h("option", { value: c.key, text: c.label })));
    const scroller = h("div", { class: "annot-list-scroll", "data-testid": "polygon-list", role: "listbox", "aria-label": "Polygons" });
    this.help = h("details", { class: "annot-help" }, h("summary", { text: "Keyboard shortcuts" }),
      h("dl", {}, ...(editor.review ? REVIEW_SHORTCUTS : SHORTCUTS).flatMap(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])));

    const side = h("aside", { class: "annot-side", "aria-label": "Annotation tools" },
      h("div", { class: "annot-head" }, this.title, this.status),
      h("div", { class: "annot-row2", role: "toolbar", "aria-label": "Tools" }, this.tools.draw, this.tools.select),
      h("div", { class: "annot-row2", role: "toolbar", "aria-label": "Edit" }, this.undoBtn, this.redoBtn, this.deleteBtn),
      h("div", { class: "annot-classes", role: "group", "aria-label": "Class" }, ...classes),
      editor.review ? editor.review.panel(h, btn) : null,
      h("div", { class: "annot-summary" }, this.total, " polygons"),
      this.selInfo, this.doneBtn,
      h("div", { class: "annot-list" }, this.filterSel, scroller),
      this.help);
    this.viewerEl = h("div", { class: "annot-viewer" });
    this.noticeEl = h("div", { class: "annot-notice", "data-testid": "notice", role: "alert", hidden: true });
    root.append(side, h("div", { class: "annot-stage" }, this.viewerEl, this.noticeEl));

    this.list = new VirtualList(scroller, { rowHeight: 24, fill: (row, rec) => this._fillRow(row, rec), onPick: (rec) => editor.select(rec.key, { zoom: true }) });
    this._fit();
    window.addEventListener("resize", () => this._fit());
  }

  /** The editor fills the window from its top edge down. */
  _fit() {
    const top = this.root.getBoundingClientRect().top + window.scrollY;
    this.root.style.height = `${Math.max(420, window.innerHeight - top)}px`;
  }

  _fillRow(row, rec) {
    const c = this.ed.classOf(rec.state.cls);
    const id = rec.id !== null ? `#${rec.id}` : "new";
    const status = this.ed.review ? rec.state.status || "added" : "";
    const score = status && rec.meta.score != null ? ` ${rec.meta.score.toFixed(2)}` : "";
    const text = `${id}  ${c.label}  ${Math.round(rec.area)} px² ${status}${score}`;
    if (row._text === text) return;
    row._text = text;
    row.dataset.status = status;
    row.replaceChildren(h("span", { class: "annot-swatch", style: `background:${c.colour}` }),
      h("span", { class: "annot-id", text: id }), h("span", { class: "annot-label", text: status ? `${c.label} · ${status}${score}` : c.label }),
      h("span", { class: "annot-area", text: `${Math.round(rec.area)} px²` }));
    row.title = rec.meta.created_by ? `by ${rec.meta.created_by}` : "";
  }

  setTitle(text) {
    this.title.textContent = text;
  }

  setStatus({ state, text }) {
    this.status.dataset.state = state;
    this.status.textContent = text;
  }

  setDone(done, busy = false) {
    this.doneBtn.setAttribute("aria-pressed", String(done));
    this.doneBtn.textContent = done ? "Scan done ✓ (click to reopen)" : "Mark scan done";
    this.doneBtn.disabled = busy || this.ed.readonly;
  }

  showNotice(text, kind = "info") {
    this.noticeEl.textContent = text;
    this.noticeEl.dataset.kind = kind;
    this.noticeEl.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => (this.noticeEl.hidden = true), kind === "error" ? 12000 : 6000);
  }

  toggleHelp() {
    this.help.open = !this.help.open;
  }

  /** Coalesces refreshes into one per animation frame. */
  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.refresh();
    });
  }

  refresh() {
    const ed = this.ed;
    const ro = ed.readonly;
    for (const [t, b] of Object.entries(this.tools)) b.setAttribute("aria-pressed", String(ed.tool === t));
    this.tools.draw.disabled = ro;
    this.undoBtn.disabled = ro || !ed.history.canUndo;
    this.redoBtn.disabled = ro || !ed.history.canRedo;
    this.deleteBtn.disabled = ro || !ed.selectedKey;
    for (const [k, b] of this.classBtns) {
      b.setAttribute("aria-pressed", String(ed.currentClass === k));
      this.counts.get(k).textContent = String(ed.store.counts.get(k) || 0);
    }
    this.total.textContent = String(ed.store.size);
    const sel = ed.selectedKey ? ed.store.get(ed.selectedKey) : null;
    this._fillSelected(sel);
    const items = ed.store.ordered().filter((r) => !this.filter || r.state.cls === this.filter);
    this.list.setItems(items, sel);
    if (sel && sel !== this.lastRevealed) this.list.reveal(items.indexOf(sel));
    this.lastRevealed = sel;
    if (ed.review) ed.review.refresh();
  }

  _fillSelected(rec) {
    if (!rec || !rec.state) {
      this.selInfo.replaceChildren(h("span", { class: "muted", text: "No polygon selected" }));
      return;
    }
    const c = this.ed.classOf(rec.state.cls);
    const um2 = rec.meta.area_um2 != null && !this.ed.store.isDirty(rec) ? ` · ${Math.round(rec.meta.area_um2)} µm²` : "";
    const notes = rec.meta.notes && this.ed.review ? [h("div", { class: "muted", "data-testid": "selected-notes", text: rec.meta.notes })] : [];
    this.selInfo.replaceChildren(
      h("div", {}, h("span", { class: "annot-swatch", style: `background:${c.colour}` }), ` ${rec.id !== null ? `#${rec.id}` : "New"} ${c.label}`),
      h("div", { class: "muted", text: `${rec.state.points.length} vertices · ${Math.round(rec.area)} px²${um2}${rec.meta.created_by ? ` · by ${rec.meta.created_by}` : ""}` }),
      ...notes,
    );
  }
}
