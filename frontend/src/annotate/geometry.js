// Plane geometry on polygons given as arrays of [x, y] points in image pixels.
// Polygons are implicitly closed (the last point joins the first).

/** Axis-aligned bounding box [minX, minY, maxX, maxY] of a point list. */
export function bboxOf(points) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of points) {
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

/** Unsigned area (shoelace formula) in square pixels. */
export function polygonArea(points) {
  let twice = 0;
  for (let i = 0, n = points.length, j = n - 1; i < n; j = i++) {
    twice += points[j][0] * points[i][1] - points[i][0] * points[j][1];
  }
  return Math.abs(twice) / 2;
}

/** Even-odd point-in-polygon test (ray casting). */
export function pointInPolygon(x, y, points) {
  let inside = false;
  for (let i = 0, n = points.length, j = n - 1; i < n; j = i++) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Squared distance from (px, py) to the segment (ax, ay)-(bx, by). */
export function distSqToSegment(px, py, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay;
  const len = dx * dx + dy * dy;
  let t = len > 0 ? ((px - ax) * dx + (py - ay) * dy) / len : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = ax + t * dx - px, ey = ay + t * dy - py;
  return ex * ex + ey * ey;
}

/** Squared distance from (x, y) to the nearest edge of the closed polygon. */
export function distSqToOutline(x, y, points) {
  let best = Infinity;
  for (let i = 0, n = points.length, j = n - 1; i < n; j = i++) {
    const d = distSqToSegment(x, y, points[j][0], points[j][1], points[i][0], points[i][1]);
    if (d < best) best = d;
  }
  return best;
}

/** True when both point lists hold the same coordinates in the same order. */
export function samePoints(a, b) {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i][0] !== b[i][0] || a[i][1] !== b[i][1]) return false;
  }
  return true;
}

/** Drops consecutive duplicates (closer than eps) including a repeated closing point. */
export function dedupePoints(points, eps = 1e-9) {
  const out = [];
  for (const p of points) {
    const q = out[out.length - 1];
    if (!q || Math.abs(p[0] - q[0]) > eps || Math.abs(p[1] - q[1]) > eps) out.push(p);
  }
  while (out.length > 1) {
    const a = out[0], z = out[out.length - 1];
    if (Math.abs(a[0] - z[0]) > eps || Math.abs(a[1] - z[1]) > eps) break;
    out.pop();
  }
  return out;
}
