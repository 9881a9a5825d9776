"""Template helpers of the console: times in the display zone and in words, badges, errors."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms, template
from django.forms import BoundField
from django.utils import timezone
from django.utils.html import format_html

from statusdesk.accounts.roles import roles_of
from statusdesk.core.humane import full_date, humane_ago, humane_duration, iso_duration
from statusdesk.core.time import display_zone_name, format_timeline
from statusdesk.incidents import lifecycle, queries
from statusdesk.incidents.lifecycle import IncidentAction, meets_incident_threshold
from statusdesk.incidents.models import ComponentStatus, Incident, IncidentStatus

register = template.Library()

_RULE = re.compile(r"^R\d{1,2}$")
_RULE_PREFIX = re.compile(r"^(R\d{1,2}):\s*")


@register.filter
def when(value: datetime | None) -> str:
    """`26-11-28 09:14 UTC-5` (R14, the display zone) in a <time> element whose title spells the
    date out ("Saturday 28 November 2026, 09:14 UTC-5"), so that 26-11-28 is never ambiguous."""
    if value is None:
        return "—"
    return format_html(
        '<time datetime="{}" title="{}">{} <span class="tz">{}</span></time>',
        value.isoformat(),
        full_date(value),
        format_timeline(value),
        display_zone_name(),
    )


def _span(start: datetime, end: datetime, title: str) -> str:
    """A span in words ('3 hours') in a <time> element: an ISO duration and a title in full."""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        iso_duration(end - start),
        title,
        humane_duration(end - start),
    )


@register.filter
def since(value: datetime | None) -> str:
    """How long something has been going on: '3 hours' (Open for 3 hours)."""
    if value is None:
        return "—"
    return _span(value, max(value, timezone.now()), f"Since {full_date(value)}")


@register.filter
def until(value: datetime | None) -> str:
    """How long from now until a future moment ('20 minutes'); '' when it has passed."""
    if value is None:
        return ""
    now = timezone.now()
    return _span(now, value, f"At {full_date(value)}") if value > now else ""


@register.filter
def ago(value: datetime | None) -> str:
    """When, as people say it: 'just now', '3 hours ago', 'yesterday', with the date as title."""
    if value is None:
        return "—"
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        full_date(value),
        humane_ago(value, timezone.now()),
    )


@register.simple_tag
def duration(start: datetime | None, end: datetime | None) -> str:
    """How long something lasted: '3 hours', titled with both ends."""
    if start is None or end is None:
        return "—"
    return _span(start, max(start, end), f"From {full_date(start)} to {full_date(end)}")


@register.simple_tag
def update_cadence(incident: Incident) -> str:
    """R10: 'every 52 minutes on average (longest gap 1 hour) over 3 gaps', or a dash."""
    cadence = queries.update_cadence(incident)
    if cadence is None:
        return "—"
    gaps = cadence["gaps"]
    return (
        f"every {humane_duration(cadence['average'])} on average (longest gap "
        f"{humane_duration(cadence['longest'])}) over {gaps} gap{'s' if gaps != 1 else ''}"
    )


@register.filter
def update_overdue(incident: Incident) -> bool:
    """R10: the next public update was due and has not been posted."""
    return queries.update_overdue(incident)


_NEXT_STEP = {
    IncidentAction.ASSIGN: "Next: assign a developer",
    IncidentAction.PUBLISH: "Next: publish",
}


@register.simple_tag
def next_step(user: Any, incident: Incident) -> str:
    """What the process waits for on this incident, when this user can do it (lifecycle.py)."""
    step = lifecycle.next_step(user, incident)
    return _NEXT_STEP.get(step, "") if step else ""


@register.filter
def meets_r1(report: Any) -> bool:
    """R1, as the services decide it."""
    return meets_incident_threshold(report)


@register.simple_tag
def role_names(user: Any) -> str:
    return ", ".join(roles_of(user)) or ("Administrator" if user.is_superuser else "No role")


@register.filter
def component_status_label(value: str) -> str:
    try:
        return str(ComponentStatus(value).label)
    except ValueError:
        return value


@register.filter
def incident_status_label(value: str) -> str:
    try:
        return str(IncidentStatus(value).label)
    except ValueError:
        return value


@register.simple_tag
def field_errors(field: BoundField) -> list[dict[str, str]]:
    """A field's errors as {message, rule}; the rule is shown as a badge, not inside the text."""
    return [_error(error, field.form, field) for error in field.errors.as_data()]


@register.simple_tag
def form_errors(form: Any) -> list[dict[str, str]]:
    return [_error(error, form) for error in form.non_field_errors().as_data()]


# The services name fields as a program sends them; the console says what the form shows.
_FIELD_WORDS = {
    "component_ids": "affected components",
    "component_statuses": "component status",
    "users_affected": "users affected",
    "could_affect_two_or_more": "could affect two or more",
    "workaround_url": "workaround documentation link",
    "reminder_interval_minutes": "reminder interval",
    "issue_title": "issue title",
    "issue_description": "issue description",
    "issue_url": "external issue link",
}
_SNAKE = re.compile(r"(?<![\w@./'])[a-z]+(?:_[a-z]+)+(?![\w@/'])(?!\.\w)")
_COMPONENT_KEY = re.compile(r"\bcomponent_statuses\[([^\]]*)\]")
# What a program needs to hear and a person does not: the value sent and the raw choices.
_PROGRAM_TAIL = re.compile(r"[;,]\s*got\s.*$", re.S)
_VALUES_LIST = re.compile(r"\s*\(the values are [^)]*\)")
_REQUIRED = re.compile(r"^[^:]+ is required$")


@register.filter
def sentence(message: Any) -> str:
    """A message as a sentence: a capital first letter, unless it starts with an e-mail address,
    an address or a quoted value (which keep their case)."""
    text = str(message or "").strip()
    first = text.split(" ", 1)[0]
    if not text or "@" in first or "/" in first or not text[0].isalpha():
        return text
    return text[0].upper() + text[1:]


def _error(error: Any, form: Any = None, field: BoundField | None = None) -> dict[str, str]:
    message = " ".join(str(m) for m in error.messages)
    code = error.code or ""
    rule = code if _RULE.match(code) else ""
    prefix = _RULE_PREFIX.match(message)
    if prefix:
        rule = rule or prefix.group(1)
        message = message[prefix.end() :]
    message = _VALUES_LIST.sub("", _PROGRAM_TAIL.sub("", message))
    # "component_statuses[3]: status must be …" names the component.
    names = {str(c.pk): c.name for c in getattr(form, "components", [])}
    message = _COMPONENT_KEY.sub(lambda m: names.get(m.group(1), "a component"), message)
    # Field names ('issue_title is required') read as words.
    message = _SNAKE.sub(
        lambda m: _FIELD_WORDS.get(m.group(0), m.group(0).replace("_", " ")), message
    )
    # A choice nobody made: "Choose a developer", not "developer (an e-mail address) is required".
    if field is not None and _REQUIRED.match(message):
        widget = field.field.widget
        if isinstance(widget, forms.Select | forms.RadioSelect):
            words = field.name.replace("_", " ")
            article = "an" if words[:1] in "aeiou" else "a"
            message = f"choose {article} {words}"
    return {"message": sentence(message), "rule": rule}


@register.filter
def lookup(mapping: dict[Any, Any] | None, key: Any) -> Any:
    if not mapping:
        return None
    return mapping.get(key, mapping.get(str(key)))


@register.simple_tag(takes_context=True)
def page_query(context: dict[str, Any], number: int) -> str:
    """`?status=open&page=3`: the same list (its filters kept) at page `number`."""
    params = context["request"].GET.copy()
    params["page"] = number
    return f"?{params.urlencode()}"
