"""Model cards on /restoration/networks/ are Markdown rendered as HTML, with nothing of the card's own HTML passed."""
from __future__ import annotations

import pytest

from restoration.templatetags.model_cards import render_markdown


def test_markdown_becomes_html_and_raw_html_is_escaped():
    html = render_markdown("# Title\n\n**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                           "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>")
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html and "<img" not in html


@pytest.mark.django_db
def test_the_models_page_shows_the_shipped_cards_as_html(client, users):
    client.force_login(users["annotator"])
    body = client.get("/restoration/networks/").content.decode()
    assert 'data-testid="model-card"' in body
    assert "<h1>Default damage detector" in body and "<table>" in body
    assert "<pre># Default" not in body and "| do nothing |" not in body  # no raw Markdown
