"""Formatting of scores on the leaderboard pages (presentation only: values come from selectors)."""
from __future__ import annotations

import math

from django import template

register = template.Library()

DIGITS = {"psnr": 2, "psnr_damage": 2, "psnr_clean": 2, "iou": 3, "f1": 3, "emd": 4}


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@register.filter
def score(value, key: str = "") -> str:
    """A score with the digits its metric deserves; ``∞`` for inf, ``—`` when undefined."""
    number = _float(value)
    if number is None or math.isnan(number):
        return "—"
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    return f"{number:.{DIGITS.get(key, 4)}f}"


@register.filter
def sortvalue(value) -> str:
    """The value a sortable column sorts by (empty when undefined: sorted last)."""
    number = _float(value)
    if number is None or math.isnan(number):
        return ""
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return repr(number)


@register.filter
def get(mapping, key):
    """``mapping[key]`` in a template (None when absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
