// Autosave: brings the server in line with what the user sees, one request per polygon at a
// time. A record is "dirty" while rec.state differs from rec.saved; the syncer turns that
// difference into POST / PATCH / DELETE, so edits made while a request is in flight are
// coalesced into the next one. Failed requests are retried with backoff when the server is
// unreachable; a refused change (400) is rolled back and reported; a stale version (409)
// reloads the polygon from the server.
import { sameState } from "./store.js";

const MAX_BACKOFF_MS = 30000;

export class Syncer {
  constructor({ store, api, maxInFlight = 4, onStatus = () => {}, onNotice = () => {} }) {
    this.store = store;
    this.api = api;
    this.maxInFlight = maxInFlight;
    this.onStatus = onStatus;
    this.onNotice = onNotice;
    this.dirty = new Set();
    this.inflight = new Set();
    this.timer = null;
    this.offline = false;
    this.retryText = null; // a retryable non-network failure (expired session, server error)
    this.errorText = null; // the last refused change, shown until the user's next change
    this.waiters = [];
    window.addEventListener("online", () => this.retryNow());
  }

  /** Queues a polygon the user just changed. */
  push(rec) {
    this.errorText = null;
    this.dirty.add(rec);
    this._pump();
  }

  get pending() {
    return this.dirty.size;
  }

  /** Resolves once every change has reached the server (or was refused). */
  idle() {
    if (this.dirty.size === 0 && this.inflight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  retryNow() {
    for (const rec of this.dirty) rec.retryAt = 0;
    this._pump();
  }

  status() {
    if (this.errorText) return { state: "error", text: this.errorText };
    if (this.dirty.size === 0) return { state: "saved", text: "Saved" };
    if (this.offline) return { state: "offline", text: "Offline — retrying" };
    if (this.retryText) return { state: "offline", text: `Not saved (${this.retryText}) — retrying` };
    return { state: "saving", text: "Saving…" };
  }

  _needsWork(rec) {
    // rec.posted: a POST whose answer never came, so the server may hold the polygon
    return rec.needsReload || !sameState(rec.state, rec.saved) || (!rec.saved && !!rec.posted);
  }

  _pump() {
    const now = Date.now();
    let wake = Infinity;
    for (const rec of this.dirty) {
      if (this.inflight.has(rec)) continue;
      if (!this._needsWork(rec)) {
        this.dirty.delete(rec);
        this.store.drop(rec);
        continue;
      }
      if (rec.retryAt > now) {
        wake = Math.min(wake, rec.retryAt);
        continue;
      }
      if (this.inflight.size >= this.maxInFlight) break;
      this._run(rec);
    }
    clearTimeout(this.timer);
    if (wake < Infinity) this.timer = setTimeout(() => this._pump(), wake - now);
    this._report();
  }

  _report() {
    this.onStatus(this.status());
    if (this.dirty.size === 0 && this.inflight.size === 0) {
      this.offline = false;
      this.retryText = null;
      this.waiters.splice(0).forEach((resolve) => resolve());
    }
  }

  async _run(rec) {
    this.inflight.add(rec);
    const sent = rec.state;
    const id = rec.id;
    try {
      if (rec.needsReload) {
        await this._reload(rec);
      } else if (!sent && !rec.saved && rec.posted) {
        await this._removeOrphan(rec);
      } else if (!sent) {
        await this.api.deletePolygon(id).catch((e) => {
          if (e.status !== 404) throw e; // already gone is what we wanted
        });
        this.store.setServer(rec, null);
      } else if (!rec.saved) {
        rec.posted = sent;
        const { item, created } = await this.api.createPolygon(sent, rec.clientKey);
        rec.posted = null;
        // a repeat answers with what the first POST stored: keep the user's later edit (PATCHed next)
        this.store.setServer(rec, item, { adopt: rec.state === sent && created });
      } else {
        const fields = { version: rec.version };
        if (sent.cls !== rec.saved.cls) fields.cls = sent.cls;
        if ((sent.status || "") !== (rec.saved.status || "")) fields.status = sent.status;
        if (!sameState({ cls: "", points: sent.points }, { cls: "", points: rec.saved.points })) {
          fields.points = sent.points;
        }
        const item = await this.api.updatePolygon(id, fields);
        this.store.setServer(rec, item, { adopt: rec.state === sent });
      }
      rec.failures = 0;
      rec.retryAt = 0;
      this.offline = false;
      this.retryText = null;
    } catch (e) {
      if (e.status !== undefined && !e.retryable) rec.posted = null; // refused: nothing was stored
      this._fail(rec, e, id);
    } finally {
      this.inflight.delete(rec);
      this._pump();
    }
  }

  _fail(rec, e, id) {
    if (e.status === undefined) throw e; // a bug, not a server answer
    if (e.retryable) {
      rec.failures = (rec.failures || 0) + 1;
      const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (rec.failures - 1));
      rec.retryAt = Date.now() + base * (0.75 + Math.random() / 2);
      if (e.status === 0) this.offline = true;
      else this.retryText = `HTTP ${e.status}: ${e.detail}`;
      return;
    }
    const label = id !== null ? `Polygon #${id}` : "New polygon";
    if (e.status === 409 && id !== null) {
      rec.needsReload = true;
      this.onNotice(`${label} was changed by someone else: their version has been loaded (${e.detail}).`, "warn");
    } else if (e.status === 404 && id !== null) {
      this.store.setServer(rec, null, { adopt: true });
      this.onNotice(`${label} was deleted by someone else.`, "warn");
    } else {
      this.store.setState(rec.key, rec.saved); // roll back to what the server holds
      this.errorText = `Not saved: ${e.detail}`;
      this.onNotice(`${label}: change not saved and undone — ${e.detail}`, "error");
    }
  }

  /** The user deleted a polygon whose POST went unanswered: find it by its client key, delete it. */
  async _removeOrphan(rec) {
    try {
      const { item } = await this.api.createPolygon(rec.posted, rec.clientKey);
      await this.api.deletePolygon(item.id).catch((e) => {
        if (e.status !== 404) throw e;
      });
    } catch (e) {
      if (e.status === undefined || e.retryable) throw e;
      // refused outright (400): the server never stored it
    }
    rec.posted = null;
    this.store.setServer(rec, null);
  }

  async _reload(rec) {
    let item = null;
    try {
      item = await this.api.getPolygon(rec.id);
    } catch (e) {
      if (e.status === 405 || e.status === 501) {
        const all = await this.api.listPolygons();
        item = all.find((p) => p.id === rec.id) || null;
      } else if (e.status !== 404) {
        if (!e.retryable) rec.needsReload = false;
        throw e;
      }
    }
    rec.needsReload = false;
    this.store.setServer(rec, item, { adopt: true });
  }
}
