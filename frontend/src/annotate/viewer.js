// The OpenSeadragon deep-zoom viewer and the mapping between image pixels and screen pixels.
// The scan occupies viewport x in [0, 1] (OpenSeadragon's placement of a single image), so
// image pixel x maps to viewport x / width whatever the pyramid's own size is.
import { OpenSeadragon, openViewer } from "../lib/viewer.js";

/** A small uniform grey image with the scan's aspect ratio (the "no tiles yet" stand-in). */
function greyImageUrl(width, height) {
  const k = Math.max(1, Math.max(width, height) / 1024);
  const c = document.createElement("canvas");
  c.width = Math.max(1, Math.round(width / k));
  c.height = Math.max(1, Math.round(height / k));
  const g = c.getContext("2d");
  g.fillStyle = "#8a8a8a";
  g.fillRect(0, 0, c.width, c.height);
  return c.toDataURL("image/png");
}

/**
 * Opens the viewer in `element`. Resolves `opened` with "tiles" or "blank" (grey stand-in,
 * used when there is no DZI or it fails to open).
 */
export function createViewer(element, { dziUrl, width, height, onBlank = () => {} }) {
  const grey = { type: "image", url: greyImageUrl(width, height), buildPyramid: false };
  // The grey stand-in is at most 1024 px wide: let it zoom as far as the scan's own pixels would.
  const greyZoom = 8 * Math.max(1, Math.max(width, height) / 1024);
  const viewer = openViewer(element, dziUrl || grey, {
    // The 2-D canvas drawer: OpenSeadragon's WebGL drawer costs 200-400 ms a frame on machines
    // without a GPU (benchmarks/annotation_redraw.py), the canvas one keeps 60 frames a second.
    drawer: "canvas",
    navigatorPosition: "BOTTOM_RIGHT",
    showRotationControl: false,
    showFlipControl: false,
    showFullPageControl: false,
    maxZoomPixelRatio: 8, // vertices can be placed well below one screen pixel per image pixel
    visibilityRatio: 0.2,
    constrainDuringPan: false,
    animationTime: 0.5,
    zoomPerScroll: 1.25,
    clickTimeThreshold: 1000, // a slow click still adds a vertex rather than counting as a drag
    clickDistThreshold: 4,
    imageSmoothingEnabled: false, // show scan pixels crisply when zoomed past 1:1
    gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: false, flickEnabled: false },
    gestureSettingsPen: { clickToZoom: false, dblClickToZoom: false, flickEnabled: false },
    gestureSettingsTouch: { clickToZoom: false, dblClickToZoom: false },
  });
  const blank = () => {
    viewer.viewport.maxZoomPixelRatio = greyZoom;
    return "blank";
  };
  const opened = new Promise((resolve) => {
    viewer.addOnceHandler("open", () => resolve(dziUrl ? "tiles" : blank()));
    viewer.addHandler("open-failed", (e) => {
      if (!dziUrl) return;
      onBlank(`The scan's tiles could not be opened (${e.message || "unknown error"}): showing a grey canvas.`);
      dziUrl = "";
      viewer.addOnceHandler("open", () => resolve(blank()));
      viewer.open(grey);
    });
  });
  return { viewer, opened };
}

/** Screen transform: container px = (ox + s * x, oy + s * y) for image pixel (x, y). */
export function currentTransform(viewer, width) {
  const p0 = viewer.viewport.pixelFromPoint(new OpenSeadragon.Point(0, 0), true);
  const p1 = viewer.viewport.pixelFromPoint(new OpenSeadragon.Point(1, 0), true);
  return { s: (p1.x - p0.x) / width, ox: p0.x, oy: p0.y };
}

/** Zooms and pans so that the image-pixel box is in view with some context round it. */
export function zoomToBox(viewer, width, [x0, y0, x1, y1], { minSide = 160, context = 3 } = {}) {
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const side = Math.max(minSide, context * Math.max(x1 - x0, y1 - y0));
  const r = new OpenSeadragon.Rect((cx - side / 2) / width, (cy - side / 2) / width, side / width, side / width);
  viewer.viewport.fitBounds(r);
}
