"""Filters that show a job to a person (``{% load job_display %}``); the rules are in ``jobs.presentation``."""
from __future__ import annotations

from django import template

from jobs import presentation

register = template.Library()


@register.filter
def public_error(stored: str) -> str:
    """The sentence for a stored job error (never its traceback)."""
    return presentation.public_error(stored)


@register.filter
def result_links(result) -> list[dict[str, str]]:
    return presentation.result_links(result)


@register.filter
def result_facts(result) -> list[dict[str, str]]:
    return presentation.result_facts(result)


@register.filter
def param_facts(params) -> list[dict[str, str]]:
    """A job's parameters as facts, ids included."""
    return presentation.result_facts(params, with_ids=True)
