// Undo/redo of polygon changes. An entry lists, per polygon key, the state before and after
// (null = absent); undo applies the "before" states, redo the "after" states.

export class History {
  constructor(limit = 1000) {
    this.limit = limit;
    this.done = [];
    this.undone = [];
  }

  push(label, changes) {
    this.done.push({ label, changes });
    if (this.done.length > this.limit) this.done.shift();
    this.undone.length = 0;
  }

  /** Returns the entry to revert (apply its "before" states), or null. */
  undo() {
    const entry = this.done.pop() || null;
    if (entry) this.undone.push(entry);
    return entry;
  }

  /** Returns the entry to re-apply (its "after" states), or null. */
  redo() {
    const entry = this.undone.pop() || null;
    if (entry) this.done.push(entry);
    return entry;
  }

  /** Forgets every entry (the polygons were replaced from the server). */
  clear() {
    this.done.length = 0;
    this.undone.length = 0;
  }

  get canUndo() {
    return this.done.length > 0;
  }

  get canRedo() {
    return this.undone.length > 0;
  }
}
