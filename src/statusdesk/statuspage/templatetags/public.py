"""Template helpers of the public pages: `{% load public %}`.

Times as the process writes them (R14: `yy-mm-dd hh:mm` in the display zone) inside a `<time>`
element whose title spells the date out in the page's language ("sábado 28 de noviembre de 2026,
09:14 UTC-5"), and dates and months in that language too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import template
from django.utils import dateformat
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext

from statusdesk.core.humane import zone_label
from statusdesk.core.time import format_timeline, to_display
from statusdesk.statuspage.pages import IMPACT_TONE

register = template.Library()


def _local(value: datetime | date) -> datetime | date:
    return to_display(value) if isinstance(value, datetime) else value


@register.filter
def full_date(value: datetime | None) -> str:
    """'Saturday 28 November 2026, 09:14 UTC-5' in the page's language, in the display zone."""
    if value is None:
        return ""
    # Translators: a date format of Django's `date` filter (l: weekday, j: day, F: month).
    spelled = dateformat.format(to_display(value), gettext("l j F Y, H:i"))
    return f"{spelled} {zone_label(value)}"


@register.filter
def stamp(value: datetime | None) -> SafeString | str:
    """`26-11-28 09:14 UTC-5` in a <time> element titled with the date in full."""
    if value is None:
        return ""
    return format_html(
        '<time datetime="{}" title="{}">{} <span class="tz">{}</span></time>',
        value.isoformat(),
        full_date(value),
        format_timeline(value),
        zone_label(value),
    )


@register.filter
def day_text(value: datetime | date | None) -> str:
    """'28 Nov 2026' in the page's language."""
    if value is None:
        return ""
    # Translators: a short date (j: day, M: short month name, Y: year).
    return dateformat.format(_local(value), gettext("j M Y"))


@register.filter
def month_text(value: datetime | date | None) -> str:
    """'November 2026' in the page's language."""
    if value is None:
        return ""
    # Translators: a month heading (F: month name, Y: year).
    return capfirst(dateformat.format(_local(value), gettext("F Y")))


@register.simple_tag(takes_context=True)
def page_query(context: dict[str, Any], number: int) -> str:
    """`?component=3&page=2`: the same list (its filters, as the view read them) at page
    `number`."""
    params = {k: v for k, v in context.get("query", {}).items() if k != "page"}
    if number > 1:
        params["page"] = str(number)
    return f"?{urlencode(params)}" if params else "?"


@register.filter
def impact_tone(impact: str | None) -> str:
    """An incident's impact (none, minor, major, critical) as a tone of the stylesheet."""
    return IMPACT_TONE.get(impact or "none", "ok")
