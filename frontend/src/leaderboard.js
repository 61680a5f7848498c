// Leaderboard pages: sortable tables, and a synchronized zoom comparison of one benchmark image
// (input, ground truth for administrators, and each method) with one OpenSeadragon viewer per panel.
import { imageSource, openViewer, showView, viewOf } from "./lib/viewer.js";

function sortValue(cell, type) {
  const raw = cell ? cell.dataset.value : "";
  if (type === "text") return (raw || "").toLowerCase();
  return raw === "" || raw === undefined ? NaN : parseFloat(raw);
}

function compare(a, b, type, ascending) {
  if (type === "text") return ascending ? a.localeCompare(b) : b.localeCompare(a);
  const aMissing = Number.isNaN(a);
  const bMissing = Number.isNaN(b);
  if (aMissing || bMissing) return aMissing - bMissing; // undefined scores always last
  if (a === b) return 0;
  return ascending === a < b ? -1 : 1;
}

export function makeSortable(table) {
  const headers = Array.from(table.querySelectorAll("thead th"));
  headers.forEach((th, column) => {
    if (!th.dataset.key) return;
    th.classList.add("sortable");
    th.addEventListener("click", () => {
      const type = th.dataset.type || "number";
      // first click: best first (descending when higher is better); next clicks toggle
      const first = type === "text" || th.dataset.better === "lower";
      const ascending = th.dataset.sorted ? th.dataset.sorted !== "asc" : first;
      headers.forEach((h) => delete h.dataset.sorted);
      th.dataset.sorted = ascending ? "asc" : "desc";
      const body = table.tBodies[0];
      const rows = Array.from(body.querySelectorAll("tr[data-row]"));
      rows.sort((r1, r2) => compare(sortValue(r1.cells[column], type), sortValue(r2.cells[column], type),
        type, ascending));
      rows.forEach((row) => body.appendChild(row));
      table.dataset.sortedBy = th.dataset.key;
    });
  });
}

export function synchronizedViewers(root, panels) {
  const viewers = [];
  let leader = null;
  const follow = (source) => {
    if (leader && leader !== source) return;
    leader = source;
    const view = viewOf(source);
    viewers.forEach((v) => {
      if (v === source || !v.world.getItemCount()) return;
      const same = Math.abs(v.viewport.getZoom() - view.zoom) < 1e-9 * view.zoom &&
        v.viewport.getCenter().distanceTo(view.center) < 1e-9;
      if (same) return; // already there: no event ping-pong between viewers
      showView(v, view);
    });
    leader = null;
  };
  panels.forEach((panel, i) => {
    const figure = document.createElement("figure");
    figure.className = `compare-panel ${panel.kind}`;
    const box = document.createElement("div");
    box.className = "compare-view";
    box.id = `compare-${i}`;
    const caption = document.createElement("figcaption");
    caption.textContent = panel.label;
    figure.append(box, caption);
    root.appendChild(figure);
    const viewer = openViewer(box, imageSource(panel.url), {
      maxZoomPixelRatio: 16,
      showNavigator: i === 0,
      gestureSettingsMouse: { clickToZoom: false },
    });
    viewer.addHandler("zoom", () => follow(viewer));
    viewer.addHandler("pan", () => follow(viewer));
    viewer.addHandler("open", () => {
      box.dataset.loaded = "true";
      const first = viewers.find((v) => v !== viewer && v.world.getItemCount());
      if (first) follow(first); // a late image joins the others' view
    });
    viewers.push(viewer);
  });
  return viewers;
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
  const root = document.getElementById("compare");
  const source = document.getElementById("panels");
  if (root && source) {
    const viewers = synchronizedViewers(root, JSON.parse(source.textContent));
    if (TEST_HOOKS) window.__compare = viewers; // the test build's hook (build.mjs)
  }
});
