"""The pair set of a survey, planned from a seed before any pixel is rendered.

A plan is a list of :class:`PairSpec`: for each crop size, ``pairs_per_size``
regular pairs, half with negative damage (white artefacts) and half with
positive damage (black artefacts), then the catch pairs. Source images are
drawn without replacement from a seeded shuffle of the images large enough for
the crop, cycling when a size needs more pairs than there are images (the
crops differ: each pair has its own seed). Same inputs, same plan.

In survey 1 the polarity is the source's own (its authentic damage); when a
set holds only one polarity, every pair of a size takes it and a note says so.
In survey 2 both sides are synthetic, so the polarity is simply assigned.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PairSpec", "SourceInfo", "item_seed", "plan_real_vs_synthetic", "plan_two_methods"]

POLARITIES = ("negative", "positive")


@dataclass(frozen=True)
class SourceInfo:
    """A source image: its name, size and (survey 1) the polarity of its authentic damage."""

    name: str
    width: int
    height: int
    polarity: str | None = None


@dataclass(frozen=True)
class PairSpec:
    """One pair to render: index in the survey, source image, crop size, polarity, seed, catch or not."""

    index: int
    source: str
    crop_size: int
    polarity: str
    seed: int
    catch: bool = False


def item_seed(seed: int, index: int) -> int:
    """The seed of pair ``index`` of a survey seeded ``seed`` (independent of how many pairs there are)."""
    return int(np.random.SeedSequence([int(seed), int(index), 7]).generate_state(1, dtype=np.uint64)[0] >> 2)


def _check(crop_sizes: Sequence[int], pairs_per_size: int, catch_trials: int) -> list[int]:
    sizes = [int(s) for s in crop_sizes]
    if not sizes or len(set(sizes)) != len(sizes) or min(sizes) < 1:
        raise ValueError(f"crop sizes must be distinct positive integers, got {list(crop_sizes)}")
    if pairs_per_size < 2 or pairs_per_size % 2:
        raise ValueError(f"pairs per crop size must be even and >= 2 (half negative, half positive damage), "
                         f"got {pairs_per_size}")
    if catch_trials < 0:
        raise ValueError(f"catch trials must be >= 0, got {catch_trials}")
    return sizes


def _eligible(sources: Sequence[SourceInfo], size: int) -> list[SourceInfo]:
    fit = [s for s in sources if min(s.width, s.height) >= size]
    if not fit:
        largest = max((min(s.width, s.height) for s in sources), default=0)
        raise ValueError(f"no source image is at least {size} px on its shorter side (the largest is {largest} px); "
                         "drop that crop size or add larger images")
    return fit


def _cycle(pool: list[SourceInfo], count: int, rng: np.random.Generator) -> list[SourceInfo]:
    order = [pool[i] for i in rng.permutation(len(pool))]
    return [order[i % len(order)] for i in range(count)]


def _catch_specs(sources: Sequence[SourceInfo], sizes: list[int], count: int, start: int, seed: int,
                 rng: np.random.Generator, *, own_polarity: bool) -> list[PairSpec]:
    specs = []
    for j in range(count):
        size = sizes[j % len(sizes)]
        src = _cycle(_eligible(sources, size), 1, rng)[0]
        polarity = src.polarity if own_polarity and src.polarity else POLARITIES[j % 2]
        specs.append(PairSpec(start + j, src.name, size, polarity, item_seed(seed, start + j), catch=True))
    return specs


def plan_real_vs_synthetic(sources: Sequence[SourceInfo], *, crop_sizes: Sequence[int], pairs_per_size: int,
                           catch_trials: int = 0, seed: int) -> tuple[list[PairSpec], list[str]]:
    """Survey 1 plan; every source needs its polarity. Returns the specs and notes (e.g. a missing polarity)."""
    sizes = _check(crop_sizes, pairs_per_size, catch_trials)
    missing = [s.name for s in sources if s.polarity not in POLARITIES]
    if missing:
        raise ValueError(f"sources without a polarity: {', '.join(missing[:10])}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 2]))
    specs: list[PairSpec] = []
    notes: list[str] = []
    for size in sizes:
        fit = _eligible(sources, size)
        pools = {p: [s for s in fit if s.polarity == p] for p in POLARITIES}
        have = [p for p in POLARITIES if pools[p]]
        if len(have) == 1:
            notes.append(f"{size} px: every image large enough has {have[0]} damage, so all {pairs_per_size} "
                         f"pairs are {have[0]} (no balance of polarities)")
        quota = {p: pairs_per_size // len(have) for p in have}
        for p in have:
            for src in _cycle(pools[p], quota[p], rng):
                i = len(specs)
                specs.append(PairSpec(i, src.name, size, p, item_seed(seed, i)))
    specs += _catch_specs(sources, sizes, catch_trials, len(specs), seed, rng, own_polarity=True)
    return specs, notes


def plan_two_methods(sources: Sequence[SourceInfo], *, crop_sizes: Sequence[int], pairs_per_size: int,
                     catch_trials: int = 0, seed: int) -> list[PairSpec]:
    """Survey 2 plan: per size, half the pairs negative and half positive, sources drawn from a seeded shuffle."""
    sizes = _check(crop_sizes, pairs_per_size, catch_trials)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 3]))
    specs: list[PairSpec] = []
    for size in sizes:
        chosen = _cycle(_eligible(sources, size), pairs_per_size, rng)
        for j, src in enumerate(chosen):
            i = len(specs)
            specs.append(PairSpec(i, src.name, size, POLARITIES[j % 2], item_seed(seed, i)))
    specs += _catch_specs(sources, sizes, catch_trials, len(specs), seed, rng, own_polarity=False)
    return specs
