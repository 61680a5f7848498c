"""Number formats of the survey pages (values are computed in selectors; these only print them)."""
from __future__ import annotations

from django import template

register = template.Library()

DASH = "\u2014"


@register.filter
def pct1(value) -> str:
    """A percentage with one decimal, or a dash when there is none."""
    return DASH if value is None else f"{value:.1f}"


@register.filter
def share_pct(value) -> str:
    """A share (0-1) as a percentage with one decimal."""
    return DASH if value is None else f"{100 * value:.1f}"


@register.filter
def pvalue(value) -> str:
    if value is None:
        return DASH
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


@register.filter
def num(value, digits=2) -> str:
    return DASH if value is None else f"{value:.{int(digits)}f}"


@register.filter
def get(mapping, key):
    return mapping.get(key) if mapping else None
