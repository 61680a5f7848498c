// Before/after comparison of a restoration: both deep-zoom images in one OpenSeadragon viewer,
// the "after" image clipped to the right of a slider; optional mask overlay.
import { OpenSeadragon, openViewer } from "./lib/viewer.js";

document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("compare-viewer");
  if (!el) return;
  const paths = JSON.parse(el.dataset.viewer);
  const url = (k) => `/media/${paths[k]}`;
  const viewer = openViewer(el, [url("before"), url("after")]);
  const slider = document.getElementById("compare-slider");
  let mask = null;
  const clip = () => {
    const after = viewer.world.getItemAt(1);
    if (!after) return;
    const size = after.getContentSize();
    const x = (size.x * slider.value) / 100;
    after.setClip(new OpenSeadragon.Rect(x, 0, size.x - x, size.y));
  };
  viewer.world.addHandler("add-item", clip);
  slider.addEventListener("input", clip);
  document.getElementById("show-mask").addEventListener("change", (e) => {
    if (e.target.checked) {
      viewer.addTiledImage({ tileSource: url("mask"), opacity: 0.5, success: (ev) => (mask = ev.item) });
    } else if (mask) {
      viewer.world.removeItem(mask);
      mask = null;
    }
  });
  if (TEST_HOOKS) window.__compare = viewer; // the test build's hook (build.mjs)
});
