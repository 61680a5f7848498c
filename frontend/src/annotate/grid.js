// Uniform spatial grid over axis-aligned bounding boxes. Each item is filed in every cell
// its bbox touches; a query visits only the cells a rectangle touches and returns each
// item once (deduplicated with a per-query stamp kept on the item).

export class SpatialGrid {
  /**
   * @param {number} width  extent of the indexed plane (items outside are clamped to the border cells)
   * @param {number} height
   * @param {number} cellSize side of a cell in the same units
   */
  constructor(width, height, cellSize = 256) {
    this.cell = cellSize;
    this.cols = Math.max(1, Math.ceil(width / cellSize));
    this.rows = Math.max(1, Math.ceil(height / cellSize));
    this.cells = Array.from({ length: this.cols * this.rows }, () => new Set());
    this.spans = new Map(); // item -> [c0, r0, c1, r1]
    this.stamp = 0;
  }

  get size() {
    return this.spans.size;
  }

  _span(b) {
    const clampC = (v) => Math.min(this.cols - 1, Math.max(0, Math.floor(v / this.cell)));
    const clampR = (v) => Math.min(this.rows - 1, Math.max(0, Math.floor(v / this.cell)));
    return [clampC(b[0]), clampR(b[1]), clampC(b[2]), clampR(b[3])];
  }

  /** Files `item` (an object with a `bbox` [x0, y0, x1, y1]) or refiles it after a change. */
  put(item) {
    const span = this._span(item.bbox);
    const old = this.spans.get(item);
    if (old && old[0] === span[0] && old[1] === span[1] && old[2] === span[2] && old[3] === span[3]) return;
    if (old) this._each(old, (cell) => cell.delete(item));
    this._each(span, (cell) => cell.add(item));
    this.spans.set(item, span);
  }

  remove(item) {
    const old = this.spans.get(item);
    if (!old) return;
    this._each(old, (cell) => cell.delete(item));
    this.spans.delete(item);
  }

  _each([c0, r0, c1, r1], fn) {
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) fn(this.cells[r * this.cols + c]);
    }
  }

  /** Items whose bbox intersects the rectangle [x0, x1] x [y0, y1], each once. */
  query(x0, y0, x1, y1, out = []) {
    const stamp = ++this.stamp;
    const [c0, r0, c1, r1] = this._span([x0, y0, x1, y1]);
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        for (const item of this.cells[r * this.cols + c]) {
          if (item._stamp === stamp) continue;
          item._stamp = stamp;
          const b = item.bbox;
          if (b[0] <= x1 && b[2] >= x0 && b[1] <= y1 && b[3] >= y0) out.push(item);
        }
      }
    }
    return out;
  }
}
