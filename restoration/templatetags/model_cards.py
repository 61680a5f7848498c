"""``{{ card|markdown }}``: a model card (Markdown) as HTML, safely (``{% load model_cards %}``)."""
from __future__ import annotations

from functools import lru_cache

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt

    # CommonMark with tables; raw HTML in the card is escaped, never passed through, and links with
    # javascript:, vbscript: or data: (other than images) URLs are dropped by markdown-it's validateLink
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render_markdown(text: str) -> str:
    """HTML of ``text`` (Markdown) in which no tag or script of the source survives."""
    return _parser().render(text or "")


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    return mark_safe(render_markdown(text))  # noqa: S308 - markdown-it escapes every raw HTML of the source
