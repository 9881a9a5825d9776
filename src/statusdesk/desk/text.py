"""Desk messages are Markdown (rendered and sanitised by core.markdown) with @mentions."""

from __future__ import annotations

import re

from statusdesk.core.markdown import render_markdown

# `@someone` (the part of an e-mail address before the @) or `@someone@example.com`.
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+-]+(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)")


def render(text: str) -> str:
    return render_markdown(text)


def mentioned_handles(text: str) -> list[str]:
    """The handles mentioned in `text`, lower-cased, in order, once each."""
    return list(dict.fromkeys(m.group(1).lower().rstrip(".") for m in MENTION.finditer(text)))
