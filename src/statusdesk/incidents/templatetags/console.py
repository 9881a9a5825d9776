"""Template helpers of the console: times in the display zone, R16 durations, badges, events."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import template
from django.forms import BoundField
from django.utils import timezone
from django.utils.html import format_html

from statusdesk.accounts.roles import roles_of
from statusdesk.core.time import describe_duration, display_zone_name, format_timeline
from statusdesk.incidents import lifecycle, queries
from statusdesk.incidents.lifecycle import IncidentAction, meets_incident_threshold
from statusdesk.incidents.models import ComponentStatus, Incident, IncidentStatus

register = template.Library()

_RULE = re.compile(r"^R\d{1,2}$")
_RULE_PREFIX = re.compile(r"^(R\d{1,2}):\s*")
_FIELD_NAME = re.compile(r"^[a-z]+(?:_[a-z]+)+")


@register.filter
def when(value: datetime | None) -> str:
    """`26-11-28 09:14 UTC-5` in a <time> element (the display zone, R14 format)."""
    if value is None:
        return "—"
    return format_html(
        '<time datetime="{}">{} <span class="tz">{}</span></time>',
        value.isoformat(),
        format_timeline(value),
        display_zone_name(),
    )


def _span(start: datetime, end: datetime | None = None) -> str:
    seconds = ((end or timezone.now()) - start).total_seconds()
    if seconds < 60:
        return "under a minute"
    return describe_duration(seconds)


@register.filter
def since(value: datetime | None) -> str:
    """How long ago, in R16 wording: '3.5 hours'."""
    if value is None:
        return "—"
    return _span(value)


@register.filter
def until(value: datetime | None) -> str:
    """How long from now until a future moment ('20 minutes'); '' when it has passed."""
    if value is None:
        return ""
    now = timezone.now()
    return _span(now, value) if value > now else ""


@register.filter
def ago(value: datetime | None) -> str:
    if value is None:
        return "—"
    seconds = (timezone.now() - value).total_seconds()
    if seconds < 60:
        return "just now"
    return f"{describe_duration(seconds)} ago"


@register.simple_tag
def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "—"
    return _span(start, end)


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
    return [_error(error) for error in field.errors.as_data()]


@register.simple_tag
def form_errors(form: Any) -> list[dict[str, str]]:
    return [_error(error) for error in form.non_field_errors().as_data()]


def _error(error: Any) -> dict[str, str]:
    message = " ".join(str(m) for m in error.messages)
    code = error.code or ""
    rule = code if _RULE.match(code) else ""
    prefix = _RULE_PREFIX.match(message)
    if prefix:
        rule = rule or prefix.group(1)
        message = message[prefix.end() :]
    # A message that starts with a field's name ('issue_title is required') reads as words.
    message = _FIELD_NAME.sub(lambda m: m.group(0).replace("_", " "), message)
    if message:
        message = message[0].upper() + message[1:]
    return {"message": message, "rule": rule}


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
