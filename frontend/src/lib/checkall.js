// A checkbox with data-check-all="NAME" ticks or clears every checkbox named NAME in its form, and shows
// whether all, some or none of them are ticked.
export function watchCheckAll(root) {
  for (const all of root.querySelectorAll("input[type=checkbox][data-check-all]")) {
    const boxes = () => [...all.form.querySelectorAll(`input[type=checkbox][name="${all.dataset.checkAll}"]`)];
    const show = () => {
      const ticked = boxes().filter((b) => b.checked).length;
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
    };
    all.addEventListener("change", () => {
      for (const b of boxes()) b.checked = all.checked;
    });
    all.form.addEventListener("change", (event) => {
      if (event.target !== all && event.target.name === all.dataset.checkAll) show();
    });
    show();
  }
}
