"""The site shell: pages, login, roles, health, API schema, demo content."""
from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from webapp.demo import DEMO_USERS, demo_load
from webapp.roles import ROLE_PERMISSIONS, ensure_roles, has_role

#: Each section's index page: its heading and an element only that page renders (for a researcher).
SECTIONS = {
    "annotation:index": ("<h1>Annotate</h1>", "scan-table"),
    "synthesis:index": ("<h1>Damage models</h1>", "model-table"),
    "restoration:index": ("<h1>Restore a scan</h1>", "restore-form"),
    "evaluation:index": ("<h1>Leaderboard</h1>", "benchmark-table"),
    "surveys:index": ("<h1>Surveys</h1>", "survey-table"),
}
#: The one section an anonymous visitor may read: the leaderboard.
PUBLIC = {"evaluation:index"}


@pytest.mark.django_db
def test_home_lists_every_section(client):
    html = client.get("/").content.decode()
    for title in ("Annotate", "Damage models", "Restore", "Leaderboard", "Surveys"):
        assert f">{title}</a>" in html


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(SECTIONS))
def test_each_section_page_renders_for_a_researcher(client, users, name):
    heading, testid = SECTIONS[name]
    client.force_login(users["researcher"])
    response = client.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert heading in html and f'data-testid="{testid}"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(set(SECTIONS) - PUBLIC))
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    url = reverse(name)
    assertRedirects(client.get(url), f"{reverse('login')}?next={url}")


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_anonymous_visitors_read_the_public_sections(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200 and SECTIONS[name][0] in response.content.decode()


@pytest.mark.django_db
def test_login_and_logout(client, users):
    # given a demo user
    # when they log in with the right password
    response = client.post(reverse("login"), {"username": "researcher", "password": "researcher"})
    # then they are redirected home and logged in
    assert response.status_code == 302
    assert client.get("/").context["user"].username == "researcher"
    # and a wrong password is refused with a message
    client.post(reverse("logout"))
    bad = client.post(reverse("login"), {"username": "researcher", "password": "nope"})
    assert bad.status_code == 200 and b"did not match" in bad.content


@pytest.mark.django_db
def test_roles_get_permissions_by_pattern():
    counts = ensure_roles()
    assert set(counts) == set(ROLE_PERMISSIONS)
    admin = Group.objects.get(name="administrator")
    annotator = Group.objects.get(name="annotator")
    # administrators hold every permission; annotators only a subset
    from django.contrib.auth.models import Permission

    assert admin.permissions.count() == Permission.objects.count()
    assert 0 < annotator.permissions.count() < admin.permissions.count()
    assert not annotator.permissions.filter(content_type__app_label="auth").exists()


@pytest.mark.django_db
def test_has_role(users):
    assert has_role(users["annotator"], "annotator")
    assert not has_role(users["annotator"], "researcher")
    assert has_role(users["admin"], "researcher")  # administrators can do everything


@pytest.mark.django_db
def test_admin_needs_staff(client, users):
    client.force_login(users["annotator"])
    assert client.get("/admin/").status_code == 302
    client.force_login(users["admin"])
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_demo_load_is_idempotent():
    from django.contrib.auth import get_user_model

    demo_load(log=lambda m: None, apps=())
    first = sorted(get_user_model().objects.values_list("username", "password"))
    demo_load(log=lambda m: None, apps=())
    second = sorted(get_user_model().objects.values_list("username", "password"))
    assert first == second
    assert len(first) == len(DEMO_USERS)


@pytest.mark.django_db
def test_openapi_schema_lists_the_job_endpoints(client, users):
    client.force_login(users["researcher"])
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/jobs/{job_id}/" in schema["paths"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


@pytest.mark.django_db
def test_api_needs_authentication(client):
    # the first authentication class is the token's: an unauthenticated call is told how to authenticate (401)
    response = client.get("/api/jobs/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}
    # a page still sends people to log in
    response = client.get("/jobs/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_token_authentication(client, users):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=users["researcher"])
    response = client.get("/api/jobs/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_private_media_is_never_served_by_path(client, settings, tmp_path):
    # only the benchmarks' public inputs are served by name; everything else only through views that check
    settings.MEDIA_ROOT = tmp_path
    for name in ("private/gt.png", "scans/1/frame.png", "scans/1/scan-1/tiles/scan.dzi", "bank/dust/a.png",
                 "previews/preview-1/negative.png", "synthetic/set/manifest.json", "networks/1/weights.pt",
                 "public.txt", "benchmarks/1/private/x.png", "benchmarks/1/inputs/a.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
        assert client.get(f"/media/{name}").status_code == (200 if name == "benchmarks/1/inputs/a.png" else 404), name
