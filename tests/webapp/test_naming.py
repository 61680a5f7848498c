"""One name per concept (issue 15, item 5, ``docs/GLOSSARY.md``): the old addresses redirect permanently to the
new ones with their query, and every address the glossary gives is a route of the site."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

pytestmark = pytest.mark.django_db

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "GLOSSARY.md"

#: (old address, new address): pages (301 to GET and HEAD, 308 to writes)
PAGES = [
    ("/annotate/", "/annotation/"),
    ("/annotate/upload/", "/annotation/upload/"),
    ("/annotate/scans/7/", "/annotation/scans/7/"),
    ("/annotate/datasets/3/", "/annotation/sets/3/"),
    ("/annotate/datasets/3/assign/", "/annotation/sets/3/assign/"),
    ("/annotate/datasets/3/statistics/", "/annotation/sets/3/statistics/"),
    ("/annotate/bank/", "/annotation/bank/"),
    ("/models/", "/synthesis/"),
    ("/models/fit/", "/synthesis/damage-models/fit/"),
    ("/models/compare/", "/synthesis/damage-models/compare/"),
    ("/models/4/", "/synthesis/damage-models/4/"),
    ("/models/4/preview/", "/synthesis/damage-models/4/preview/"),
    ("/models/previews/5/", "/synthesis/previews/5/"),
    ("/models/previews/5/download/", "/synthesis/previews/5/download/"),
    ("/models/datasets/new/", "/synthesis/datasets/new/"),
    ("/models/datasets/6/", "/synthesis/datasets/6/"),
    ("/models/datasets/6/download/", "/synthesis/datasets/6/download/"),
    ("/restore/", "/restoration/"),
    ("/restore/models/", "/restoration/networks/"),
    ("/restore/8/", "/restoration/8/"),
    ("/restore/8/download/output/", "/restoration/8/download/output/"),
    ("/restore/8/viewer/before/before.dzi", "/restoration/8/viewer/before/before.dzi"),
    ("/leaderboard/", "/evaluation/"),
    ("/leaderboard/import/", "/evaluation/import/"),
    ("/leaderboard/2/", "/evaluation/2/"),
    ("/leaderboard/2/images/a/ground-truth/", "/evaluation/2/images/a/ground-truth/"),
    ("/leaderboard/submissions/9/", "/evaluation/submissions/9/"),
]

#: (old API address, new API address): 308 to every method
APIS = [
    ("/api/annotation/datasets/", "/api/annotation/sets/"),
    ("/api/annotation/datasets/3/stats/", "/api/annotation/sets/3/stats/"),
    ("/api/annotation/datasets/3/export/", "/api/annotation/sets/3/export/"),
    ("/api/synthesis/models/", "/api/synthesis/damage-models/"),
    ("/api/synthesis/models/fit/", "/api/synthesis/damage-models/fit/"),
    ("/api/synthesis/models/4/", "/api/synthesis/damage-models/4/"),
    ("/api/synthesis/models/4/previews/", "/api/synthesis/damage-models/4/previews/"),
    ("/api/restoration/jobs/", "/api/restoration/restorations/"),
    ("/api/restoration/jobs/8/", "/api/restoration/restorations/8/"),
    ("/api/restoration/jobs/8/components/", "/api/restoration/restorations/8/components/"),
    ("/api/restoration/jobs/8/review/", "/api/restoration/restorations/8/review/"),
    ("/api/restoration/jobs/8/repair/", "/api/restoration/restorations/8/repair/"),
]


def is_route(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return not (match.url_name or "").startswith("legacy-")


@pytest.mark.parametrize("old, new", PAGES)
def test_an_old_page_redirects_permanently_to_its_new_address_with_its_query(old, new):
    client = Client()
    assert is_route(new), new
    for method, status in (("get", 301), ("head", 301), ("post", 308), ("put", 308), ("delete", 308)):
        response = getattr(client, method)(old + "?a=1&b=x%20y")
        assert (response.status_code, response["Location"]) == (status, new + "?a=1&b=x%20y"), (method, old)
    response = client.get(old)
    assert (response.status_code, response["Location"]) == (301, new)


@pytest.mark.parametrize("old, new", APIS)
def test_an_old_api_path_answers_308_to_its_new_path_with_its_query(old, new):
    client = Client()
    assert is_route(new), new
    for method in ("get", "head", "post", "put", "patch", "delete"):
        response = getattr(client, method)(old + "?offset=2&limit=5")
        assert (response.status_code, response["Location"]) == (308, new + "?offset=2&limit=5"), (method, old)


def test_every_old_route_is_listed_here():
    """Each legacy route of webapp/legacy.py is exercised above."""
    from webapp import legacy

    olds = {old for old, _ in PAGES + APIS}
    for _, prefix, *_ in legacy.PAGES + legacy.APIS:
        assert any(path.startswith(f"/{prefix}") for path in olds), prefix


def test_the_participants_links_are_unchanged():
    token = uuid.uuid4()
    assert resolve(f"/surveys/take/{token}/").view_name == "surveys:take"
    assert resolve(f"/surveys/p/{token}/").view_name == "surveys:participant"


def glossary_urls() -> list[str]:
    """Every site address (a code span starting with ``/``) in the glossary's first table."""
    text = GLOSSARY.read_text()
    rows = [line for line in text.split("## Old addresses", 1)[0].splitlines() if line.startswith("| ")]
    return sorted(set(re.findall(r"`(/[^`\s]*)`", "\n".join(rows))))


def test_the_glossary_is_linked_from_the_top_of_the_readme():
    readme = (GLOSSARY.parents[1] / "README.md").read_text().splitlines()
    assert any("docs/GLOSSARY.md" in line for line in readme[:12])


def test_every_address_in_the_glossary_is_a_route_of_the_site():
    urls = glossary_urls()
    assert len(urls) >= 20, urls
    token = str(uuid.uuid4())
    unresolved = [url for url in urls if not is_route(url.replace("<id>", "1").replace("<token>", token))]
    assert not unresolved, unresolved
