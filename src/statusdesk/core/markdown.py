"""User text in Markdown, shown as HTML: rendered by markdown-it-py with raw HTML off, then
sanitised by nh3, so a desk message or a postmortem can never carry a script, a style or an event
handler into a reader's browser. One renderer for every app.

Bare addresses that start with http:// or https:// become links (linkify-it-py); nothing else
does: not a bare domain ("example.com"), not an e-mail address (a desk @mention stays text), not
`ftp:` or a protocol-relative `//host`. Every link, written or found, goes through nh3, which
keeps only http, https and mailto and adds rel="noopener noreferrer nofollow"."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": True}).enable(
    ["strikethrough", "table", "linkify"]
)
# Only explicit http(s) addresses are found in the text.
_linkify = _renderer.linkify
assert _linkify is not None
_linkify.set({"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
for _schema in ("ftp:", "//", "mailto:"):
    _linkify.add(_schema, None)

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "s", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML (links open nothing but http, https and mailto)."""
    return nh3.clean(
        _renderer.render(text or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
