"""GET /api/surveys/: researchers list the surveys with their counts; everyone else is refused (401 without
credentials, 403 with an account that may not), and the endpoint is in the OpenAPI schema."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.authtoken.models import Token

from surveys import services
from surveys.models import Survey
from tests.surveys.survey_helpers import damage_model_record, published_survey

pytestmark = pytest.mark.django_db
URL = "/api/surveys/"


@pytest.fixture
def surveys(users):
    """A published survey with two participants (one finished) and an older draft of the researcher's."""
    record = damage_model_record()
    draft = Survey.objects.create(kind=2, title="Draft survey", slug="draft-survey", source_dir="/nowhere",
                                  damage_model=record, crop_sizes=[128], method_b="uniform",
                                  created_by=users["researcher"])
    Survey.objects.filter(pk=draft.pk).update(created_at=timezone.now() - timedelta(days=1))
    published = published_survey(sizes=(128, 256), per_size=2, catch=1, record=record, title="Published survey")
    finished, _ = services.participant_start(survey=published), services.participant_start(survey=published)
    services.participant_set_familiarity(participant=finished, familiarity="very")
    for position, trial in enumerate(finished.plan):
        services.response_record(participant=finished, position=position, pair_id=trial["pair"], choice="left",
                                 response_ms=700, blur_count=0)
    return {"draft": draft, "published": published}


def test_a_researcher_lists_every_survey_newest_first_with_its_counts(client, users, surveys):
    client.force_login(users["researcher"])
    response = client.get(URL)
    assert response.status_code == 200
    rows = response.json()
    assert [r["title"] for r in rows] == ["Published survey", "Draft survey"]
    published, draft = rows
    assert {k: published[k] for k in ("kind", "kind_label", "state", "pair_count", "participant_count",
                                      "finished_count", "created_by")} == {
        "kind": 1, "kind_label": "Survey 1: real or synthetic damage", "state": "published", "pair_count": 5,
        "participant_count": 2, "finished_count": 1, "created_by": None}
    token = surveys["published"].token
    assert published["public_url"] == f"http://testserver/surveys/take/{token}/"
    assert published["results_url"] == f"http://testserver/api/surveys/{surveys['published'].pk}/results/"
    assert published["responses_csv_url"].endswith(f"/api/surveys/{surveys['published'].pk}/responses.csv")
    assert published["page_url"] == f"http://testserver/surveys/{surveys['published'].pk}/"
    assert (draft["state"], draft["pair_count"], draft["participant_count"], draft["public_url"],
            draft["created_by"]) == ("draft", 0, 0, None, "researcher")
    # the links it gives work for the caller
    assert client.get(published["results_url"]).json()["finished"] == 1


def test_the_list_takes_a_checked_window(client, users, surveys):
    client.force_login(users["admin"])
    assert [r["slug"] for r in client.get(URL, {"offset": 1, "limit": 1}).json()] == ["draft-survey"]
    assert client.get(URL, {"offset": 2}).json() == []
    refused = client.get(URL, {"limit": 1001})
    assert refused.status_code == 400 and "limit must be a whole number from 1 to 1,000" in refused.json()["detail"]


def test_a_token_opens_it_too(client, users, surveys):
    token = Token.objects.create(user=users["researcher"])
    response = client.get(URL, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200 and len(response.json()) == 2


@pytest.mark.parametrize("who", ["annotator", "restorer"])
def test_accounts_that_do_not_manage_surveys_are_refused_with_the_reason(client, users, surveys, who):
    user = users.get(who) or get_user_model().objects.create_user(username=who, password=who)  # any account
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only researchers and administrators design and read surveys."
    assert "Published survey" not in response.content.decode()


def test_without_credentials_the_answer_is_401_asking_for_them(client, surveys):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Token'
    assert "Published survey" not in response.content.decode()


def test_the_list_is_in_the_openapi_schema(client, users):
    client.force_login(users["researcher"])
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/surveys/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"offset", "limit"}
    item = operation["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"]
    fields = schema["components"]["schemas"][item.rsplit("/", 1)[-1]]["properties"]
    assert {"id", "title", "state", "pair_count", "participant_count", "finished_count", "public_url",
            "results_url"} <= set(fields)
