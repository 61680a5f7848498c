// Full-resolution, zoomable view of a rendered overlay preview (OpenSeadragon on plain images),
// switching between negative, positive, mask and clean.
import { imageSource, openViewer, showView, viewOf } from "./lib/viewer.js";

document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("preview-viewer");
  const source = document.getElementById("preview-files");
  if (!el || !source) return;
  const urls = JSON.parse(source.textContent); // the images' addresses, as the page gives them
  const image = (k) => imageSource(urls[k]);
  const viewer = openViewer(el, image("negative"));
  document.querySelectorAll("[data-show]").forEach((btn) =>
    btn.addEventListener("click", () => {
      const view = viewOf(viewer);
      viewer.open(image(btn.dataset.show));
      viewer.addOnceHandler("open", () => showView(viewer, view));
      el.dataset.showing = btn.dataset.show;
    }),
  );
  el.dataset.showing = "negative";
  if (TEST_HOOKS) window.__preview = viewer; // the test build's hook (build.mjs)
});
