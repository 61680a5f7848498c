"""Taking a survey without an account, and every kind of bad or repeated submission."""
from __future__ import annotations

import json

import pytest
from django.urls import reverse

from surveys import services
from surveys.models import Participant, Response, Survey
from tests.surveys.survey_helpers import answer_body, choice_for, published_survey

ANSWER_URL = "/api/surveys/answers/"


@pytest.fixture
def survey(db):
    return published_survey(sizes=(128, 256), per_size=2, catch=1)


def start(client, survey) -> Participant:
    r = client.post(reverse("surveys:take", args=[survey.token]), {"consent": "on"})
    assert r.status_code == 302
    participant = Participant.objects.get(survey=survey, token=r.url.rstrip("/").rsplit("/", 1)[-1])
    client.post(reverse("surveys:participant", args=[participant.token]), {"familiarity": "somewhat"})
    participant.refresh_from_db()
    return participant


def post(client, body: str):
    return client.post(ANSWER_URL, body, content_type="application/json")


@pytest.mark.django_db
def test_a_participant_consents_answers_every_trial_and_is_thanked(client, survey):
    take = reverse("surveys:take", args=[survey.token])
    page = client.get(take)
    assert page.status_code == 200 and b"consent" in page.content.lower()
    # no consent ticked: refused, nobody created
    assert client.post(take, {}).status_code == 400 and not Participant.objects.exists()
    participant = start(client, survey)
    assert participant.familiarity == "somewhat" and participant.slot == 0
    assert len(participant.plan) == 5 and sum(t["catch"] for t in participant.plan) == 1
    # the same browser coming back to the link resumes, it does not start again
    assert client.get(take).url == reverse("surveys:participant", args=[participant.token])
    url = reverse("surveys:participant", args=[participant.token])
    for position in range(5):
        page = client.get(url)
        assert page.status_code == 200 and f'data-position="{position}"'.encode() in page.content
        # images are served under neutral names: left and right, never A or B
        assert client.get(f"{url}trial/{position}/left.png")["Content-Type"] == "image/png"
        r = post(client, answer_body(participant, position, choice_for(participant, position, pick_a=True),
                                     response_ms=1200 + position, blur_count=position % 2))
        assert r.status_code == 201, r.content
        assert r.json()["answered"] == position + 1 and r.json()["done"] == (position == 4)
    participant.refresh_from_db()
    assert participant.finished_at is not None
    assert b"Thank you" in client.get(url).content
    stored = list(Response.objects.filter(participant=participant).order_by("position"))
    assert [r.chose_a for r in stored] == [True] * 5 and [r.correct for r in stored] == [True] * 5
    assert [r.response_ms for r in stored] == [1200, 1201, 1202, 1203, 1204]
    assert [r.blur_count for r in stored] == [0, 1, 0, 1, 0]


@pytest.mark.django_db
def test_participants_get_balanced_sides_decided_on_the_server(client, survey):
    from django.test import Client

    plans = [start(Client(), survey).plan for _ in range(2)]
    first = {t["pair"]: t["a_left"] for t in plans[0]}
    second = {t["pair"]: t["a_left"] for t in plans[1]}
    assert all(first[p] != second[p] for p in first)
    assert Participant.objects.filter(survey=survey).count() == 2


@pytest.mark.django_db
def test_repeated_answer_is_refused_and_the_first_is_kept(client, survey):
    participant = start(client, survey)
    first = answer_body(participant, 0, "left")
    assert post(client, first).status_code == 201
    again = post(client, answer_body(participant, 0, "right"))
    assert again.status_code == 409 and again.json()["code"] == "already_answered"
    assert "first answer is kept" in again.json()["detail"]
    assert Response.objects.get(participant=participant).choice == "left"


@pytest.mark.django_db
@pytest.mark.parametrize("make, status, code, message", [
    (lambda p: answer_body(p, 2, "left"), 409, "not_current", "not your current trial"),
    (lambda p: json.dumps({**json.loads(answer_body(p, 0, "left")), "position": 99}), 400, "invalid",
     "no trial 100"),
    (lambda p: json.dumps({**json.loads(answer_body(p, 0, "left")), "pair": p.plan[1]["pair"]}), 400,
     "wrong_pair", "another pair"),
    (lambda p: answer_body(p, 0, "middle"), 400, "invalid", "choice"),
    (lambda p: answer_body(p, 0, "left", response_ms=-5), 400, "invalid", "response_ms"),
    (lambda p: answer_body(p, 0, "left", blur_count=-1), 400, "invalid", "blur_count"),
    (lambda p: json.dumps({"participant": str(p.token), "position": 0}), 400, "invalid", "pair"),
    (lambda p: json.dumps({**json.loads(answer_body(p, 0, "left")), "participant": "not-a-uuid"}), 400, "invalid",
     "participant"),
    (lambda p: json.dumps({**json.loads(answer_body(p, 0, "left")),
                           "participant": "00000000-0000-4000-8000-000000000000"}), 404, "unknown_participant",
     "unknown participant"),
    (lambda p: "{not json", 400, "invalid", "not valid JSON"),
    (lambda p: json.dumps([1, 2]), 400, "invalid", "dictionary"),
])
def test_bad_submissions_are_refused_with_a_clear_message(client, survey, make, status, code, message):
    participant = start(client, survey)
    if code == "not_current":  # trial 1 answered, trial 2 is current: trial 3 is not
        assert post(client, answer_body(participant, 0, "left")).status_code == 201
    before = Response.objects.count()
    r = post(client, make(participant))
    assert r.status_code == status, r.content
    assert r.json()["code"] == code and message.lower() in r.json()["detail"].lower()
    assert Response.objects.count() == before


@pytest.mark.django_db
def test_answer_before_the_familiarity_question_is_refused(client, survey):
    r = client.post(reverse("surveys:take", args=[survey.token]), {"consent": "on"})
    participant = Participant.objects.get()
    assert client.get(r.url).status_code == 200  # the familiarity form
    rejected = post(client, answer_body(participant, 0, "left"))
    assert rejected.status_code == 409 and rejected.json()["code"] == "familiarity_missing"
    # a familiarity, once given, cannot be changed
    client.post(r.url, {"familiarity": "very"})
    with pytest.raises(services.AnswerRejected, match="cannot be changed"):
        services.participant_set_familiarity(participant=Participant.objects.get(), familiarity="not")
    assert client.post(r.url, {"familiarity": "bogus"}).status_code == 302
    assert Participant.objects.get().familiarity == "very"


@pytest.mark.django_db
def test_a_closed_survey_refuses_answers_and_keeps_the_earlier_ones(client, survey):
    participant = start(client, survey)
    assert post(client, answer_body(participant, 0, "left")).status_code == 201
    services.survey_close(survey=survey)
    r = post(client, answer_body(participant, 1, "left"))
    assert r.status_code == 403 and r.json()["code"] == "closed"
    assert Response.objects.filter(participant=participant).count() == 1
    assert client.get(reverse("surveys:participant", args=[participant.token])).status_code == 410
    from django.test import Client

    assert Client().get(reverse("surveys:take", args=[survey.token])).status_code == 410


@pytest.mark.django_db
def test_unpublished_surveys_and_unknown_images_are_not_served(client, survey):
    participant = start(client, survey)
    url = reverse("surveys:participant", args=[participant.token])
    assert client.get(f"{url}trial/99/left.png").status_code == 404
    assert client.get(f"{url}trial/0/middle.png").status_code == 404
    Survey.objects.filter(pk=survey.pk).update(state=Survey.State.READY)
    assert client.get(reverse("surveys:take", args=[survey.token])).status_code == 404
    assert client.get(url).status_code == 404
    # pair files live under private/: the media view never serves them by path
    pair = survey.pairs.first()
    assert pair.image_a.name.startswith("private/")
    assert client.get(f"/media/{pair.image_a.name}").status_code == 404


@pytest.mark.django_db
def test_csv_and_results_are_for_researchers(client, survey, users):
    participant = start(client, survey)
    for position in range(len(participant.plan)):
        post(client, answer_body(participant, position, "left", response_ms=700))
    csv_url = reverse("surveys-api-responses-csv", args=[survey.pk])
    client.logout()
    assert client.get(csv_url).status_code == 401
    client.force_login(users["annotator"])
    assert client.get(csv_url).status_code == 403
    assert client.get(reverse("surveys:results", args=[survey.pk])).status_code == 403
    client.force_login(users["researcher"])
    body = b"".join(client.get(csv_url).streaming_content).decode()
    rows = [line.split(",") for line in body.strip().splitlines()]
    assert rows[0][:4] == ["survey", "kind", "participant", "slot"] and len(rows) == 1 + len(participant.plan)
    header = rows[0]
    assert {r[header.index("choice")] for r in rows[1:]} == {"left"}
    assert {r[header.index("response_ms")] for r in rows[1:]} == {"700"}
    assert sum(r[header.index("catch")] == "1" for r in rows[1:]) == 1
    assert client.get(reverse("surveys:results", args=[survey.pk])).status_code == 200
    data = client.get(reverse("surveys-api-results", args=[survey.pk])).json()
    assert data["finished"] == 1 and data["table"]["columns"] == [128, 256, "overall"]


@pytest.mark.django_db
def test_researcher_pages_render_and_others_are_kept_out(client, survey, users, tmp_path):
    client.force_login(users["annotator"])
    assert b"If you were invited" in client.get(reverse("surveys:index")).content
    assert client.get(reverse("surveys:create")).status_code == 403
    assert client.get(reverse("surveys:detail", args=[survey.pk])).status_code == 403
    assert client.post(reverse("surveys:build", args=[survey.pk])).status_code == 403
    client.force_login(users["researcher"])
    assert survey.title.encode() in client.get(reverse("surveys:index")).content
    assert b"Image-pair set layout" in client.get(reverse("surveys:create")).content
    form = {"kind": 1, "title": "x", "source_dir": str(tmp_path / "no-such"), "damage_model": survey.damage_model_id,
            "damage_level": 1, "crop_sizes": ["128"], "pairs_per_size": 2, "catch_trials": 0, "seed": 0}
    bad = client.post(reverse("surveys:create"), form)
    assert bad.status_code == 400 and b"not a folder" in bad.content
    # a folder outside SERVER_FOLDER_ROOTS is refused on the form, before anything reads it
    outside = client.post(reverse("surveys:create"), {**form, "source_dir": "/etc", "overlay_dir": "/usr/../etc"})
    assert outside.status_code == 400 and outside.content.count(b"outside the folders this server lets") == 2
    detail = client.get(reverse("surveys:detail", args=[survey.pk])).content.decode()
    assert detail.count('data-testid="pair-preview"') == survey.pairs.count()
    assert str(survey.token) in detail  # the public link
    empty = client.get(reverse("surveys:results", args=[survey.pk]))
    assert empty.status_code == 200 and b"No finished participants yet" in empty.content
    # a published survey cannot be rebuilt; the page says why
    r = client.post(reverse("surveys:build", args=[survey.pk]), follow=True)
    assert b"cannot be rebuilt" in r.content
