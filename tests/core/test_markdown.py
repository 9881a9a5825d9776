"""The one Markdown renderer (core/markdown.py): http(s) addresses become links, safely."""

from __future__ import annotations

import pytest

from statusdesk.core.markdown import render_markdown

REL = 'rel="noopener noreferrer nofollow"'


def test_a_bare_https_address_becomes_a_link_with_rel() -> None:
    html = render_markdown("See https://example.com/a?b=1&c=2.")
    assert f'<a href="https://example.com/a?b=1&amp;c=2" {REL}>' in html
    assert html.strip().endswith("</a>.</p>")  # the full stop is not part of the address


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "javascript://example.com/%0aalert(1)",
        "[click](javascript:alert(1))",
        "<javascript:alert(1)>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "example.com",  # no scheme: stays text
        "//evil.example/x",  # protocol-relative: stays text
        "ftp://files.example/x",
        "ask @bob@example.com",  # a desk mention is not a mailto link
    ],
)
def test_nothing_but_http_and_https_becomes_a_link(text: str) -> None:
    html = render_markdown(text)
    assert "<a " not in html, html
    assert "<script" not in html


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    from html.parser import HTMLParser

    found: list[tuple[str, dict[str, str | None]]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Tags().feed(html)
    return found


def test_an_address_cannot_break_out_of_its_attribute() -> None:
    html = render_markdown('https://a.example/"onmouseover="alert(1) https://b.example/<img src=x>')
    tags = _tags(html)
    assert [tag for tag, _ in tags] == ["p", "a", "a"]
    for _, attrs in tags[1:]:
        assert set(attrs) == {"href", "rel"}
        assert str(attrs["href"]).startswith("https://")


def test_a_written_link_keeps_rel_and_code_stays_code() -> None:
    html = render_markdown("[docs](https://docs.example/) and `https://code.example/`")
    assert f'<a href="https://docs.example/" {REL}>docs</a>' in html
    assert "<code>https://code.example/</code>" in html
