"""Designing, building and publishing surveys (services), results (selectors), demo content and the command."""
from __future__ import annotations

import json
import statistics
from collections import Counter

import numpy as np
import pytest

from imaging.io import read_image
from surveys import services
from surveys.models import Pair, Response, Survey
from tests.support import run_command
from tests.surveys.survey_helpers import (
    damage_model_record,
    published_survey,
    small_bank,
    write_image_set,
    write_pair_set,
)


@pytest.fixture
def bank(monkeypatch):
    """A small procedural bank instead of the full one (the worker test uses the real one)."""
    b = small_bank()
    monkeypatch.setattr("synthesis.services.artefact_bank", lambda: b)
    return b


@pytest.fixture
def record(db):
    return damage_model_record()


def create(record, source, **kw):
    args = dict(kind=1, title="Realism", source_dir=str(source), damage_model=record, crop_sizes=[128, 256],
                pairs_per_size=4, catch_trials=2, seed=3, um_per_px=7.0)
    return services.survey_create(**{**args, **kw})


@pytest.mark.django_db
def test_survey1_build_renders_balanced_reproducible_pairs(record, bank, tmp_path):
    # given an image-pair set whose polarities are only in the pixels
    survey = create(record, write_pair_set(tmp_path / "set"))
    assert survey.state == Survey.State.DRAFT and survey.slug == "realism"
    # when the pairs are built
    summary = services.survey_build_now(survey=survey, device="cpu")
    # then there are 4 pairs per size, half negative (the n* images) and half positive, plus 2 catch pairs
    survey.refresh_from_db()
    assert survey.state == Survey.State.READY and summary["pairs"] == 10 and summary["catch"] == 2
    pairs = list(survey.pairs.order_by("index"))
    assert Counter((p.crop_size, p.polarity) for p in pairs if not p.is_catch) == {
        (128, "negative"): 2, (128, "positive"): 2, (256, "negative"): 2, (256, "positive"): 2}
    assert all(p.source.startswith("n") == (p.polarity == "negative") for p in pairs)
    # A is the authentic crop: exactly the damaged image at the stored position
    for p in pairs[:3]:
        a = read_image(p.image_a.read())
        source = read_image(tmp_path / "set" / "damaged" / f"{p.source}.png")
        assert np.array_equal(a, source[p.crop_y:p.crop_y + p.crop_size, p.crop_x:p.crop_x + p.crop_size])
        assert read_image(p.image_b.read()).shape == (p.crop_size, p.crop_size, 3)
    # and a rebuild with the same seed gives the same bytes
    first = {p.index: (p.image_a.read(), p.image_b.read()) for p in survey.pairs.all()}
    Survey.objects.filter(pk=survey.pk).update(state=Survey.State.DRAFT)
    services._delete_pairs(survey)
    services.survey_build_now(survey=survey, device="cpu")
    assert {p.index: (p.image_a.read(), p.image_b.read()) for p in survey.pairs.all()} == first


@pytest.mark.django_db
def test_build_resumes_by_rendering_only_missing_pairs(record, bank, tmp_path):
    survey = create(record, write_pair_set(tmp_path / "set"), catch_trials=0)
    services.survey_build_now(survey=survey, device="cpu")
    kept = Pair.objects.get(survey=survey, index=0)
    Pair.objects.filter(survey=survey, index__in=[3, 5]).delete()
    Survey.objects.filter(pk=survey.pk).update(state=Survey.State.BUILDING)
    calls = []
    services.survey_build_pairs(survey=survey, device="cpu", progress=lambda c, t, m=None: calls.append((c, t)))
    assert sorted(survey.pairs.values_list("index", flat=True)) == list(range(8))
    assert Pair.objects.get(survey=survey, index=0).pk == kept.pk
    assert calls[0] == (6, 8) and calls[-1] == (8, 8)


@pytest.mark.django_db
@pytest.mark.parametrize("method_b", ["uniform", "overlay_images", "model"])
def test_survey2_build_with_each_method_b(record, bank, tmp_path, method_b):
    overlays = tmp_path / "overlays"
    overlays.mkdir()
    from imaging.io import write_image

    overlay = np.zeros((200, 200), np.uint8)
    overlay[50:60, :] = 255
    write_image(overlays / "scratch.png", overlay)
    other = damage_model_record("other")
    survey = create(record, write_image_set(tmp_path / "images"), kind=2, method_b=method_b,
                    damage_model_b=other, overlay_dir=str(overlays), pairs_per_size=2, catch_trials=1)
    summary = services.survey_build_now(survey=survey, device="cpu")
    assert summary["pairs"] == 5
    pair = survey.pairs.get(index=0)
    assert pair.meta["a"]["method"] == "test dust v1"
    assert pair.meta["b"]["method"] == {"uniform": "uniform overlay", "overlay_images": "overlay images",
                                        "model": "other v1"}[method_b]


@pytest.mark.django_db
@pytest.mark.parametrize("change, message", [
    ({"kind": 3}, "kind must be 1"),
    ({"title": " "}, "title"),
    ({"crop_sizes": [100]}, "Choose crop sizes"),
    ({"crop_sizes": [512]}, "No image is large enough for 512"),
    ({"pairs_per_size": 3}, "even"),
    ({"catch_trials": 50}, "Catch trials"),
    ({"um_per_px": -1.0}, "pixel pitch"),
    ({"damage_level": 0.0}, "damage level"),
    ({"source_dir": "/no/such/folder"}, "not a folder"),
    ({"kind": 2, "method_b": ""}, "method B"),
    ({"kind": 2, "method_b": "model", "damage_model_b": None}, "other than model A"),
    ({"kind": 2, "method_b": "overlay_images", "overlay_dir": "/no/such"}, "Overlay folder"),
])
def test_bad_designs_are_refused(record, tmp_path, change, message):
    source = write_pair_set(tmp_path / "set")
    with pytest.raises(services.SurveyError, match=message):
        create(record, source, **change)
    assert not Survey.objects.exists()


@pytest.mark.django_db
def test_a_folder_that_is_not_a_pair_set_is_refused_for_survey1(record, tmp_path):
    with pytest.raises(services.SurveyError, match="not an image-pair set"):
        create(record, write_image_set(tmp_path / "images"))


@pytest.mark.django_db
def test_build_failure_returns_to_draft_with_the_reason(record, bank, tmp_path):
    survey = create(record, write_pair_set(tmp_path / "set"))
    (tmp_path / "set" / "damaged" / "n1.png").write_bytes(b"\x89PNG\r\n\x1a\ntruncated")
    with pytest.raises(ValueError):  # the reader refuses the truncated PNG
        services.survey_build_now(survey=survey, device="cpu")
    survey.refresh_from_db()
    assert survey.state == Survey.State.DRAFT and "n1.png" in survey.build_error


@pytest.mark.django_db
def test_publish_needs_built_pairs_and_a_preview(record, bank, tmp_path):
    survey = create(record, write_pair_set(tmp_path / "set"))
    with pytest.raises(services.SurveyError, match="built"):
        services.survey_publish(survey=survey, previewed=True)
    services.survey_build_now(survey=survey, device="cpu")
    survey.refresh_from_db()
    with pytest.raises(services.SurveyError, match="previewed"):
        services.survey_publish(survey=survey, previewed=False)
    services.survey_publish(survey=survey, previewed=True)
    assert survey.state == Survey.State.PUBLISHED
    with pytest.raises(services.SurveyError, match="cannot be rebuilt"):
        services.survey_build_enqueue(survey=survey)
    services.survey_close(survey=survey)
    assert Survey.objects.get(pk=survey.pk).state == Survey.State.CLOSED


def seeded_answers(survey, n_participants: int, seed: int) -> list[dict]:
    """Participants with seeded familiarity and answers (the catch trial always right); returns what they did."""
    rng = np.random.default_rng(seed)
    done = []
    for _ in range(n_participants):
        p = services.participant_start(survey=survey)
        familiarity = ["not", "somewhat", "very"][int(rng.integers(0, 3))]
        services.participant_set_familiarity(participant=p, familiarity=familiarity)
        picks = []
        for position, trial in enumerate(p.plan):
            pick_a = True if trial["catch"] else bool(rng.random() < 0.6)
            choice = "left" if trial["a_left"] == pick_a else "right"
            services.response_record(participant=p, position=position, pair_id=trial["pair"], choice=choice,
                                     response_ms=500 + position, blur_count=0)
            picks.append((trial["pair"], trial["catch"], pick_a))
        done.append({"familiarity": familiarity, "picks": picks})
    return done


@pytest.mark.django_db
@pytest.mark.parametrize("participants", [9, 1])  # one: groups with no score, and with one
def test_results_match_scores_computed_by_hand(db, participants):
    survey = published_survey(sizes=(128, 256), per_size=2, catch=1)
    sizes = dict(survey.pairs.values_list("pk", "crop_size"))
    done = seeded_answers(survey, participants, seed=4)
    from surveys.selectors import survey_results

    results = survey_results(survey=survey)
    rows = {r["group"]: r for r in results["table"]["rows"]}
    for group in ("not", "somewhat", "very", "overall"):
        members = [d for d in done if group == "overall" or d["familiarity"] == group]
        assert rows[group]["participants"] == len(members)
        for size in (128, 256):
            scores = [100 * statistics.mean(a for pair, catch, a in d["picks"] if not catch and sizes[pair] == size)
                      for d in members]
            cell = rows[group]["cells"][size]
            # no mean without scores, no spread without two
            assert cell["mean"] == (pytest.approx(statistics.mean(scores)) if scores else None)
            assert cell["std"] == (pytest.approx(statistics.stdev(scores)) if len(scores) > 1 else None)
    assert results["finished"] == participants and results["flagged"] == []


@pytest.mark.django_db
def test_failing_a_catch_trial_flags_and_excludes(db):
    survey = published_survey(sizes=(128,), per_size=2, catch=1)
    p = services.participant_start(survey=survey)
    services.participant_set_familiarity(participant=p, familiarity="very")
    for position, trial in enumerate(p.plan):
        choice = "left" if trial["a_left"] != trial["catch"] else "right"  # wrong on the catch trial only
        services.response_record(participant=p, position=position, pair_id=trial["pair"], choice=choice,
                                 response_ms=100, blur_count=2)
    from surveys.selectors import survey_results

    results = survey_results(survey=survey)
    assert results["flagged"] == [str(p.token)] and results["table"]["rows"][-1]["participants"] == 0
    Survey.objects.filter(pk=survey.pk).update(exclude_flagged=False)
    survey.refresh_from_db()
    assert survey_results(survey=survey)["table"]["rows"][-1]["cells"]["overall"]["mean"] == 100.0


@pytest.mark.django_db
def test_survey2_scores_are_preferences_for_a(db):
    survey = published_survey(kind=2, sizes=(128,), per_size=2, catch=0)
    p = services.participant_start(survey=survey)
    services.participant_set_familiarity(participant=p, familiarity="not")
    for position, trial in enumerate(p.plan):
        choice = "left" if (trial["a_left"] == (position == 0)) else "right"  # A first, then B
        services.response_record(participant=p, position=position, pair_id=trial["pair"], choice=choice,
                                 response_ms=100, blur_count=0)
    assert list(Response.objects.filter(participant=p).values_list("correct", flat=True)) == [None, None]
    from surveys.selectors import survey_results

    assert survey_results(survey=survey)["table"]["rows"][0]["cells"]["overall"]["mean"] == 50.0


@pytest.mark.django_db
def test_results_command_prints_table_and_json(db):
    survey = published_survey(sizes=(128,), per_size=2, catch=0)
    seeded_answers(survey, 3, seed=1)
    text = run_command("survey_results", "--survey", survey.slug)
    assert "Overall" in text and "Kruskal-Wallis" in text
    data = json.loads(run_command("survey_results", "--survey", survey.slug, "--json"))
    assert data["finished"] == 3 and data["table"]["columns"] == [128, "overall"]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No survey"):
        run_command("survey_results", "--survey", "nope")


@pytest.mark.django_db
def test_demo_content_publishes_surveys_and_is_idempotent(record, bank, tmp_path):
    from surveys.demo import load_demo

    lines = []
    load_demo(log=lines.append, root=tmp_path / "demo")
    published = Survey.objects.filter(state=Survey.State.PUBLISHED)
    assert published.count() == 2 and {s.kind for s in published} == {1, 2}
    assert all(s.pairs.count() == 10 for s in published)
    assert (tmp_path / "demo" / "polarity.json").exists()
    load_demo(log=lines.append, root=tmp_path / "demo")
    assert Survey.objects.count() == 2 and sum("published at" in line for line in lines) == 2
