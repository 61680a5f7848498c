// Before/after comparison of a restoration: both deep-zoom images in one OpenSeadragon viewer, the "after"
// image clipped to the right of a split that the slider (lying on the image) moves; a divider line is drawn
// on the image at the split and follows zoom and pan; optional mask overlay.
import { OpenSeadragon, openViewer } from "./lib/viewer.js";

document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("compare-viewer");
  if (!el) return;
  // the viewer fills the window below what comes before it, so that the image and its slider are in view
  // without scrolling (a 1366 x 768 laptop included); never less than 260 px high
  const fit = () => {
    const top = el.getBoundingClientRect().top + window.scrollY;
    el.style.height = `${Math.max(260, Math.floor(window.innerHeight - top - 16))}px`;
  };
  fit();
  window.addEventListener("resize", fit);
  const urls = JSON.parse(el.dataset.viewer); // the addresses of the .dzi files, as the page gives them
  const url = (k) => urls[k];
  const viewer = openViewer(el, [url("before"), url("after")]);
  const slider = document.getElementById("compare-slider");
  const divider = document.getElementById("compare-divider");
  let mask = null;
  // the divider sits where the split lies on screen, or is hidden when the split is scrolled out of view
  const place = () => {
    const after = viewer.world.getItemAt(1);
    if (!after || !divider) return;
    const size = after.getContentSize();
    const x = (size.x * slider.value) / 100;
    const px = after.imageToViewerElementCoordinates(new OpenSeadragon.Point(x, 0)).x;
    const inside = px >= 0 && px <= el.clientWidth;
    divider.hidden = !inside;
    divider.style.left = `${Math.round(px) - 1}px`;
    // the slider spans the image as drawn (when all of it is in view), so that its thumb sits under the line
    const left = after.imageToViewerElementCoordinates(new OpenSeadragon.Point(0, 0)).x;
    const right = after.imageToViewerElementCoordinates(new OpenSeadragon.Point(size.x, 0)).x;
    const whole = left >= 0 && right <= el.clientWidth && right - left > 80;
    slider.style.left = whole ? `${Math.round(left)}px` : "";
    slider.style.width = whole ? `${Math.round(right - left)}px` : "";
  };
  const clip = () => {
    const after = viewer.world.getItemAt(1);
    if (!after) return;
    const size = after.getContentSize();
    const x = (size.x * slider.value) / 100;
    after.setClip(new OpenSeadragon.Rect(x, 0, size.x - x, size.y));
    place();
  };
  viewer.world.addHandler("add-item", clip);
  viewer.addHandler("update-viewport", place);
  viewer.addHandler("resize", place);
  slider.addEventListener("input", clip);
  document.getElementById("show-mask").addEventListener("change", (e) => {
    if (e.target.checked) {
      viewer.addTiledImage({ tileSource: url("mask"), opacity: 0.5, success: (ev) => (mask = ev.item) });
    } else if (mask) {
      viewer.world.removeItem(mask);
      mask = null;
    }
  });
  // 1:1: one scan pixel per screen pixel, centred where the split meets the middle of the view
  const oneToOne = document.getElementById("compare-1to1");
  if (oneToOne) oneToOne.addEventListener("click", () => {
    const after = viewer.world.getItemAt(1);
    if (!after) return;
    const size = after.getContentSize();
    const centre = viewer.viewport.getCenter(true);
    const y = after.viewportToImageCoordinates(centre).y;
    const at = after.imageToViewportCoordinates(new OpenSeadragon.Point((size.x * slider.value) / 100, y));
    viewer.viewport.zoomTo(after.imageToViewportZoom(1 / (window.devicePixelRatio || 1)), null, true);
    viewer.viewport.panTo(at, true);
  });
  if (TEST_HOOKS) window.__compare = viewer; // the test build's hook (build.mjs)
});
