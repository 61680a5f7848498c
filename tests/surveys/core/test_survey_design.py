"""Balanced trial order and sides (surveys.core.design), checked by counting."""
from __future__ import annotations

from collections import Counter

import pytest

from surveys.core.design import Trial, assign_trials, williams_row, williams_rows


def test_williams_rows_of_four_by_hand():
    # first row 0, n-1, 1, n-2; each next row adds 1 mod n (Williams 1949)
    assert [williams_row(4, r) for r in range(4)] == [[0, 3, 1, 2], [1, 0, 2, 3], [2, 1, 3, 0], [3, 2, 0, 1]]
    assert williams_row(4, 5) == williams_row(4, 1)


@pytest.mark.parametrize("n", [2, 4, 5, 6, 7])
def test_williams_square_is_balanced_for_position_and_carry_over(n):
    rows = [williams_row(n, r) for r in range(williams_rows(n))]
    per_cell = len(rows) // n
    for row in rows:
        assert sorted(row) == list(range(n))
    for col in range(n):
        assert Counter(row[col] for row in rows) == {x: per_cell for x in range(n)}
    follows = Counter((row[i], row[i + 1]) for row in rows for i in range(n - 1))
    assert set(follows.values()) == {per_cell} and len(follows) == n * (n - 1)


def test_regular_trials_are_balanced_across_participants():
    regular = [101, 102, 103, 104, 105, 106]
    plans = [assign_trials(regular=regular, slot=s, seed=9) for s in range(12)]
    # every pair at every position exactly twice over two cycles of six participants
    for pos in range(6):
        assert Counter(p[pos].pair for p in plans) == {r: 2 for r in regular}
    # every pair with A on the left for exactly half of the participants
    for r in regular:
        assert sum(t.a_left for p in plans for t in p if t.pair == r) == 6
    # every participant sees A on the left in exactly half of the trials
    assert {sum(t.a_left for t in p) for p in plans} == {3}
    # two consecutive participants see every pair on opposite sides
    sides = [{t.pair: t.a_left for t in p} for p in plans]
    assert all(sides[0][r] != sides[1][r] for r in regular)


def test_same_inputs_same_plan_and_seed_matters():
    a = assign_trials(regular=range(8), catch=[50, 51], slot=3, seed=1)
    assert a == assign_trials(regular=range(8), catch=[50, 51], slot=3, seed=1)
    assert a != assign_trials(regular=range(8), catch=[50, 51], slot=3, seed=2)


def test_catch_trials_are_spread_and_never_first():
    regular, catch = list(range(10)), [90, 91]
    for slot in range(8):
        plan = assign_trials(regular=regular, catch=catch, slot=slot, seed=4)
        assert len(plan) == 12 and not plan[0].catch
        positions = [i for i, t in enumerate(plan) if t.catch]
        assert sorted(plan[i].pair for i in positions) == catch
        # one catch trial within each half of the regular trials
        before = [sum(1 for t in plan[:i] if not t.catch) for i in positions]
        assert 1 <= before[0] <= 5 and 6 <= before[1] <= 10
        assert [t.pair for t in plan if not t.catch] == [t.pair for t in assign_trials(regular=regular, slot=slot,
                                                                                      seed=4)]
    # a catch pair is shown on each side once over two participants
    sides = [{t.pair: t.a_left for t in assign_trials(regular=regular, catch=catch, slot=s, seed=4)} for s in (0, 1)]
    assert sides[0][90] != sides[1][90] and sides[0][91] != sides[1][91]


def test_trial_is_a_plain_value():
    assert Trial(3, True) == Trial(pair=3, a_left=True, catch=False)


@pytest.mark.parametrize("kwargs, message", [
    ({"regular": []}, "at least one regular"),
    ({"regular": [1, 1]}, "unique"),
    ({"regular": [1, 2], "catch": [2]}, "both regular and catch"),
    ({"regular": [1, 2], "slot": -1}, "slot"),
])
def test_bad_designs_are_refused(kwargs, message):
    kwargs = {"slot": 0, "seed": 0, **kwargs}
    with pytest.raises(ValueError, match=message):
        assign_trials(**kwargs)
