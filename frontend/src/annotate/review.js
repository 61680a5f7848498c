// Review of a restoration's detected damage (issue 13): the scan's polygons are the components the
// detector proposed (status proposed, with a score), those the do-no-harm review dropped (rejected,
// the reason in their notes), and what the restorer adds (added). The restorer steps through them
// (N / P, Tab / Shift+Tab), rejects or restores one (X, or a click on the selected one), draws missed
// damage (D), moves a sensitivity threshold that shows live what would be repaired and applies it,
// and repairs: POST the restoration's repair/ (the review scan's polygons as reviewed here).
import { csrfToken } from "../lib/csrf.js";
import { watchJob } from "../lib/jobs.js";
import { errorText } from "./api.js";

/** What a polygon's review status means for the repair: rejected ones are left as they are. */
export const repaired = (state) => state.status !== "rejected";

export class Review {
  /** @param {object} cfg {repair: API URL, page: the restoration's page, jobs: the jobs page} or {} */
  constructor(editor, cfg) {
    this.ed = editor;
    this.cfg = cfg || {};
    this.threshold = 0;
    this.busy = false;
    this.els = null;
  }

  /** The sidebar's review panel; `h` and `btn` are the sidebar's element makers. */
  panel(h, btn) {
    const ed = this.ed;
    const e = (this.els = {});
    e.position = h("div", { "data-testid": "review-position", class: "muted", text: "" });
    e.counts = h("div", { "data-testid": "review-counts", text: "" });
    e.reject = btn({ "data-testid": "review-reject", title: "Reject or restore the selected component (X)", onclick: () => this.toggle() }, "Reject / restore ", h("kbd", { text: "X" }));
    e.prev = btn({ "data-testid": "review-prev", title: "Previous component (P, Shift+Tab)", onclick: () => ed.step(-1) }, "◀ ", h("kbd", { text: "P" }));
    e.next = btn({ "data-testid": "review-next", title: "Next component (N, Tab)", onclick: () => ed.step(1) }, h("kbd", { text: "N" }), " ▶");
    e.slider = h("input", {
      type: "range", min: "0", max: "1", step: "0.01", value: "0", "data-testid": "review-threshold",
      "aria-label": "Sensitivity: the least detector score that is repaired",
      oninput: (ev) => { this.threshold = Number(ev.target.value); this.refresh(); },
      onchange: (ev) => ev.target.blur(), // the keyboard goes back to the review shortcuts
    });
    e.preview = h("div", { "data-testid": "review-preview", class: "muted", text: "" });
    e.apply = btn({ "data-testid": "review-apply", title: "Reject every proposed or kept component scored under the threshold", onclick: () => this.applyThreshold() }, "Apply");
    e.repair = btn({ class: "annot-done", "data-testid": "review-repair", title: "Inpaint exactly the reviewed mask", onclick: () => this.repair() }, "Repair");
    e.result = h("div", { "data-testid": "review-result", "aria-live": "polite" });
    return h("section", { class: "annot-review", "aria-label": "Review" },
      h("h3", { text: "Review" }), e.position, e.counts,
      h("div", { class: "annot-row2", role: "toolbar", "aria-label": "Review" }, e.prev, e.reject, e.next),
      h("label", { class: "annot-threshold" }, "Sensitivity (score ≥ ", h("output", { "data-testid": "review-threshold-value", text: "0.00" }), ")", e.slider),
      e.preview, e.apply, this.cfg.repair ? e.repair : null, e.result);
  }

  /** Counts by status, and what the repair would cover at the threshold: {n, share, below}. */
  summary() {
    const by = { proposed: 0, kept: 0, rejected: 0, added: 0 };
    let n = 0, area = 0, below = 0;
    const t = this.threshold;
    for (const rec of this.ed.store.records.values()) {
      const st = rec.state;
      if (!st) continue;
      by[st.status || "added"] = (by[st.status || "added"] || 0) + 1;
      if (!repaired(st)) continue;
      const score = rec.meta.score;
      if (st.status !== "added" && score !== null && score !== undefined && score < t) {
        below++;
        continue;
      }
      n++;
      area += rec.area;
    }
    return { by, n, share: area / (this.ed.width * this.ed.height), below };
  }

  refresh() {
    const e = this.els;
    if (!e) return;
    const ed = this.ed;
    const all = ed.store.ordered();
    const sel = ed.selectedKey ? ed.store.get(ed.selectedKey) : null;
    const i = sel ? all.indexOf(sel) : -1;
    e.position.textContent = i >= 0 ? `Component ${i + 1} of ${all.length}: ${sel.state.status || "added"}` +
      (sel.meta.score != null ? `, score ${sel.meta.score.toFixed(2)}` : "") : `${all.length} components: N / Tab to start`;
    const s = this.summary();
    e.counts.textContent = `${s.by.proposed} proposed · ${s.by.kept} kept · ${s.by.rejected} rejected · ${s.by.added} added`;
    e.slider.parentElement.querySelector("output").textContent = this.threshold.toFixed(2);
    e.preview.textContent = `${s.n} components, ${(100 * s.share).toFixed(3)}% of the frame would be repaired` +
      (s.below ? ` (${s.below} under the threshold)` : "");
    e.apply.disabled = ed.readonly || !s.below;
    e.reject.disabled = ed.readonly || !sel;
    e.repair.disabled = ed.readonly || this.busy;
  }

  /** Rejects the selected component, or restores a rejected one (kept). */
  toggle() {
    const ed = this.ed;
    const rec = ed.selectedKey ? ed.store.get(ed.selectedKey) : null;
    if (!rec || !rec.state) return;
    const rejected = rec.state.status === "rejected";
    ed.setStatuses([rec.key], rejected ? "kept" : "rejected", rejected ? "Restore component" : "Reject component");
  }

  /** Components scored under the threshold become rejected (one undoable change). */
  applyThreshold() {
    const keys = [];
    for (const rec of this.ed.store.records.values()) {
      const st = rec.state, score = rec.meta.score;
      if (st && (st.status === "proposed" || st.status === "kept") && score != null && score < this.threshold) keys.push(rec.key);
    }
    const n = this.ed.setStatuses(keys, "rejected", "Apply the sensitivity");
    this.ed.notice(`${n} component${n === 1 ? "" : "s"} under ${this.threshold.toFixed(2)} rejected.`);
  }

  /** A live progress bar of the repair job; when it has succeeded, says so beside the page's link. */
  _progress(job) {
    const el = document.createElement("div");
    el.className = "job-progress";
    el.dataset.jobUrl = `${this.cfg.jobApi}${job.id}/`;
    el.dataset.state = job.state;
    el.innerHTML = '<div class="bar"><div class="fill"></div></div><span class="label"><span class="state"></span> · ' +
      '<span class="pct"></span>% · <span class="msg"></span></span><p class="job-error" hidden></p>';
    el.addEventListener("job:done", (ev) => {
      this.els.result.dataset.state = ev.detail.state;
      if (ev.detail.state !== "succeeded") return;
      this.ed.notice("Repaired: the restoration's page shows the result.");
      // the repair stored the review scan's polygons again (new ids): show those, so that edits go on
      this.ed.api.listPolygons().then((items) => {
        this.ed.select(null);
        this.ed.history.clear();
        this.ed.store.load(items);
      }).catch(() => this.ed.notice("Reload the page before reviewing further.", "warn"));
    });
    watchJob(el);
    return el;
  }

  /** Saves every change, then queues the repair; links to its job and the restoration's page. */
  async repair() {
    if (!this.cfg.repair || this.busy) return;
    this.busy = true;
    this.refresh();
    const e = this.els;
    e.result.textContent = "Saving the review…";
    try {
      await this.ed.syncer.idle();
      if (this.ed.syncer.pending) throw new Error("some changes are not saved yet");
      const res = await fetch(this.cfg.repair, {
        method: "POST", credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: "{}",
      });
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new Error(errorText(body, res.status));
      const job = this.cfg.jobs ? `${this.cfg.jobs}${body.id}/` : null;
      e.result.replaceChildren("Repair queued: ",
        ...(job ? [Object.assign(document.createElement("a"), { href: job, textContent: `job ${body.id}` }), " · "] : []),
        Object.assign(document.createElement("a"), { href: this.cfg.page, textContent: "the restoration (before / after)", className: "review-page-link" }));
      e.result.dataset.job = String(body.id);
      if (this.cfg.jobApi) e.result.append(this._progress(body));
    } catch (err) {
      e.result.textContent = `Repair refused: ${err.message}`;
    } finally {
      this.busy = false;
      this.refresh();
    }
  }
}
