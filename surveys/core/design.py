"""Trial order and left/right placement of a two-alternative forced-choice survey.

Everything is decided on the server from the survey's seed and the
participant's *slot* (0 for the first participant, 1 for the next, ...), so
that the design is balanced across participants rather than random per person:

* **Order**: participant ``slot`` gets row ``slot mod R`` of a Williams design
  (Williams 1949, "Experimental designs balanced for the estimation of
  residual effects of treatments"): a Latin square (``R = n`` rows for an even
  number ``n`` of pairs; ``R = 2n``, the square and its mirror, for an odd
  ``n``) in which every pair stands at every position equally often and every
  pair follows every other pair equally often. Which pair is which symbol of
  the square is a seeded permutation.
* **Sides**: every pair has a seeded base side (exactly half of the pairs show
  ``A`` on the left), flipped for every other participant and again every
  other cycle of ``R`` participants; so each participant sees ``A`` on the
  left in half the trials and across two participants every pair appears on
  each side once.
* **Catch trials** (attention checks) are spread over the sequence: the
  regular trials are cut into as many blocks as there are catch trials and
  one catch trial is inserted at a seeded place inside each block, never
  first. Which catch pair goes to which block rotates with the slot.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Trial", "assign_trials", "williams_row", "williams_rows"]


@dataclass(frozen=True)
class Trial:
    """One trial of a participant: the pair shown, whether ``A`` is on the left, whether it is a catch trial."""

    pair: int
    a_left: bool
    catch: bool = False


def williams_rows(n: int) -> int:
    """Number of rows of the Williams design for ``n`` treatments (``n`` even: ``n``; odd: ``2n``)."""
    if n < 1:
        raise ValueError(f"a Williams design needs at least 1 treatment, got {n}")
    return n if n % 2 == 0 else 2 * n


def williams_row(n: int, row: int) -> list[int]:
    """Row ``row`` (taken modulo :func:`williams_rows`) of the Williams design for ``n`` treatments.

    The first row is ``0, n-1, 1, n-2, 2, ...``; row ``r < n`` adds ``r``
    (mod ``n``) to it; rows ``n .. 2n-1`` (odd ``n`` only) are rows
    ``0 .. n-1`` reversed.

    Examples
    --------
    >>> [williams_row(4, r) for r in range(4)]
    [[0, 3, 1, 2], [1, 0, 2, 3], [2, 1, 3, 0], [3, 2, 0, 1]]
    """
    rows = williams_rows(n)
    r = row % rows
    first = [j // 2 if j % 2 == 0 else n - (j + 1) // 2 for j in range(n)]
    out = [(x + r) % n for x in first]
    return out[::-1] if r >= n else out


def _balanced_sides(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` booleans, ``n // 2`` of them True (plus one more with probability 1/2 when ``n`` is odd)."""
    sides = np.zeros(n, dtype=bool)
    sides[: n // 2] = True
    if n % 2 and rng.random() < 0.5:
        sides[-1] = True
    return rng.permutation(sides)


def _check_ids(name: str, ids: Sequence[int]) -> list[int]:
    ids = [int(i) for i in ids]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{name} pair ids must be unique, got {ids}")
    return ids


def assign_trials(*, regular: Sequence[int], catch: Sequence[int] = (), slot: int, seed: int) -> list[Trial]:
    """The trial sequence of the participant in ``slot``.

    Parameters
    ----------
    regular : sequence of int
        Ids of the survey's regular pairs (at least one), in a fixed order
        (e.g. by pair index): the same list must be passed for every participant.
    catch : sequence of int
        Ids of the catch pairs (attention checks); may be empty.
    slot : int
        The participant's arrival number within the survey, from 0.
    seed : int
        The survey's seed.

    Returns
    -------
    list of Trial
        ``len(regular) + len(catch)`` trials in the order they are shown.
    """
    regular = _check_ids("regular", regular)
    catch = _check_ids("catch", catch)
    if not regular:
        raise ValueError("a survey needs at least one regular pair")
    if set(regular) & set(catch):
        raise ValueError("a pair cannot be both regular and catch")
    if int(slot) < 0:
        raise ValueError(f"slot must be >= 0, got {slot}")
    slot = int(slot)
    n, m = len(regular), len(catch)
    base = np.random.default_rng(np.random.SeedSequence([int(seed), 0]))
    relabel = base.permutation(n)
    sides = _balanced_sides(n, base)
    catch_sides = _balanced_sides(m, base) if m else np.zeros(0, dtype=bool)
    rows = williams_rows(n)
    flip = bool((slot + slot // rows) % 2)
    order = [int(relabel[x]) for x in williams_row(n, slot)]
    trials = [Trial(regular[i], bool(sides[i]) != flip) for i in order]
    if not m:
        return trials
    place = np.random.default_rng(np.random.SeedSequence([int(seed), 1, slot]))
    bounds = [round(j * n / m) for j in range(m + 1)]
    out: list[Trial] = []
    for j in range(m):
        lo, hi = bounds[j], bounds[j + 1]
        # insert after regular trial number `cut` (so never before the first one)
        cut = int(place.integers(lo, hi)) + 1 if hi > lo else lo
        k = (j + slot) % m
        block = trials[lo:hi]
        split = cut - lo
        out.extend(block[:split])
        out.append(Trial(catch[k], bool(catch_sides[k]) != flip, catch=True))
        out.extend(block[split:])
    return out
