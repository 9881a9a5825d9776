"""An incident's history as people read it, from the event log.

Events carry ids, not names (a renamed component or a developer who changed address keeps their
history), so the timeline looks the names up when it is shown: once per kind of thing, for every
event at once, whatever the length of the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from statusdesk.accounts.models import User
from statusdesk.core.events import kind_label, subject_key
from statusdesk.core.models import Event
from statusdesk.incidents.events import ComponentEvent, IncidentEvent
from statusdesk.incidents.models import (
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Issue,
    Medium,
    Severity,
)

# How each kind is shown: neutral facts, steps forward, the publication, updates, resolution.
TONES: dict[str, str] = {
    IncidentEvent.REPORT_FILED: "neutral",
    IncidentEvent.REPORT_DISMISSED: "neutral",
    IncidentEvent.INCIDENT_CONFIRMED: "accent",
    IncidentEvent.ISSUE_OPENED: "neutral",
    IncidentEvent.DEVELOPER_ASSIGNED: "accent",
    IncidentEvent.INCIDENT_PUBLISHED: "warn",
    IncidentEvent.INCIDENT_UPDATED: "info",
    ComponentEvent.STATUS_CHANGED: "muted",
    IncidentEvent.INCIDENT_RESOLVED: "ok",
}


@dataclass
class TimelineEntry:
    event: Event
    label: str
    detail: str
    tone: str

    @property
    def at(self) -> datetime:
        return self.event.at

    @property
    def kind(self) -> str:
        return self.event.kind

    @property
    def actor(self) -> User | None:
        return self.event.actor

    @property
    def data(self) -> dict[str, Any]:
        return dict(self.event.data or {})


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


@dataclass
class _Names:
    """The things the events name by id, each kind looked up once."""

    users: dict[int, User] = field(default_factory=dict)
    components: dict[int, Component] = field(default_factory=dict)
    updates: dict[int, IncidentUpdate] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)

    @classmethod
    def of(cls, events: Iterable[Event]) -> _Names:
        users: set[int] = set()
        components: set[int] = set()
        updates: set[int] = set()
        issues: set[int] = set()
        for event in events:
            data = event.data or {}
            for key in ("developer_id", "previous_developer_id"):
                if isinstance(data.get(key), int):
                    users.add(data[key])
            if isinstance(data.get("component_id"), int):
                components.add(data["component_id"])
            components.update(c for c in data.get("component_ids") or [] if isinstance(c, int))
            for key in data.get("component_statuses") or {}:
                if str(key).isdigit():
                    components.add(int(key))
            if isinstance(data.get("update_id"), int):
                updates.add(data["update_id"])
            if isinstance(data.get("issue_id"), int):
                issues.add(data["issue_id"])
        return cls(
            users=User.objects.in_bulk(users),
            components=Component.objects.in_bulk(components),
            updates=IncidentUpdate.objects.in_bulk(updates),
            issues=Issue.objects.in_bulk(issues),
        )

    def user(self, pk: Any) -> str:
        person = self.users.get(pk) if isinstance(pk, int) else None
        return person.email if person else "a former user"

    def component(self, pk: Any) -> str:
        try:
            found = self.components.get(int(pk))
        except (TypeError, ValueError):
            found = None
        return found.name if found else f"component {pk} (removed)"

    def message(self, pk: Any) -> str:
        update = self.updates.get(pk) if isinstance(pk, int) else None
        return update.message if update else ""


def _detail(event: Event, names: _Names, incident: Incident | None) -> str:
    """One line saying what the event changed."""
    data: dict[str, Any] = event.data or {}
    kind = event.kind
    if kind == IncidentEvent.REPORT_FILED:
        users = data.get("users_affected")
        could = " (could affect two or more)" if data.get("could_affect_two_or_more") else ""
        return (
            f"Reported by {data.get('reporter', '?')} via "
            f"{_label(Medium, data.get('medium')).lower()}, "
            f"{data.get('detection', '?')} detection, {users} "
            f"user{'' if users == 1 else 's'} affected{could}"
        )
    if kind == IncidentEvent.REPORT_DISMISSED:
        return f"Reason: {data.get('reason', '')}"
    if kind == IncidentEvent.INCIDENT_CONFIRMED:
        return f"Incident manager: {event.actor.email if event.actor else '?'}"
    if kind == IncidentEvent.ISSUE_OPENED:
        issue = names.issues.get(data.get("issue_id"))  # type: ignore[arg-type]
        return issue.title if issue else ""
    if kind == IncidentEvent.DEVELOPER_ASSIGNED:
        text = f"Accountable developer: {names.user(data.get('developer_id'))}"
        previous = data.get("previous_developer_id")
        return f"{text} (replaces {names.user(previous)})" if previous else text
    if kind == IncidentEvent.INCIDENT_PUBLISHED:
        components = ", ".join(names.component(pk) for pk in data.get("component_ids") or [])
        name = incident.name if incident is not None else ""
        return f"“{name}” · {_label(Severity, data.get('severity'))} · {components}"
    if kind == IncidentEvent.INCIDENT_UPDATED:
        message = names.message(data.get("update_id"))
        return f"{_label(IncidentStatus, data.get('status'))}: {message}".strip()
    if kind == ComponentEvent.STATUS_CHANGED:
        return (
            f"{names.component(data.get('component_id'))}: "
            f"{_label(ComponentStatus, data.get('previous')).lower()} → "
            f"{_label(ComponentStatus, data.get('status')).lower()}"
        )
    if kind == IncidentEvent.INCIDENT_RESOLVED:
        return names.message(data.get("update_id"))
    return ""


def describe(events: Iterable[Event], incident: Incident | None = None) -> list[TimelineEntry]:
    events = list(events)
    names = _Names.of(events)
    return [
        TimelineEntry(
            event=event,
            label=kind_label(event.kind),
            detail=_detail(event, names, incident),
            tone=TONES.get(event.kind, "neutral"),
        )
        for event in events
    ]


def incident_events(incident: Incident) -> QuerySet[Event]:
    """The events of the incident's history (its report's too), oldest first.

    Every step happens between the report and the resolution, so the events lie in that span:
    said to the database, it bounds what a planner may scan along the index on `at` (PostgreSQL
    walks it when it expects many events; without the span that walk crosses the whole log)."""
    events = Event.objects.about(subject_key(incident), f"report:{incident.report_id}").filter(
        at__gte=incident.report.reported_at
    )
    if incident.resolved_at is not None:
        events = events.filter(at__lte=incident.resolved_at)
    return events.select_related("actor").order_by("at", "id")


def incident_timeline(incident: Incident, *, latest: int | None = None) -> list[TimelineEntry]:
    """The incident's history, oldest first: from the report to the last step, or only the
    `latest` entries of it. The names it shows are looked up once for all entries."""
    events = incident_events(incident)
    if latest is None:
        return describe(events, incident)
    newest_first = list(events.order_by("-at", "-id")[:latest])
    return describe(reversed(newest_first), incident)
