"""The site in a real browser: log in, walk the navigation, watch a job's progress bar."""
from __future__ import annotations

import pytest

from tests.support import browser_login, screenshot

SECTIONS = ["Annotate", "Damage models", "Restore", "Leaderboard", "Surveys"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_login_and_walk_the_navigation(page, live_server, users):
    browser_login(page, live_server, "researcher", "researcher")
    assert page.inner_text("[data-testid=username]") == "researcher"
    for title in SECTIONS:
        page.click(f"nav.mainnav >> text={title}")
        page.wait_for_load_state()
        assert page.locator("nav.mainnav a.active").inner_text() == title
        assert page.locator("h1").count() >= 1
    screenshot(page, "shell-navigation")
    page.click("text=Log out")
    page.wait_for_selector("text=Log in")


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_job_progress_bar_updates_live(page, live_server, users, celery_worker_process):
    from jobs import services

    job = services.job_submit(kind="diagnostic", user=users["researcher"], params={"steps": 6, "delay": 0.3})
    browser_login(page, live_server, "researcher", "researcher")
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    page.wait_for_selector(".job-progress[data-state=succeeded]", timeout=60000)
    assert page.inner_text(".job-progress .pct") == "100"
    screenshot(page, "job-progress-done")
