"""The site's own 403, 404 and 500 pages: in the site layout with its navigation, never Django's debug pages."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.test import RequestFactory

from tests.support import ROOT, browser_login, screenshot

#: What every page in the site layout has: the top bar with the brand and the main navigation.
LAYOUT = ('class="topbar"', 'class="mainnav"', ">Annotate</a>", ">Leaderboard</a>")


def unassigned_scan():
    """A scan of the demo annotators' site that is assigned to nobody."""
    from annotation import services
    from annotation.core.types import FrameGeometry, ScanArtefacts

    dataset = services.annotation_set_get_or_create(name="Private")
    return services.scan_import_artefacts(
        dataset=dataset, scan_artefacts=ScanArtefacts(name="not-yours", frame=FrameGeometry.for_35mm(640, 480),
                                                      artefacts=[]), build_tiles=False)


def assert_site_page(html: str, *, status: int) -> None:
    for marker in LAYOUT:
        assert marker in html, marker
    assert f'data-status="{status}"' in html
    assert "Traceback" not in html and "URLconf" not in html and "DEBUG = True" not in html


@pytest.mark.django_db
def test_annotator_gets_the_styled_403(client, users):
    # given an annotator
    client.force_login(users["annotator"])
    # when they open a researcher's page
    response = client.get("/annotation/upload/")
    # then the site's 403 page answers, with the view's reason and the navigation
    html = response.content.decode()
    assert response.status_code == 403
    assert_site_page(html, status=403)
    assert "Only researchers and administrators upload scans" in html
    assert 'data-testid="username">annotator<' in html


@pytest.mark.django_db
def test_annotator_gets_the_styled_403_on_a_survey(client, users):
    client.force_login(users["annotator"])
    response = client.get("/surveys/1/")
    assert response.status_code == 403
    assert_site_page(response.content.decode(), status=403)


@pytest.mark.django_db
def test_annotator_gets_the_styled_404_for_an_unassigned_scan(client, users):
    # given a scan assigned to nobody
    scan = unassigned_scan()
    client.force_login(users["annotator"])
    # when the annotator opens it
    response = client.get(f"/annotation/scans/{scan.pk}/")
    # then the site's 404 page answers, without Django's generic query message
    html = response.content.decode()
    assert response.status_code == 404
    assert_site_page(html, status=404)
    assert "Page not found" in html and "matches the given query" not in html


@pytest.mark.django_db
def test_anonymous_visitors_get_the_styled_404_with_a_log_in_link(client):
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert_site_page(html, status=404)
    assert "/accounts/login/?next=/no/such/page/" in html


@pytest.mark.django_db
def test_api_paths_get_json_errors(client):
    response = client.get("/api/no-such-endpoint/")
    assert response.status_code == 404 and response.json() == {"detail": "Page not found", "code": "not_found"}


@pytest.mark.django_db
def test_the_500_page_is_in_the_site_layout(users):
    from webapp.errors import server_error

    request = RequestFactory().get("/somewhere/")
    request.user = users["annotator"]
    response = server_error(request)
    assert response.status_code == 500
    assert_site_page(response.content.decode(), status=500)


def test_the_500_page_falls_back_to_plain_html_when_the_layout_fails(monkeypatch):
    from webapp import errors

    def broken(*args, **kwargs):
        raise RuntimeError("database is down")

    monkeypatch.setattr(errors.loader, "render_to_string", broken)
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500 and b"Something went wrong" in response.content


def _settings_in_a_fresh_process(env: dict, code: str) -> subprocess.CompletedProcess:
    """Import the settings in a new Python outside pytest (so TESTING is off), with ``env`` over ours."""
    base = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "FILMLAB_TEST_RUN", "DEBUG",
                                                             "SECRET_KEY", "SECRET_KEY_FILE"}}
    return subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
                           + code], cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE": "webapp.settings", **env},
                          capture_output=True, text=True, timeout=120)


def test_debug_is_off_unless_asked_for(tmp_path):
    key = tmp_path / "secret-key"
    key.write_text("k" * 20 + "local-key-written-by-make-run" + "z" * 10)
    off = _settings_in_a_fresh_process({"SECRET_KEY_FILE": str(key)}, "print(settings.DEBUG, settings.SECRET_KEY)")
    assert off.returncode == 0, off.stderr
    assert off.stdout.split() == ["False", key.read_text()]  # and the local key file is read
    on = _settings_in_a_fresh_process({"DEBUG": "1", "SECRET_KEY_FILE": str(tmp_path / "none")},
                                      "print(settings.DEBUG)")
    assert on.returncode == 0 and on.stdout.strip() == "True", on.stderr


def test_debug_off_without_a_secret_key_is_refused(tmp_path):
    result = _settings_in_a_fresh_process({"SECRET_KEY_FILE": str(tmp_path / "none")}, "print(settings.DEBUG)")
    assert result.returncode != 0 and "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_annotator_sees_the_styled_404_and_403_in_the_browser(page, live_server, users):
    # given a scan assigned to someone else's queue, not the annotator's
    scan = unassigned_scan()
    browser_login(page, live_server, "annotator", "annotator")
    # when the annotator opens its address
    response = page.goto(f"{live_server.url}/annotation/scans/{scan.pk}/")
    # then the site's 404 page is shown in the layout, and no Django debug page
    assert response.status == 404
    page.wait_for_selector("[data-testid=error-page][data-status='404']")
    assert page.locator("h1").inner_text() == "Page not found"
    assert page.locator("nav.mainnav a").count() >= 5
    text = page.inner_text("body")
    assert "Using the URLconf" not in text and "Traceback" not in text and "DEBUG = True" not in text
    screenshot(page, "error-404-annotator")
    # and its navigation leads on
    page.click("nav.mainnav >> text=Annotate")
    page.wait_for_selector("h1:has-text('Annotate')")
    # and a researcher's page is the styled 403, with the reason
    response = page.goto(f"{live_server.url}/annotation/upload/")
    assert response.status == 403
    page.wait_for_selector("[data-testid=error-page][data-status='403']")
    assert "Only researchers and administrators" in page.inner_text("[data-testid=error-message]")
    screenshot(page, "error-403-annotator")


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_gets_the_styled_403(users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(users["researcher"])
    response = client.post("/accounts/logout/")
    html = response.content.decode()
    assert response.status_code == 403
    assert_site_page(html, status=403)
    assert "reload the page and send it again" in html
