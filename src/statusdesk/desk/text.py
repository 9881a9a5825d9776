"""Desk messages are Markdown: rendered with markdown-it-py (raw HTML off), then sanitised by nh3,
so a message can never carry script, styles or event handlers into a member's browser."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("strikethrough")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "s", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}

# `@someone` (the part of an e-mail address before the @) or `@someone@example.com`.
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")


def render(text: str) -> str:
    html = _md.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def mentioned_handles(text: str) -> list[str]:
    """The handles mentioned in `text`, lower-cased, in order, once each."""
    return list(dict.fromkeys(m.group(1).lower().rstrip(".") for m in MENTION.finditer(text)))
