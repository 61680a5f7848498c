// A virtualised list: only the rows in (or near) view exist in the DOM, so thousands of
// polygons cost a few dozen elements.

/** Whether `el` is seen whole: inside the window and inside every ancestor that clips it. */
function fullyInView(el) {
  const r = el.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) return false;
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowY === "visible") continue;
    const b = p.getBoundingClientRect();
    if (r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5) return false;
  }
  return true;
}

export class VirtualList {
  /**
   * @param {HTMLElement} scroller element with a fixed height and overflow: auto
   * @param {object} o
   * @param {number} o.rowHeight px
   * @param {(row: HTMLElement, item: any) => void} o.fill writes an item into a row element
   * @param {(item: any) => void} o.onPick called when a row is clicked
   */
  constructor(scroller, { rowHeight, fill, onPick }) {
    this.scroller = scroller;
    this.rowHeight = rowHeight;
    this.fill = fill;
    this.items = [];
    this.selected = null;
    this.spacer = document.createElement("div");
    this.spacer.className = "annot-list-spacer";
    scroller.appendChild(this.spacer);
    this.rows = [];
    scroller.addEventListener("scroll", () => this.render(), { passive: true });
    scroller.addEventListener("click", (e) => {
      const row = e.target.closest(".annot-row");
      if (row && row._item) onPick(row._item);
    });
  }

  setItems(items, selected) {
    this.items = items;
    this.selected = selected;
    this.spacer.style.height = `${items.length * this.rowHeight}px`;
    this.render();
  }

  /**
   * Scrolls so that the item at `index` is visible whole: the list first (which draws its row), then
   * whatever holds the list (the sidebar, the page) when they cut the row off, as on a short window.
   */
  reveal(index) {
    if (index < 0) return;
    const top = index * this.rowHeight, h = this.scroller.clientHeight;
    if (top < this.scroller.scrollTop) this.scroller.scrollTop = top;
    else if (top + this.rowHeight > this.scroller.scrollTop + h) this.scroller.scrollTop = top + this.rowHeight - h;
    this.render();
    const row = this.rows.find((r) => !r.hidden && r._item === this.items[index]);
    if (row && !fullyInView(row)) row.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  render() {
    const rh = this.rowHeight;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / rh) - 4);
    const last = Math.min(this.items.length, Math.ceil((this.scroller.scrollTop + this.scroller.clientHeight) / rh) + 4);
    const need = last - first;
    while (this.rows.length < need) {
      const row = document.createElement("div");
      row.className = "annot-row";
      row.setAttribute("role", "option");
      this.spacer.appendChild(row);
      this.rows.push(row);
    }
    this.rows.forEach((row, i) => {
      const item = this.items[first + i];
      row.hidden = !item;
      if (!item) return;
      row._item = item;
      row.style.top = `${(first + i) * rh}px`;
      row.setAttribute("aria-selected", String(item === this.selected));
      this.fill(row, item);
    });
  }
}
