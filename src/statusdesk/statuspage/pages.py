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
SEVERITY_IMPACT = {
    "major_outage": "critical",
    "partial_outage": "major",
    "degraded_performance": "minor",
    "operational": "none",
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
    incidents: list[dict[str, Any]]

    @property
    def tone(self) -> str:
        """The day's colour: the worst impact of its incidents; green without any."""
        if self.uptime is None:
            return "none"
        worst = "none"
        order = ["none", "minor", "major", "critical"]
        for incident in self.incidents:
            impact = incident.get("impact", "none")
            if impact in order and order.index(impact) > order.index(worst):
                worst = impact
        return IMPACT_TONE[worst]

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


def component_rows(snapshot: dict[str, Any]) -> list[ComponentRow]:
    uptime = snapshot.get("uptime") or {}
    rows = []
    for c in sorted(
        snapshot.get("components") or [], key=lambda c: (c.get("position", 0), c["name"])
    ):
        history = uptime.get(str(c["id"])) or {}
        days = [
            UptimeDay(
                date.fromisoformat(d["date"]), d.get("uptime"), list(d.get("incidents") or [])
            )
            for d in history.get("days") or []
        ]
        rows.append(
            ComponentRow(
                id=str(c["id"]),
                name=c["name"],
                status=c["status"],
                description=c.get("description") or "",
                days=days,
                uptime=history.get("uptime"),
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


def incident_from_snapshot(data: dict[str, Any]) -> PublicIncident:
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
        workaround=data.get("workaround") or "",
        workaround_url=data.get("workaround_url") or "",
        updates=updates,
        components=[{"id": str(c["id"]), "name": c["name"]} for c in data.get("components") or []],
    )


def status_page_context(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The status page from a snapshot: banner, components with their uptime, active incidents,
    the last 7 days of resolved ones."""
    status = snapshot.get("status") or {
        "indicator": "none",
        "description": "All Systems Operational",
    }
    rows = component_rows(snapshot)
    days = max((len(r.days) for r in rows), default=0)
    return {
        "page": snapshot.get("page") or {},
        "updated_at": moment((snapshot.get("page") or {}).get("updated_at")),
        "indicator": status.get("indicator", "none"),
        "banner_tone": INDICATOR_TONE.get(status.get("indicator", "none"), "ok"),
        "banner_words": description_words(status.get("description", "")),
        "components": rows,
        "uptime_days": days,
        "active": [incident_from_snapshot(i) for i in snapshot.get("incidents") or []],
        "resolved": [incident_from_snapshot(i) for i in snapshot.get("resolved_incidents") or []],
        "legend": [(COMPONENT_TONE[s], words) for s, words in COMPONENT_WORDS.items()],
    }
