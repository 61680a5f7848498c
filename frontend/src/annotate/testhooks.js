// What the browser tests and benchmarks/annotation_redraw.py read and drive in the editor, as
// window.__annotator. Only the test build calls it (build.mjs): the production bundle leaves it out.

/** A polygon's id as the tests see it: the server's id, or "new-<key>" before its first save. */
const publicId = (rec) => (rec.id !== null ? rec.id : `new-${rec.key}`);

export function editorHooks(ed) {
  const find = (id) => ed.store.byServerId(id) || [...ed.store.records.values()].find((r) => publicId(r) === id);
  const transform = () => ({ t: ed.renderer.transform(), r: ed.viewer.canvas.getBoundingClientRect() });
  return {
    ready: ed.ready.then(() => undefined),
    viewer: ed.viewer,
    stats: ed.stats,
    polygons: () => ed.store.ordered().map((r) => ({
      id: publicId(r), cls: r.state.cls, points: r.state.points.map((p) => [p[0], p[1]]),
      saved: !ed.store.isDirty(r), version: r.version, created_by: r.meta.created_by ?? ed.user, area_px: r.area,
      status: r.state.status, score: r.meta.score ?? null, bbox: r.bbox && [...r.bbox],
    })),
    review: () => (ed.review ? ed.review.summary() : null),
    selectedId: () => {
      const rec = ed.selectedKey ? ed.store.get(ed.selectedKey) : null;
      return rec ? publicId(rec) : null;
    },
    select: (id, zoom = false) => {
      const rec = id === null ? null : find(id);
      ed.select(rec ? rec.key : null, { zoom });
      return !!rec;
    },
    settled: () => ed.settled(),
    imageToScreen: (x, y) => {
      const { t, r } = transform();
      return { x: r.left + t.ox + x * t.s, y: r.top + t.oy + y * t.s };
    },
    screenToImage: (x, y) => {
      const { t, r } = transform();
      return { x: (x - r.left - t.ox) / t.s, y: (y - r.top - t.oy) / t.s };
    },
    drawingPoints: () => (ed.interaction.drawing ? ed.interaction.drawing.points.map((p) => [p[0], p[1]]) : null),
    tool: () => ed.tool,
    setTool: (t) => ed.setTool(t),
    currentClass: () => ed.currentClass,
    status: () => ed.syncer.status(),
    idle: () => ed.syncer.idle(),
    undo: () => ed.undo(),
    redo: () => ed.redo(),
  };
}
