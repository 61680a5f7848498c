"""The leaderboard in a real browser: upload a zip, watch the scoring job, find the row; sort; compare."""
from __future__ import annotations

import pytest

from evaluation.services import baselines
from tests.evaluation.leaderboard_support import restorations, zip_bytes
from tests.support import browser_login, screenshot


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_researcher_uploads_a_zip_and_finds_the_new_row(page, live_server, users, bench, celery_worker_process):
    # given a benchmark with its do-nothing row
    baselines.baselines_compute(benchmark=bench, methods=[], device="cpu")
    browser_login(page, live_server, "researcher", "researcher")
    page.goto(f"{live_server.url}/evaluation/{bench.pk}/")
    assert page.locator("[data-testid=restoration-table] tr[data-row]").count() == 1
    # when the researcher uploads a zip of restorations with the form
    form = page.locator("[data-testid=submit-form]")
    form.locator("#sub-name").fill("Browser method")
    form.locator("#sub-zip").set_input_files(files=[{"name": "restored.zip", "mimeType": "application/zip",
                                                     "buffer": zip_bytes(restorations(bench.pairs))}])
    form.locator("#sub-paper").fill("https://example.org/paper")
    form.locator("button[type=submit]").click()
    # then the submission page follows the scoring job to the end (and reloads itself)
    page.wait_for_selector(".job-progress", timeout=20000)
    screenshot(page, "leaderboard-submission-scoring")
    page.wait_for_selector("[data-testid=state][data-state=scored]", timeout=180000)
    assert page.locator("[data-testid=per-image-table] tr[data-row]").count() == 3
    # and the new row is on the leaderboard, ranked above the do-nothing row
    page.click("[data-testid=back]")
    row = page.locator("[data-testid=restoration-table] tr[data-method='Browser method']")
    row.wait_for()
    assert row.locator("td").first.inner_text() == "1"
    assert "v1" in row.inner_text() and "paper" in row.inner_text()
    page.wait_for_selector(".plot[data-figure=box_psnr][data-rendered=true]")
    screenshot(page, "leaderboard-new-row")
    # sorting by a column puts the best first, a second click the worst
    methods = lambda: page.locator("[data-testid=restoration-table] tr[data-row]").evaluate_all(  # noqa: E731
        "rows => rows.map(r => r.dataset.method)")
    page.click("[data-testid=restoration-table] th[data-key=lpips]")
    assert methods()[0] == "Browser method"
    page.click("[data-testid=restoration-table] th[data-key=lpips]")
    assert methods()[0].startswith("Do nothing")
    # the drill-down shows the input and the method side by side, zoomed together
    page.goto(f"{live_server.url}/evaluation/{bench.pk}/images/a/")
    page.wait_for_function("document.querySelectorAll('.compare-view[data-loaded=true]').length === 3")
    page.evaluate("window.__compare[0].viewport.zoomTo(4, null, true)")
    zooms = page.evaluate("window.__compare.map(v => v.viewport.getZoom())")
    assert zooms == pytest.approx([4, 4, 4])
    screenshot(page, "leaderboard-compare")
