"""Pair-set plans (surveys.core.plan): balance of polarities, catch pairs, seeds, refusals."""
from __future__ import annotations

from collections import Counter

import pytest

from surveys.core.plan import SourceInfo, item_seed, plan_real_vs_synthetic, plan_two_methods

SOURCES = [SourceInfo("a", 600, 400, "negative"), SourceInfo("b", 300, 300, "negative"),
           SourceInfo("c", 700, 500, "positive"), SourceInfo("d", 200, 900, "positive")]


def test_survey1_plan_has_half_of_each_polarity_per_size_then_catch_pairs():
    specs, notes = plan_real_vs_synthetic(SOURCES, crop_sizes=[128, 256], pairs_per_size=4, catch_trials=3, seed=5)
    assert notes == [] and [s.index for s in specs] == list(range(11))
    regular = [s for s in specs if not s.catch]
    assert len(regular) == 8 and all(s.catch for s in specs[8:])
    for size in (128, 256):
        assert Counter(s.polarity for s in regular if s.crop_size == size) == {"negative": 2, "positive": 2}
    # the source's own polarity; sizes only on images that hold them (d is 200 px on its short side)
    by_name = {s.name: s for s in SOURCES}
    assert all(by_name[s.source].polarity == s.polarity for s in specs)
    assert not any(s.source == "d" for s in specs if s.crop_size == 256)
    assert [s.crop_size for s in specs[8:]] == [128, 256, 128]


def test_plans_are_reproducible_and_seeds_do_not_depend_on_the_count():
    one, _ = plan_real_vs_synthetic(SOURCES, crop_sizes=[128], pairs_per_size=2, seed=1)
    assert one == plan_real_vs_synthetic(SOURCES, crop_sizes=[128], pairs_per_size=2, seed=1)[0]
    assert [s.seed for s in one] == [item_seed(1, 0), item_seed(1, 1)]
    assert len({item_seed(1, i) for i in range(100)}) == 100


def test_sources_are_reused_in_turn_when_a_size_needs_more_pairs():
    specs, _ = plan_real_vs_synthetic(SOURCES[:1] + SOURCES[2:3], crop_sizes=[128], pairs_per_size=6, seed=2)
    assert Counter(s.source for s in specs) == {"a": 3, "c": 3}
    assert len({s.seed for s in specs}) == 6


def test_a_set_of_one_polarity_is_noted():
    specs, notes = plan_real_vs_synthetic(SOURCES[:2], crop_sizes=[128], pairs_per_size=4, seed=0)
    assert {s.polarity for s in specs} == {"negative"} and len(specs) == 4
    assert "no balance of polarities" in notes[0]


def test_survey2_plan_assigns_polarities_half_and_half():
    plain = [SourceInfo(s.name, s.width, s.height) for s in SOURCES]
    specs = plan_two_methods(plain, crop_sizes=[128, 450], pairs_per_size=6, catch_trials=2, seed=3)
    for size in (128, 450):
        assert Counter(s.polarity for s in specs if s.crop_size == size and not s.catch) == {"negative": 3,
                                                                                           "positive": 3}
    assert {s.source for s in specs if s.crop_size == 450} == {"c"}
    assert sum(s.catch for s in specs) == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"pairs_per_size": 3}, "even"),
    ({"pairs_per_size": 0}, "even"),
    ({"crop_sizes": []}, "distinct positive"),
    ({"crop_sizes": [128, 128]}, "distinct positive"),
    ({"crop_sizes": [1024]}, "at least 1024 px"),
    ({"catch_trials": -1}, "catch"),
])
def test_bad_plans_are_refused(kwargs, message):
    kwargs = {"crop_sizes": [128], "pairs_per_size": 2, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        plan_real_vs_synthetic(SOURCES, **kwargs)


def test_survey1_needs_every_polarity():
    with pytest.raises(ValueError, match="without a polarity"):
        plan_real_vs_synthetic([SourceInfo("x", 500, 500)], crop_sizes=[128], pairs_per_size=2, seed=0)
