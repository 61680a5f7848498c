// The annotation REST API (session auth, JSON, CSRF header on writes).
import { csrfToken } from "../lib/csrf.js";

/** A failed request: `status` is 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }

  /** Worth retrying unchanged later: no connection, server trouble, rate limits, expired session. */
  get retryable() {
    return this.status === 0 || this.status >= 500 || [401, 403, 408, 425, 429].includes(this.status);
  }
}

/** Flattens DRF error bodies ({"detail": ...} or {"field": ["msg"]}) into one sentence. */
export function errorText(body, status) {
  if (!body) return `HTTP ${status}`;
  if (typeof body === "string") return body;
  if (Array.isArray(body)) return body.map((b) => errorText(b, status)).join(" ");
  if (body.detail) return errorText(body.detail, status);
  const parts = Object.entries(body).map(([k, v]) => `${k}: ${errorText(v, status)}`);
  return parts.join("; ") || `HTTP ${status}`;
}

export class AnnotationApi {
  constructor(base, scanId) {
    this.base = base.endsWith("/") ? base : `${base}/`;
    this.scanId = scanId;
  }

  async request(method, path, body) {
    return (await this.exchange(method, path, body)).data;
  }

  /** Like request(), with the HTTP status beside the body: `{status, data}`. */
  async exchange(method, path, body) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
    let res;
    try {
      res = await fetch(this.base + path, {
        method, headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, "the server cannot be reached");
    }
    if (res.status === 204) return { status: 204, data: null };
    const text = await res.text().catch(() => "");
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      // not JSON (an HTML error page from a proxy or Django's debug page): keep it short
      data = res.ok || /^\s*</.test(text) ? null : text.slice(0, 200);
    }
    if (!res.ok) throw new ApiError(res.status, errorText(data, `${res.status} ${res.statusText}`.trim()));
    return { status: res.status, data };
  }

  scan() {
    return this.request("GET", `scans/${this.scanId}/`);
  }

  listPolygons() {
    return this.request("GET", `scans/${this.scanId}/polygons/`);
  }

  getPolygon(id) {
    return this.request("GET", `polygons/${id}/`);
  }

  /**
   * Stores a drawn polygon: `{item, created}`. With the same `clientKey` a repeat returns the
   * polygon the first request stored (`created` false), whatever the points sent this time.
   */
  async createPolygon(state, clientKey) {
    const body = { cls: state.cls, points: state.points };
    if (clientKey) body.client_key = clientKey;
    const { status, data } = await this.exchange("POST", `scans/${this.scanId}/polygons/`, body);
    return { item: data, created: status === 201 };
  }

  updatePolygon(id, fields) {
    return this.request("PATCH", `polygons/${id}/`, fields);
  }

  deletePolygon(id) {
    return this.request("DELETE", `polygons/${id}/`);
  }

  setDone(done) {
    return this.request("POST", `scans/${this.scanId}/done/`, { done });
  }
}
