// The OpenSeadragon set-up every page shares: its navigation images (copied into the build by build.mjs),
// the navigator, and zoom up to 8 screen pixels per image pixel. A page passes only what differs.
import OpenSeadragon from "openseadragon";

export { OpenSeadragon };

const DEFAULTS = {
  prefixUrl: "/static/openseadragon-images/",
  showNavigator: true,
  maxZoomPixelRatio: 8,
};

/** An OpenSeadragon viewer in `element` on `tileSources`; `options` override the shared defaults. */
export function openViewer(element, tileSources, options = {}) {
  return OpenSeadragon({ ...DEFAULTS, ...options, element, tileSources });
}

/** A plain image file (PNG, JPEG) as a tile source: OpenSeadragon builds its pyramid in the browser. */
export function imageSource(url) {
  return { type: "image", url };
}

/** Where a viewer looks: its zoom and centre (viewport coordinates). */
export function viewOf(viewer) {
  return { zoom: viewer.viewport.getZoom(), center: viewer.viewport.getCenter() };
}

/** Moves a viewer to `view` at once (no animation). */
export function showView(viewer, { zoom, center }) {
  viewer.viewport.zoomTo(zoom, null, true);
  viewer.viewport.panTo(center, true);
}
