"""A participant takes a whole survey in Chromium; the results page shows the table computed here by hand."""
from __future__ import annotations

import statistics

import numpy as np
import pytest

from surveys import services
from surveys.models import Participant, Response
from tests.support import browser_login, screenshot
from tests.surveys.survey_helpers import published_survey

GROUPS = ("not", "somewhat", "very")


def seeded_participants(survey, *, count: int, seed: int) -> list[dict]:
    """Participants answering through the services with seeded familiarity and picks; the last fails a catch."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        p = services.participant_start(survey=survey)
        group = GROUPS[int(rng.integers(0, 3))]
        services.participant_set_familiarity(participant=p, familiarity=group)
        picks = []
        for position, trial in enumerate(p.plan):
            pick_a = (k != count - 1) if trial["catch"] else bool(rng.random() < 0.55)
            choice = "left" if trial["a_left"] == pick_a else "right"
            services.response_record(participant=p, position=position, pair_id=trial["pair"], choice=choice,
                                     response_ms=int(rng.integers(300, 3000)), blur_count=0)
            picks.append((trial["pair"], trial["catch"], pick_a))
        out.append({"group": group, "picks": picks})
    return out


def expected_table(done: list[dict], sizes: dict[int, int]) -> dict[tuple[str, object], tuple[str, str]]:
    """Mean and sample std (in %, one decimal) of participant scores per group and crop size, by hand."""
    kept = [d for d in done if all(a for _, catch, a in d["picks"] if catch)]  # failed catch: left out
    fmt = lambda v: "\u2014" if v is None else f"{v:.1f}"  # noqa: E731
    table = {}
    for group in (*GROUPS, "overall"):
        members = [d for d in kept if group == "overall" or d["group"] == group]
        for col in (128, 256, "overall"):
            scores = [100 * statistics.mean(a for pair, catch, a in d["picks"]
                                            if not catch and (col == "overall" or sizes[pair] == col))
                      for d in members]
            mean = statistics.mean(scores) if scores else None
            std = statistics.stdev(scores) if len(scores) > 1 else None
            table[(group, col)] = (fmt(mean), fmt(std))
        table[(group, "n")] = str(len(members))
    return table


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_participant_takes_the_whole_survey_and_results_show_the_table(page, live_server, users):
    survey = published_survey(sizes=(128, 256), per_size=2, catch=1, seed=21, title="Browser survey")
    done = seeded_participants(survey, count=9, seed=5)

    # consent
    page.goto(f"{live_server.url}/surveys/take/{survey.token}/")
    screenshot(page, "survey-consent")
    page.click("[data-testid=start]")
    assert "consent" in page.inner_text("[data-testid=consent-error]")
    page.check("[data-testid=consent]")
    page.click("[data-testid=start]")
    # familiarity
    page.wait_for_selector("[data-testid=familiarity-form]")
    page.check("input[value=very]")
    screenshot(page, "survey-familiarity")
    page.click("[data-testid=familiarity-next]")
    participant = Participant.objects.get(survey=survey, familiarity="very", responses__isnull=True)
    total = len(participant.plan)
    # every trial: the browser participant picks the left image, but passes the catch trial (A is right there)
    clicks = ["right" if t["catch"] and not t["a_left"] else "left" for t in participant.plan]
    for position in range(total):
        page.wait_for_selector("#trial[data-ready=true]")
        assert page.inner_text("[data-testid=trial-number]") == str(position + 1)
        assert page.inner_text("[data-testid=trial-total]") == str(total)
        # native pixel size: the image's CSS width is its crop size (device pixel ratio 1)
        size = participant.survey.pairs.get(pk=participant.plan[position]["pair"]).crop_size
        assert page.eval_on_selector(".stimulus[data-side=left] img", "i => i.getBoundingClientRect().width") == size
        if position == 0:
            screenshot(page, "survey-trial")
        if position == 2:  # a reload resumes at the same trial, nothing answered is lost
            page.reload()
            page.wait_for_selector("#trial[data-ready=true]")
            assert page.inner_text("[data-testid=trial-number]") == "3"
        with page.expect_navigation():
            page.click(f"[data-testid=choose-{clicks[position]}]")
    page.wait_for_selector("[data-testid=thanks]")
    screenshot(page, "survey-thanks")
    stored = list(Response.objects.filter(participant=participant).order_by("position"))
    assert [r.position for r in stored] == list(range(total)) and [r.choice for r in stored] == clicks
    assert all(r.response_ms >= 0 for r in stored)
    # the same browser opening the link again is not a new participant
    page.goto(f"{live_server.url}/surveys/take/{survey.token}/")
    page.wait_for_selector("[data-testid=thanks]")
    assert survey.participants.count() == 10

    # the browser participant's picks, from the server's placement: clicking left picks A when a_left
    done.append({"group": "very", "picks": [(t["pair"], t["catch"], (c == "left") == t["a_left"])
                                            for t, c in zip(participant.plan, clicks)]})
    sizes = dict(survey.pairs.values_list("pk", "crop_size"))
    expected = expected_table(done, sizes)

    browser_login(page, live_server, "researcher", "researcher")
    page.goto(f"{live_server.url}/surveys/{survey.pk}/results/")
    page.wait_for_selector("[data-testid=table2]")
    page.wait_for_selector(".plot[data-rendered=true]")
    for group in (*GROUPS, "overall"):
        assert page.inner_text(f"[data-testid=n-{group}]") == expected[(group, "n")], group
        for col in (128, 256, "overall"):
            mean = page.inner_text(f"[data-testid=mean-{group}-{col}]")
            std = page.inner_text(f"[data-testid=std-{group}-{col}]")
            assert (mean, std) == expected[(group, col)], (group, col)
    assert "Kruskal-Wallis" in page.inner_text("[data-testid=between]")
    flagged = page.inner_text("[data-testid=flagged]")
    assert "participant 8" in flagged and "participant 9" not in flagged
    screenshot(page, "survey-results")
    page.goto(f"{live_server.url}/surveys/{survey.pk}/")
    assert page.locator("[data-testid=pair-preview]").count() == survey.pairs.count()
    screenshot(page, "survey-detail")
