"""Survey participants hold a token, no account: their pages show the survey's own bar, no site navigation, no
"Log in" link and no link that leads away from the survey (in the HTML, and in Chromium on every step)."""
from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from surveys import services
from surveys.models import Survey
from tests.support import browser_login, screenshot
from tests.surveys.survey_helpers import published_survey

#: what a page shows of the site around the survey: links, navigation, the log-in link, the account corner
SITE_CHROME = """() => ({
  links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
  nav: document.querySelectorAll('nav, .mainnav, .account').length,
  login: document.body.innerText.includes('Log in'),
  bar: document.querySelector('[data-testid=participant-bar]')?.innerText ?? null,
})"""


def assert_participant_page(page, title: str) -> None:
    chrome = page.evaluate(SITE_CHROME)
    assert chrome == {"links": [], "nav": 0, "login": False, "bar": title}, chrome


@pytest.mark.django_db
def test_every_participant_page_has_the_minimal_layout(client):
    survey = published_survey(sizes=(128,), per_size=1, catch=0, title="Minimal survey")
    take = reverse("surveys:take", args=[survey.token])
    participant = services.participant_start(survey=survey)
    where = reverse("surveys:participant", args=[participant.token])
    pages = [client.get(take)]                                      # consent
    pages.append(client.get(where))                                 # familiarity
    services.participant_set_familiarity(participant=participant, familiarity="not")
    pages.append(client.get(where))                                 # a trial
    trial = participant.plan[0]
    services.response_record(participant=participant, position=0, pair_id=trial["pair"], choice="left",
                             response_ms=500, blur_count=0)
    pages.append(client.get(where))                                 # thank you
    Survey.objects.filter(pk=survey.pk).update(state=Survey.State.CLOSED)
    pages.append(client.get(take))                                  # closed
    assert [p.status_code for p in pages] == [200, 200, 200, 200, 410]
    for response in pages:
        html = response.content.decode()
        assert 'data-testid="participant-bar"' in html and "Minimal survey" in html
        assert "mainnav" not in html and "Log in" not in html and "<a " not in html, response.request["PATH_INFO"]


@pytest.mark.django_db
def test_a_link_that_opens_no_survey_is_a_404_in_the_participants_layout(client):
    draft = published_survey(sizes=(128,), per_size=1, catch=0, title="Not yet")
    participant = services.participant_start(survey=draft)
    Survey.objects.filter(pk=draft.pk).update(state=Survey.State.DRAFT)
    unknown = uuid.uuid4()
    for url, says in [(reverse("surveys:take", args=[unknown]), "no survey or participant has this one"),
                      (reverse("surveys:participant", args=[unknown]), "no survey or participant has this one"),
                      (reverse("surveys:take", args=[draft.token]), "is not open yet"),
                      (reverse("surveys:participant", args=[participant.token]), "is not open yet")]:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 404, url
        assert 'data-testid="survey-missing"' in html and " ".join(html.split()).count(says) == 1, url
        assert "mainnav" not in html and "Log in" not in html and "<a " not in html, url
        assert "Not yet" not in html  # a draft's title is not shown to whoever holds its link


@pytest.mark.django_db
def test_site_pages_keep_their_navigation(client, users):
    client.force_login(users["researcher"])
    html = client.get(reverse("surveys:index")).content.decode()
    assert "mainnav" in html and "participant-bar" not in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_participant_sees_no_site_navigation_on_any_step(page, live_server, users):
    # given: a published survey, and a researcher logged in in the same browser (their account stays hidden too)
    survey = published_survey(sizes=(128,), per_size=2, catch=0, seed=3, title="Realism check")
    browser_login(page, live_server, "researcher", "researcher")
    assert page.locator(".mainnav").count() == 1
    # when: the participant follows the public link through consent, familiarity, every trial and the thanks
    page.goto(f"{live_server.url}/surveys/take/{survey.token}/")
    assert_participant_page(page, "Realism check")
    screenshot(page, "survey-participant-consent")
    page.check("[data-testid=consent]")
    page.click("[data-testid=start]")
    page.wait_for_selector("[data-testid=familiarity-form]")
    assert_participant_page(page, "Realism check")
    page.check("input[value=somewhat]")
    page.click("[data-testid=familiarity-next]")
    for _ in range(survey.pairs.count()):
        page.wait_for_selector("#trial[data-ready=true]")
        # then: each step shows the survey's bar and nothing of the site
        assert_participant_page(page, "Realism check")
        with page.expect_navigation():
            page.click("[data-testid=choose-left]")
    page.wait_for_selector("[data-testid=thanks]")
    assert_participant_page(page, "Realism check")
    screenshot(page, "survey-participant-thanks")
    # and once the survey closes, the link's page is the same minimal one
    Survey.objects.filter(pk=survey.pk).update(state=Survey.State.CLOSED)
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/surveys/take/{survey.token}/")
    page.wait_for_selector("[data-testid=closed]")
    assert_participant_page(page, "Realism check")
