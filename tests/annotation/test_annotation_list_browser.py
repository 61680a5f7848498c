"""The editor's polygon list and class choice as a person uses them: the selected polygon's row is scrolled
into view (inside the list and inside the window), and the class chosen stays chosen after a reload."""
from __future__ import annotations

import pytest

from annotation import services
from tests.annotation.test_annotation_browser import assigned_scan, open_editor
from tests.support import browser_login, screenshot

#: the sidebar has drawn the selection: the selected row is the polygon's own (the list scrolls to it)
SELECTED_ROW_SHOWS = """(id) => [...document.querySelectorAll('[data-testid=polygon-list] .annot-row')]
  .some((r) => !r.hidden && r.getAttribute('aria-selected') === 'true'
    && r.querySelector('.annot-id').textContent === '#' + id)"""

ROW_IN_VIEW = """(id) => {
  const row = [...document.querySelectorAll('[data-testid=polygon-list] .annot-row')]
    .find((r) => !r.hidden && r.getAttribute('aria-selected') === 'true');
  if (!row) return 'no selected row';
  const r = row.getBoundingClientRect();
  const list = document.querySelector('[data-testid=polygon-list]').getBoundingClientRect();
  const side = document.querySelector('.annot-side').getBoundingClientRect();
  const bottom = Math.min(list.bottom, side.bottom, window.innerHeight);
  const top = Math.max(list.top, side.top, 0);
  const seen = r.top >= top - 1 && r.bottom <= bottom + 1;  // a pixel for sub-pixel layout
  return seen ? 'in view' : `out: row ${r.top}-${r.bottom}, view ${top}-${bottom}`;
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("viewport", "help_open"), [((1400, 900), False), ((1366, 768), False), ((1366, 768), True),
                                                    ((1024, 420), False)])  # the editor taller than the window
def test_the_selected_polygons_row_is_scrolled_into_view(browser, live_server, users, viewport, help_open):
    # given: a scan with 300 polygons
    scan = assigned_scan(users, "many", 700, 1000)
    ids = [services.polygon_create(scan=scan, cls="dust", user=users["annotator"],
                                   points=[[10 + 3 * i, 10], [12 + 3 * i, 10], [11 + 3 * i, 13]]).pk
           for i in range(300)]
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    try:
        browser_login(page, live_server, "annotator", "annotator")
        open_editor(page, live_server, scan)
        if help_open:  # the shortcuts take room: the list is squeezed and the sidebar cuts it off
            page.click(".annot-help summary")
        # when: polygons far down, in the middle and back at the top are selected on the canvas
        for index in (250, 299, 120, 0, 200):
            page.evaluate(f"window.__annotator.select({ids[index]})")
            page.wait_for_function(SELECTED_ROW_SHOWS, arg=ids[index], timeout=3000)
            # then: each time the selected row is shown whole, inside the list and the window
            assert page.evaluate(ROW_IN_VIEW, ids[index]) == "in view", index
        screenshot(page, f"annotation-list-{viewport[0]}x{viewport[1]}{'-help' if help_open else ''}")
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_class_chosen_is_remembered_after_a_reload(page, live_server, users):
    scan = assigned_scan(users, "frame", 400, 600)
    browser_login(page, live_server, "annotator", "annotator")
    open_editor(page, live_server, scan)
    assert page.evaluate("window.__annotator.currentClass()") == "dust"
    page.keyboard.press("4")  # long hair
    assert page.evaluate("window.__annotator.currentClass()") == "long hair"
    open_editor(page, live_server, scan)
    assert page.evaluate("window.__annotator.currentClass()") == "long hair"
    assert page.get_attribute("[data-testid=class-long-hair]", "aria-pressed") == "true"
    # a stored class the editor does not know falls back to the first
    page.evaluate("localStorage.setItem('filmlab.annotate.class', 'nonsense')")
    open_editor(page, live_server, scan)
    assert page.evaluate("window.__annotator.currentClass()") == "dust"
