"""The published postmortem on the public pages (`{% load postmortem_public %}`): its times
worded in the reader's language, and the snapshot's ISO times as the public pages show times.

The wording is R16's (statusdesk.core.time.describe_duration: minutes under an hour, hours under a
day, days under a month, months beyond; at most one decimal, half up); only the words around the
number are translated, with the language's plural forms, and the number takes the language's
decimal mark ("3.5 hours", "3,5 horas"). The postmortem's own text, the drafted Impact included,
stays as the Incident Manager wrote it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from statusdesk.core.time import describe_duration
from statusdesk.statuspage.templatetags.public import stamp

register = template.Library()


def worded_duration(seconds: float) -> str:
    """R16's wording of `seconds` in the active language."""
    amount, unit = describe_duration(seconds).split(" ", 1)
    value = Decimal(amount)
    # The plural form of a whole number is the language's own; a fraction ("1.5") takes the
    # form of "other" in English and Spanish alike, the form of 2.
    count = int(value) if value == value.to_integral_value() else 2
    shown = number_format(value, use_l10n=True)
    if unit.startswith("minute"):
        text = ngettext("%(amount)s minute", "%(amount)s minutes", count)
    elif unit.startswith("hour"):
        text = ngettext("%(amount)s hour", "%(amount)s hours", count)
    elif unit.startswith("day"):
        text = ngettext("%(amount)s day", "%(amount)s days", count)
    else:
        text = ngettext("%(amount)s month", "%(amount)s months", count)
    return text % {"amount": shown}


@register.filter
def duration_words(seconds: int | None) -> str:
    return "" if seconds is None else worded_duration(seconds)


@register.filter
def iso_stamp(value: str | None) -> SafeString | str:
    """An ISO 8601 time of the snapshot, as the public pages show times."""
    return stamp(datetime.fromisoformat(value)) if value else ""
