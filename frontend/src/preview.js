// Full-resolution, zoomable view of a rendered overlay preview (OpenSeadragon on plain images),
// switching between negative, positive, mask and clean.
import OpenSeadragon from "openseadragon";

document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("preview-viewer");
  const source = document.getElementById("preview-files");
  if (!el || !source) return;
  const files = JSON.parse(source.textContent);
  const url = (k) => `/media/${files[k]}`;
  const viewer = OpenSeadragon({
    element: el,
    prefixUrl: "/static/openseadragon-images/",
    tileSources: { type: "image", url: url("negative") },
    maxZoomPixelRatio: 8,
    showNavigator: true,
  });
  document.querySelectorAll("[data-show]").forEach((btn) =>
    btn.addEventListener("click", () => {
      const center = viewer.viewport.getCenter();
      const zoom = viewer.viewport.getZoom();
      viewer.open({ type: "image", url: url(btn.dataset.show) });
      viewer.addOnceHandler("open", () => {
        viewer.viewport.zoomTo(zoom, null, true);
        viewer.viewport.panTo(center, true);
      });
      el.dataset.showing = btn.dataset.show;
    }),
  );
  el.dataset.showing = "negative";
  window.__preview = viewer;
});
