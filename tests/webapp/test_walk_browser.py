"""Every page a person reaches from the navigation, two clicks deep, as a researcher and as an annotator: none
answers a server error, none shows a traceback or a server path (a failed job with a traceback in its stored error
included), and every refusal on the way is the site's styled error page (issue 16, "Done when")."""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from annotation import services as annotation_services
from jobs import services as job_services
from jobs.models import Job
from tests.support import browser_login

#: links a walk does not follow: leaving the session, the admin, the API and health check, files and downloads
SKIP = ("/accounts/logout", "/admin/", "/api/", "/healthz", "/media/", "/static/", "download", "export", ".zip", ".csv",
        ".png", ".json", ".tif", "?as=")
TRACEBACK = ('BenchmarkImportError: the benchmark zip has 1 problem:\n../evil.png: climbs out of the folder\n\n'
             'Traceback (most recent call last):\n  File "/work/main/evaluation/services/benchmarks.py", line 160, '
             'in benchmark_import_zip\n    raise BenchmarkImportError(str(exc)) from exc\n')
LINKS = "() => [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href'))"


def walk(page, live_server, *, depth: int = 2, limit: int = 80) -> dict[str, int]:
    """Open the home page, then every same-site link ``depth`` clicks deep; returns path -> HTTP status."""
    seen: dict[str, int] = {}
    frontier = ["/"]
    for _ in range(depth + 1):
        found = []
        for path in frontier:
            if path in seen or len(seen) >= limit:
                continue
            response = page.goto(f"{live_server.url}{path}")
            seen[path] = response.status
            text = page.inner_text("body")
            html = page.content()
            assert response.status < 500, (path, response.status)
            assert "Traceback" not in html and str(settings.BASE_DIR) not in html and 'File "' not in text, path
            if response.status >= 400:
                assert page.locator("[data-testid=error-page]").count() == 1, (path, response.status)
            for href in page.evaluate(LINKS):
                url = urlsplit(urljoin(f"{live_server.url}{path}", href))
                target = url.path + (f"?{url.query}" if url.query else "")
                if url.netloc == urlsplit(live_server.url).netloc and not any(s in target for s in SKIP):
                    found.append(target)
        frontier = list(dict.fromkeys(found))
    return seen


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_page_two_clicks_from_the_navigation_shows_a_traceback(page, live_server, users, squares_damage_model):
    # given: a dataset and a fitted damage model, a scan assigned to the annotator, and failed jobs of each
    # whose stored errors hold a traceback with server paths
    scan = annotation_services.scan_create(dataset=annotation_services.annotation_set_get_or_create(name="walk"),
                                           name="walk-scan", width=600, height=400, build_tiles=False)
    annotation_services.scan_assign(scan=scan, annotator=users["annotator"])
    for who in ("researcher", "annotator"):
        job = job_services.job_create(kind="benchmark.import", user=users[who])
        Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, error=TRACEBACK, finished_at=timezone.now())
    walked = {}
    for who in ("researcher", "annotator"):
        page.context.clear_cookies()
        browser_login(page, live_server, who, who)
        # when: they open every page two clicks deep
        walked[who] = walk(page, live_server)
        print(f"{who}: {len(walked[who])} pages, statuses {sorted(set(walked[who].values()))}")
    # then (checked on each page): no server error, no traceback, no path; refusals are the styled page
    for who, seen in walked.items():
        assert len(seen) >= 10, (who, seen)  # it did walk the site
        assert any(p.startswith("/jobs/") and p != "/jobs/" for p in seen), (who, seen)  # a failed job's page
    assert f"/annotation/scans/{scan.pk}/" in walked["annotator"]
    assert "/synthesis/" in walked["researcher"] and "/surveys/" in walked["researcher"]
