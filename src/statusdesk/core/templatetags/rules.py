"""Rule chips and rule texts in templates: `{% load rules %}`.

`{% rule_chip "R4" %}` (or `{% rule_chip error.rule tone="neutral" %}`) draws the small R4 badge as
a link to /rules/#r4 whose accessible name is "Rule R4: Issue and assignment". The rule opens in
a new tab, so that following it from a half-filled form loses nothing.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from statusdesk.core import rules

register = template.Library()

TONES = {"": "rule", "neutral": "rule rule-neutral"}


@register.simple_tag
def rule_chip(code: str | None, tone: str = "") -> SafeString:
    """The chip of a rule, linked to its explanation; '' when there is no rule."""
    if not code:
        return mark_safe("")
    css = TONES.get(tone, TONES[""])
    rule = rules.get(code)
    if rule is None:  # a code no rule has: shown as it is, linked nowhere
        return format_html('<span class="{}">{}</span>', css, code)
    return format_html(
        '<a class="{}" href="{}#{}" target="_blank" rel="noopener" aria-label="{}" '
        'title="{} (opens in a new tab)">{}</a>',
        css,
        reverse("rules"),
        rule.anchor,
        rule.label,
        rule.label,
        rule.code,
    )


@register.filter
def rule_text(text: str) -> SafeString:
    """A rule's text as HTML for the rules page: `code` spans, and every mention of a rule
    linked to it on the same page."""
    out: list[str] = []
    for is_code, part in rules.split_code(text):
        if is_code:
            out.append(f"<code>{escape(part)}</code>")
            continue
        pieces = rules.MENTION.split(part)  # text, number, text, number, ..., text
        for index, piece in enumerate(pieces):
            if index % 2 == 0:
                out.append(escape(piece))
            elif (mentioned := rules.get(f"R{piece}")) is not None:
                out.append(f'<a href="#{mentioned.anchor}">{escape(mentioned.code)}</a>')
            else:
                out.append(escape(f"R{piece}"))
    return mark_safe("".join(out))
