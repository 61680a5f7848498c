"""The results page says what it shows: response times in the unit of their column, and a participant who
finished but failed a catch trial is counted as finished, not missing."""
from __future__ import annotations

import pytest
from django.urls import reverse

from surveys import services
from tests.surveys.survey_helpers import published_survey


def answer(survey, *, wrong_on_catch: bool, response_ms: int):
    p = services.participant_start(survey=survey)
    services.participant_set_familiarity(participant=p, familiarity="very")
    for position, trial in enumerate(p.plan):
        pick_a = not trial["catch"] if wrong_on_catch else True
        choice = "left" if trial["a_left"] == pick_a else "right"
        services.response_record(participant=p, position=position, pair_id=trial["pair"], choice=choice,
                                 response_ms=response_ms, blur_count=0)
    return p


@pytest.mark.django_db
def test_a_finished_participant_who_failed_a_catch_trial_is_said_to_have_finished(client, users):
    survey = published_survey(sizes=(128,), per_size=2, catch=1)
    answer(survey, wrong_on_catch=True, response_ms=979)
    client.force_login(users["researcher"])
    body = client.get(reverse("surveys:results", args=[survey.pk])).content.decode()
    assert "No finished participants yet" not in body
    assert "1 participant finished, 1 of them failed a catch trial and is left out of the scores" in body


@pytest.mark.django_db
def test_median_time_is_in_seconds_like_its_column(client, users):
    survey = published_survey(sizes=(128,), per_size=2, catch=1)
    answer(survey, wrong_on_catch=False, response_ms=979)
    client.force_login(users["researcher"])
    body = client.get(reverse("surveys:results", args=[survey.pk])).content.decode()
    assert "Median time (s)" in body
    assert 'data-testid="median-time">0.98<' in body and "979 ms" not in body
