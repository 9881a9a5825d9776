"""The public pages' words and colours: what a status, an impact or an uptime day looks like.

One place for the public vocabulary (translated: English and Spanish) and for the tone (colour
family) each status takes, following Statuspage's conventions: operational green, under
maintenance blue, degraded performance yellow, partial outage orange, major outage red. A status
is never told by colour alone: each one also has its words and an icon of its own shape (the
stylesheet draws the icon from the tone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from statusdesk.statuspage.snapshot import IncidentDetails, Snapshot

# Component status → tone.
COMPONENT_TONE = {
    "operational": "ok",
    "under_maintenance": "maintenance",
    "degraded_performance": "degraded",
    "partial_outage": "partial",
    "major_outage": "major",
}
COMPONENT_WORDS: dict[str, Promise] = {
    "operational": _("Operational"),
    "under_maintenance": _("Under maintenance"),
    "degraded_performance": _("Degraded performance"),
    "partial_outage": _("Partial outage"),
    "major_outage": _("Major outage"),
}

# The page's overall indicator → tone; its description (Statuspage's texts) translated.
INDICATOR_TONE = {
    "none": "ok",
    "minor": "degraded",
    "major": "partial",
    "critical": "major",
    "maintenance": "maintenance",
}
DESCRIPTIONS: dict[str, Promise] = {
    "All Systems Operational": _("All Systems Operational"),
    "Minor Service Outage": _("Minor Service Outage"),
    "Partial System Outage": _("Partial System Outage"),
    "Major System Outage": _("Major System Outage"),
    "Partially Degraded Service": _("Partially Degraded Service"),
    "Degraded System Service": _("Degraded System Service"),
    "Service Under Maintenance": _("Service Under Maintenance"),
}

# Incident impact (Statuspage) → tone and words.
IMPACT_TONE = {"none": "ok", "minor": "degraded", "major": "partial", "critical": "major"}
# Said to the public as the severity the incident manager chose (R5), which the impact mirrors.
IMPACT_WORDS: dict[str, Promise] = {
    "none": pgettext_lazy("impact", "No impact"),
    "minor": _("Degraded performance"),
    "major": _("Partial outage"),
    "critical": _("Major outage"),
}

INCIDENT_WORDS: dict[str, Promise] = {
    "investigating": _("Investigating"),
    "identified": _("Identified"),
    "monitoring": _("Monitoring"),
    "resolved": _("Resolved"),
}


def component_words(status: str) -> str:
    return str(COMPONENT_WORDS.get(status, status))


def incident_words(status: str) -> str:
    return str(INCIDENT_WORDS.get(status, status))


def description_words(description: str) -> str:
    return str(DESCRIPTIONS.get(description, description))


def moment(value: Any) -> datetime | None:
    """A snapshot time (an ISO string) or a datetime, as an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return parse_datetime(str(value))


@dataclass
class UptimeDay:
    day: date
    uptime: float | None  # None: no data (before the component existed)
    worst: str | None  # the most serious status of the component that day
    incidents: list[dict[str, Any]]

    @property
    def tone(self) -> str:
        """The day's colour: the most serious status the component had that day."""
        if self.uptime is None:
            return "none"
        return COMPONENT_TONE.get(self.worst or "operational", "ok")

    @property
    def uptime_text(self) -> str:
        return _percent(self.uptime)


def _percent(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


@dataclass
class ComponentRow:
    id: str
    name: str
    status: str
    description: str
    days: list[UptimeDay] = field(default_factory=list)
    uptime: float | None = None

    @property
    def tone(self) -> str:
        return COMPONENT_TONE.get(self.status, "ok")

    @property
    def words(self) -> str:
        return component_words(self.status)

    @property
    def uptime_text(self) -> str:
        return _percent(self.uptime)


def component_rows(snapshot: Snapshot) -> list[ComponentRow]:
    """Every component in its order on the page, with its uptime days (oldest first)."""
    rows = []
    for c in snapshot.components:
        key = str(c["id"])
        cells = snapshot.uptime.get(key, [])
        details = snapshot.component_details.get(key)
        days = [
            UptimeDay(
                day=cell.day,
                uptime=cell.uptime,
                worst=cell.worst,
                incidents=[
                    {"id": i.id, "name": i.name, "impact": i.impact} for i in cell.incidents
                ],
            )
            for cell in cells
        ]
        rows.append(
            ComponentRow(
                id=key,
                name=c["name"],
                status=c["status"],
                description=c.get("description") or "",
                days=days,
                uptime=details.uptime if details else None,
            )
        )
    return rows


@dataclass
class PublicUpdate:
    status: str
    body: str
    at: datetime | None
    components: list[dict[str, str]]

    @property
    def words(self) -> str:
        return incident_words(self.status)


@dataclass
class PublicIncident:
    """An incident as the public sees it, from the snapshot or from a published row."""

    id: str
    name: str
    status: str
    impact: str
    started_at: datetime | None
    resolved_at: datetime | None
    workaround: str
    workaround_url: str
    updates: list[PublicUpdate]
    components: list[dict[str, str]]

    @property
    def words(self) -> str:
        return incident_words(self.status)

    @property
    def impact_tone(self) -> str:
        return IMPACT_TONE.get(self.impact, "ok")

    @property
    def impact_words(self) -> str:
        return str(IMPACT_WORDS.get(self.impact, self.impact))

    @property
    def is_resolved(self) -> bool:
        return self.status == "resolved"


def incident_from_snapshot(data: dict[str, Any], details: IncidentDetails | None) -> PublicIncident:
    """A Statuspage incident object of the snapshot, with the details the HTML shows besides."""
    updates = [
        PublicUpdate(
            status=u["status"],
            body=u.get("body") or "",
            at=moment(u.get("display_at") or u.get("created_at")),
            components=[
                {
                    "name": a.get("name", ""),
                    "status": a.get("new_status", ""),
                    "words": component_words(a.get("new_status", "")),
                    "tone": COMPONENT_TONE.get(a.get("new_status", ""), "ok"),
                }
                for a in (u.get("affected_components") or [])
            ],
        )
        for u in data.get("incident_updates") or []
    ]
    return PublicIncident(
        id=str(data["id"]),
        name=data["name"],
        status=data["status"],
        impact=data.get("impact") or "none",
        started_at=moment(data.get("started_at") or data.get("created_at")),
        resolved_at=moment(data.get("resolved_at")),
        workaround=details.workaround if details else "",
        workaround_url=details.workaround_url if details else "",
        updates=updates,
        components=[
            {
                "id": str(c["id"]),
                "name": c["name"],
                "status": c["status"],
                "words": component_words(c["status"]),
                "tone": COMPONENT_TONE.get(c["status"], "ok"),
            }
            for c in data.get("components") or []
        ],
    )


def status_page_context(snapshot: Snapshot) -> dict[str, Any]:
    """The status page from a snapshot: banner, components with their uptime, active incidents,
    the last 7 days of resolved ones."""
    status = snapshot.status
    rows = component_rows(snapshot)
    days = max((len(r.days) for r in rows), default=0)
    return {
        "updated_at": moment(snapshot.page.get("updated_at")),
        "indicator": status.get("indicator", "none"),
        "banner_tone": INDICATOR_TONE.get(status.get("indicator", "none"), "ok"),
        "banner_words": description_words(status.get("description", "")),
        "components": rows,
        "uptime_days": days,
        "active": [
            incident_from_snapshot(i, snapshot.details.get(str(i["id"])))
            for i in snapshot.unresolved
        ],
        "resolved": [
            incident_from_snapshot(i, snapshot.details.get(str(i["id"])))
            for i in snapshot.recent_resolved
        ],
        "legend": [(COMPONENT_TONE[s], words) for s, words in COMPONENT_WORDS.items()],
    }


def snapshot_incident(snapshot: Snapshot, pk: int) -> dict[str, Any] | None:
    """One incident of the snapshot's lists, or None when it is older than they reach."""
    for incident in (*snapshot.unresolved, *snapshot.recent_resolved, *snapshot.incidents):
        if str(incident["id"]) == str(pk):
            return incident
    return None
