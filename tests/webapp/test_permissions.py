"""Every route of the site, called as each role, against the table beside this file (``permission_table.py``).

The URL configuration is walked whole (``django.urls.get_resolver``, recursively, Django's admin included); each
route is called with real objects of a small world (``tests.webapp.world``) as anonymous, survey participant (no
account: their token in the session), annotator, a second annotator (no scan assigned), researcher and
administrator: GET, or, for a route that only takes POST/PUT/PATCH/DELETE, that method with an empty body (``{}`` to
an API). Each call runs in a transaction that is rolled back, so no call changes what the next one sees. A route
missing from the table fails the test by name, with the row to add.

Every error an API gives (``/api/...``, 4xx and 5xx) has the one shape: ``{"detail": sentence, "code": ...}``.
"""
from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.webapp.permission_table import ADMIN_DEFAULT, ROLES, TABLE
from tests.webapp.world import World, full_world

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

#: Query strings some routes need to show something.
QUERY = {"synthesis:compare": lambda w: f"?a={w.model.pk}&b={w.model.pk}"}

#: The routes without a name (they cannot be reversed): the address each is called at.
UNNAMED = {"admin:admin/(?P<url>.*)$": "/admin/no-such-page/"}


def walk(resolver=None, namespace: str = "", regexes: tuple = (), route: str = ""):
    """(route key, parameter names, route text, named) of every route, depth first; the key is the route's name, or for
    an unnamed one its namespace and route text."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        here, text = regexes + (entry.pattern.regex,), route + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry, namespace + (f"{entry.namespace}:" if entry.namespace else ""), here, text)
        elif isinstance(entry, URLPattern):
            params = [name for regex in here for name in regex.groupindex]
            yield namespace + (entry.name or text), params, text, bool(entry.name)


def unnamed_url(key: str, text: str) -> str:
    """The address of a route without a name: its route text with real values (Django's admin redirects
    ``<app>/<model>/<object_id>/`` to the change page)."""
    if key in UNNAMED:
        return UNNAMED[key]
    found = admin_object_at(text)
    return "/" + re.sub(r"<(?:\w+:)?object_id>", str(found.pk if found else 0), text)


def admin_object(name: str):
    """The model object an admin route of ``name`` (``admin:<app>_<model>_<action>``) is about, if any."""
    for model in admin.site._registry:
        key = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(key):
            return model._default_manager.order_by("pk").first()
    return None


def admin_object_at(text: str):
    for model in admin.site._registry:
        if text.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model._default_manager.order_by("pk").first()
    return None


def route_kwargs(name: str, params: list[str], world: World) -> dict:
    from django.contrib.contenttypes.models import ContentType

    image = world.benchmark.images.order_by("name").first()
    public_file = image.damaged.name
    by_route = {
        ("restoration:download", "what"): "input",
        ("restoration:viewer", "name"): "before/before.dzi",
        ("restoration:network-promote", "network_id"): world.network.pk,
        ("restoration-api-network-promote", "network_id"): world.network.pk,
        ("surveys:take", "token"): world.survey.token,
        ("surveys:pair-image", "side"): "a",
        ("surveys:trial-image", "side"): "left",
        ("annotation:scan-tiles", "name"): "scan.dzi",
        ("synthesis:preview-file", "key"): "negative",
        ("synthesis:dataset-file", "name"): "damaged/0000.png",
        ("annotation:bank-image", "entry_id"): world.bank_entry.pk,
        ("restoration:network-weights", "network_id"): world.network.pk,
        ("stored-file", "name"): public_file,
        ("media", "path"): public_file,
        ("admin:view_on_site", "object_id"): world.scan.pk,
        ("admin:auth_user_password_change", "id"): world.draft.created_by_id,
    }
    synthesis = name.startswith("synthesis:")
    by_param = {
        "job_id": world.job.pk, "scan_id": world.scan.pk, "polygon_id": world.polygon.pk,
        "dataset_id": world.synthetic.pk if synthesis else world.scan.dataset_id, "model_id": world.model.pk,
        "preview_id": world.preview.pk, "restoration_id": world.restoration.pk, "benchmark_id": world.benchmark.pk,
        "roll_id": world.roll.pk,
        "name": image.name, "submission_id": world.draft.pk, "survey_id": world.survey.pk, "pair_id": world.pair.pk,
        "token": world.participant.token, "position": 0, "app_label": "annotation", "rest": "",
        "set_id": world.scan.dataset_id,
        "content_type_id": ContentType.objects.get_by_natural_key("annotation", "scan").pk,
    }
    kwargs = {}
    for param in params:
        if (name, param) in by_route:
            kwargs[param] = by_route[(name, param)]
        elif param == "object_id" and name.startswith("admin:"):
            found = admin_object(name)
            kwargs[param] = found.pk if found is not None else 0
        else:
            kwargs[param] = by_param[param]
    return kwargs


def session_cookies(users, world: World) -> dict[str, str | None]:
    """The session key of each role; the participant's holds their token, as the survey's public link leaves it."""
    keys: dict[str, str | None] = {"anonymous": None}
    for role, username in (("annotator", "annotator"), ("annotator2", "annotator2"), ("researcher", "researcher"),
                           ("administrator", "admin")):
        client = Client()
        client.force_login(users[username])
        keys[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    session = SessionStore()
    session[f"survey-participant-{world.survey.pk}"] = str(world.participant.token)
    session.create()
    keys["participant"] = session.session_key
    return keys


def call(url: str, method: str, session_key: str | None):
    client = Client(raise_request_exception=False)
    if session_key:
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    body = {"data": "{}", "content_type": "application/json"} if method != "GET" and url.startswith("/api/") else {}
    with transaction.atomic():
        response = getattr(client, method.lower())(url, **body)
        transaction.set_rollback(True)
    return response


def method_of(url: str, session_key: str) -> str:
    """GET, unless the route refuses it (405) to an administrator: then the write method it allows."""
    response = call(url, "GET", session_key)
    if response.status_code != 405:
        return "GET"
    allowed = [m.strip().upper() for m in response.get("Allow", "").split(",")]
    return next((m for m in WRITE_METHODS if m in allowed), "POST")


def answers_as(expected: tuple, method: str, statuses: tuple) -> bool:
    """Whether a route answered as its row says (a cell of several statuses takes any of them)."""
    if expected[0] != method or len(expected) != len(statuses) + 1:
        return False
    return all(got in (cell if isinstance(cell, tuple) else (cell,)) for cell, got in zip(expected[1:], statuses))


def error_shape_problem(url: str, response) -> str | None:
    if not url.startswith("/api/") or response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return f"{url}: {response.status_code} is not JSON: {response.content[:120]!r}"
    if not (isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"]
            and isinstance(body.get("code", ""), str)):
        return f"{url}: {response.status_code} body is not {{'detail': str, 'code': str}}: {body!r}"
    return None


@pytest.fixture
def world(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return full_world(users, tmp_path)


def test_every_route_answers_each_role_as_the_table_says(world: World, users):
    keys = session_cookies(users, world)
    missing, wrong, shapes, seen = [], [], [], set()
    for name, params, text, named in walk():
        seen.add(name)
        url = reverse(name, kwargs=route_kwargs(name, params, world)) if named else unnamed_url(name, text)
        url += QUERY[name](world) if name in QUERY else ""
        method = method_of(url, keys["administrator"])
        got = {role: call(url, method, keys[role]) for role in ROLES}
        statuses = tuple(got[role].status_code for role in ROLES)
        shapes += [p for p in (error_shape_problem(url, r) for r in got.values()) if p]
        row = f"    {name!r}: ({method!r}, {', '.join(map(str, statuses))}),"
        expected = TABLE.get(name)
        if expected is None and name.startswith("admin:"):
            expected = ADMIN_DEFAULT
        if expected is None:
            missing.append(row)
            continue
        if not answers_as(expected, method, statuses):
            wrong.append(f"{row}  # table: {expected}; {url}")
    stale = sorted(set(TABLE) - seen)
    assert not missing, "routes missing from tests/webapp/permission_table.py (checked, add them):\n" + \
        "\n".join(missing)
    assert not wrong, f"routes answering otherwise than the table (roles {', '.join(ROLES)}):\n" + "\n".join(wrong)
    assert not stale, f"rows of routes that no longer exist: {stale}"
    assert not shapes, "API errors not in the one shape:\n" + "\n".join(shapes)


def test_anonymous_api_calls_get_401_with_a_challenge_and_pages_redirect_to_login(world: World):
    for url in ("/api/jobs/", "/api/annotation/scans/", f"/api/restoration/restorations/{world.restoration.pk}/",
                f"/api/evaluation/benchmarks/{world.benchmark.pk}/images/a/ground-truth/"):
        response = Client().get(url)
        assert response.status_code == 401 and response["WWW-Authenticate"] == "Token", url
        assert response.json()["code"] == "not_authenticated"
    for url in ("/jobs/", "/annotation/", f"/evaluation/{world.benchmark.pk}/images/a/ground-truth/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url


def test_every_drf_error_has_the_one_shape(world: World, users):
    client = world.clients["researcher"]
    # a ValidationError of fields, flattened into one sentence
    r = client.post("/api/jobs/diagnostic/", {"steps": 0, "queue": "tpu"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    assert re.search(r"steps: .*1.*queue: .*tpu", r.json()["detail"]), r.json()
    # a parse error
    r = client.post("/api/jobs/diagnostic/", "{not json", content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "parse_error" and "JSON" in r.json()["detail"]
    # 404 of an object, 404 of no route, 405
    r = client.get("/api/jobs/999999/")
    assert r.status_code == 404 and r.json()["code"] == "not_found" and isinstance(r.json()["detail"], str)
    assert client.get("/api/no-such-thing/").json()["code"] == "not_found"
    r = client.delete("/api/jobs/")
    assert r.status_code == 405 and r.json() == {"detail": 'Method "DELETE" not allowed.', "code": "method_not_allowed"}
    # 403 with the rule's reason
    r = world.clients["annotator"].post("/api/synthesis/damage-models/fit/", {}, format="json")
    assert r.status_code == 403 and r.json() == {"detail": "Only researchers and administrators may do this.",
                                                 "code": "permission_denied"}
    # a throttle, and a refused submission keeps its list of errors beside detail and code
    from rest_framework.exceptions import Throttled
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    from webapp.api import exception_handler

    request = APIView().initialize_request(APIRequestFactory().get("/api/jobs/"))
    response = exception_handler(Throttled(wait=7), {"request": request, "view": APIView()})
    assert response.status_code == 429 and response["Retry-After"] == "7"
    assert response.data["code"] == "throttled" and "7 seconds" in response.data["detail"]
    r = client.post(f"/api/evaluation/submissions/{world.draft.pk}/finalise/")
    assert r.status_code == 400 and r.json()["code"] == "invalid" and r.json()["errors"], r.json()


def test_owners_see_their_own_restorations_jobs_and_drafts_and_administrators_everyone(world: World, users):
    from django.contrib.auth import get_user_model

    from webapp.permissions import can, visible

    stranger = get_user_model().objects.create_user("stranger", password="x")
    for user, sees in ((users["researcher"], True), (users["admin"], True), (stranger, False),
                       (users["annotator"], False)):
        assert can(user, "restoration.view", world.restoration) is sees
        assert can(user, "jobs.view", world.job) is sees
        assert can(user, "evaluation.submission.view", world.draft) is sees
        assert visible(user, "restoration", type(world.restoration).objects.all()).exists() is sees
    # its files are never served by name, only through the views that check (the owner's download answers)
    name = world.restoration.input.name
    owner = Client()
    owner.force_login(users["researcher"])
    for client in (Client(), owner):
        assert client.get(f"/media/{name}").status_code == 404 and client.get(f"/files/{name}").status_code == 404
    assert owner.get(f"/restoration/{world.restoration.pk}/download/input/").status_code == 200
    # an administrator by group, without is_staff or is_superuser, is an administrator everywhere
    from django.contrib.auth.models import Group

    stranger.groups.add(Group.objects.get(name="administrator"))
    assert not stranger.is_staff and can(stranger, "restoration.view", world.restoration)
    assert can(stranger, "evaluation.ground_truth.view", world.benchmark)
    assert can(stranger, "jobs.view", world.job)


def test_hidden_ground_truth_is_served_to_administrators_only_by_every_path(world: World, users):
    image = world.benchmark.images.get(name="a")
    paths = [f"/api/evaluation/benchmarks/{world.benchmark.pk}/images/a/ground-truth/",
             f"/evaluation/{world.benchmark.pk}/images/a/ground-truth/",
             f"/evaluation/{world.benchmark.pk}/images/a/ground-truth/?display=1",
             f"/evaluation/{world.benchmark.pk}/images/a/ground-truth/?mask=1"]
    paths += ["/" + f.url.lstrip("/") for f in (image.restored, image.gt_mask, image.restored_display)]
    for username in ("researcher", "annotator", "annotator2"):
        client = Client()
        client.force_login(users[username])
        for path in paths:
            assert client.get(path).status_code in (403, 404), (username, path)
        page = client.get(f"/evaluation/{world.benchmark.pk}/images/a/").content.decode()
        assert "ground-truth" not in page.replace("ground-truth\" not", "")
    client = Client()
    client.force_login(users["admin"])
    for path in paths[:4]:
        assert client.get(path).status_code == 200, path


def test_a_participant_token_opens_its_own_survey_session_only(world: World):
    from surveys import services as survey_services
    from tests.surveys.survey_helpers import published_survey

    other_survey = published_survey(record=world.survey.damage_model, seed=9, title="Other")
    other = survey_services.participant_start(survey=other_survey)
    mine = world.participant
    survey_services.participant_set_familiarity(participant=mine, familiarity="not")
    client = Client()
    # the participant's own pages answer; another survey's pair is never shown in their trials
    assert client.get(f"/surveys/p/{mine.token}/").status_code == 200
    assert client.get(f"/surveys/p/{mine.token}/trial/0/left.png").status_code == 200
    assert client.get(f"/surveys/p/{mine.token}/trial/{len(mine.plan)}/left.png").status_code == 404
    # an answer naming the other survey's pair with this token is refused, and nothing is recorded
    body = {"participant": str(mine.token), "position": 0, "pair": other.plan[0]["pair"], "choice": "left",
            "response_ms": 800}
    r = client.post("/api/surveys/answers/", body, content_type="application/json")
    assert r.status_code == 400 and r.json()["code"] == "wrong_pair", r.json()
    assert not mine.responses.exists()
    # a browser session that took one survey is not taken into another survey's session by it
    session = client.session
    session[f"survey-participant-{world.survey.pk}"] = str(mine.token)
    session.save()
    r = client.get(f"/surveys/take/{other_survey.token}/")
    assert r.status_code == 200 and b"consent" in r.content.lower()
    # a token that is no participant's opens nothing
    assert client.get("/surveys/p/00000000-0000-0000-0000-000000000000/").status_code == 404
    # the survey's own pages, results and pair images stay the researchers'
    assert client.get(f"/surveys/{world.survey.pk}/pairs/{world.pair.pk}/a.png").status_code == 302
    assert client.get(f"/api/surveys/{world.survey.pk}/results/").status_code == 401


def test_an_annotator_lists_only_their_datasets_counted_over_their_scans(world: World, users):
    from annotation import services as annotation_services

    other = annotation_services.scan_create(dataset=world.scan.dataset, name="not-yours", width=4000, height=3000,
                                            build_tiles=False)
    for i in range(2):
        annotation_services.polygon_create(scan=other, cls="dirt", points=[[100 + i, 100], [300, 100], [200, 300]])
    annotation_services.annotation_set_get_or_create(name="elsewhere")

    def listed(role: str) -> dict:
        return {d["name"]: (d["scan_count"], d["polygon_count"])
                for d in world.clients[role].get("/api/annotation/sets/").json()}

    assert listed("annotator") == {"catalogue": (1, 1)}
    assert listed("annotator2") == {}
    assert listed("researcher") == {"catalogue": (2, 3), "elsewhere": (0, 0)}
    # the page says the same
    client = Client()
    client.force_login(users["annotator"])
    page = client.get("/annotation/").content.decode()
    assert "catalogue" in page and "elsewhere" not in page
