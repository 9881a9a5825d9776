"""INTERIM: the status page's data, read from the database in the shape the snapshot will have.

The public-data part of the status page builds the real snapshot (`statuspage/snapshot.py`: once
per change, cached, with uptime read from the event log). Until it lands this module builds the
same Statuspage-v2-shaped dict straight from the published rows, so that the pages can be written
and tested against their final shape. Delete it once the snapshot is merged.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from statusdesk.core.models import Event
from statusdesk.core.time import to_display
from statusdesk.incidents.events import ComponentEvent
from statusdesk.incidents.models import Component, ComponentStatus, Incident
from statusdesk.statuspage.published import IMPACT

UPTIME_DAYS = 90
# Statuspage's weights: a major outage is downtime, a partial outage counts for 30 %.
_DOWN = {ComponentStatus.MAJOR_OUTAGE: 1.0, ComponentStatus.PARTIAL_OUTAGE: 0.3}
_ORDER = [
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
]
_INDICATOR = {
    "operational": ("none", "All Systems Operational"),
    "under_maintenance": ("maintenance", "Service Under Maintenance"),
    "degraded_performance": ("minor", "Partially Degraded Service"),
    "partial_outage": ("major", "Partial System Outage"),
    "major_outage": ("critical", "Major System Outage"),
}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _component(c: Component) -> dict[str, Any]:
    return {
        "id": str(c.pk),
        "name": c.name,
        "status": c.status,
        "description": c.description or None,
        "position": c.position,
        "updated_at": _iso(c.status_changed_at),
    }


def _incident(incident: Incident) -> dict[str, Any]:
    names = {a.component_id: a.component.name for a in incident.affected.all()}
    updates = sorted(incident.updates.all(), key=lambda u: (u.at, u.pk), reverse=True)
    return {
        "id": str(incident.pk),
        "name": incident.name,
        "status": incident.status,
        "impact": IMPACT.get(incident.severity, "none"),  # type: ignore[call-overload]
        "created_at": _iso(incident.published_at),
        "started_at": _iso(incident.published_at),
        "updated_at": _iso(incident.last_update_at or incident.published_at),
        "resolved_at": _iso(incident.resolved_at),
        "workaround": incident.workaround,
        "workaround_url": incident.workaround_url,
        "incident_updates": [
            {
                "id": str(u.pk),
                "status": u.status,
                "body": u.message,
                "incident_id": str(incident.pk),
                "created_at": _iso(u.at),
                "display_at": _iso(u.at),
                "affected_components": [
                    {"code": cid, "name": names.get(int(cid), ""), "new_status": status}
                    for cid, status in (u.component_statuses or {}).items()
                ]
                or None,
            }
            for u in updates
        ],
        "components": [_component(a.component) for a in incident.affected.all()],
    }


def _uptime(
    components: list[Component], incidents: list[Incident], today: date
) -> dict[str, dict[str, Any]]:
    now = timezone.now()
    first = today - timedelta(days=UPTIME_DAYS - 1)
    added = {
        int(e.data["component_id"]): to_display(e.at).date()
        for e in Event.objects.filter(kind=ComponentEvent.ADDED).only("data", "at")
    }
    # An incident on a component shows that it existed then, whatever its added event says.
    for incident in incidents:
        if incident.published_at is None:
            continue
        for a in incident.affected.all():
            day = to_display(incident.published_at).date()
            added[a.component_id] = min(added.get(a.component_id, day), day)
    out: dict[str, dict[str, Any]] = {}
    for c in components:
        days: list[dict[str, Any]] = []
        down_total = 0.0
        counted = 0
        for offset in range(UPTIME_DAYS):
            day = first + timedelta(days=offset)
            start = datetime.combine(day, datetime.min.time(), tzinfo=settings.DISPLAY_ZONE)
            end = min(start + timedelta(days=1), now)
            if day < added.get(c.pk, first) or end <= start:
                days.append({"date": day.isoformat(), "uptime": None, "incidents": []})
                continue
            down = 0.0
            seen = []
            for incident in incidents:
                for a in incident.affected.all():
                    if a.component_id != c.pk or incident.published_at is None:
                        continue
                    lo = max(incident.published_at, start)
                    hi = min(incident.resolved_at or now, end)
                    if hi <= lo:
                        continue
                    down += (hi - lo).total_seconds() * _DOWN.get(a.status, 0.0)  # type: ignore[call-overload]
                    seen.append(
                        {
                            "id": str(incident.pk),
                            "name": incident.name,
                            "impact": IMPACT.get(incident.severity, "none"),  # type: ignore[call-overload]
                        }
                    )
            span = (end - start).total_seconds()
            uptime = max(0.0, 100.0 * (1 - down / span))
            down_total += down
            counted += int(span)
            days.append({"date": day.isoformat(), "uptime": round(uptime, 2), "incidents": seen})
        percent = round(100.0 * (1 - down_total / counted), 2) if counted else None
        out[str(c.pk)] = {"days": days, "uptime": percent}
    return out


def status_page_data() -> dict[str, Any]:
    now = timezone.now()
    today = to_display(now).date()
    components = list(Component.objects.all())
    since = now - timedelta(days=UPTIME_DAYS + 1)
    recent = list(
        Incident.objects.filter(published_at__isnull=False)
        .exclude(resolved_at__lt=since)
        .prefetch_related("affected__component", "updates")
        .order_by("-published_at", "-id")
    )
    worst = max((c.status for c in components), key=_ORDER.index, default="operational")
    indicator, description = _INDICATOR[worst]
    week_ago = now - timedelta(days=7)
    return {
        "page": {
            "id": "statusdesk",
            "name": settings.STATUSDESK_PAGE_NAME,
            "updated_at": _iso(now),
        },
        "status": {"indicator": indicator, "description": description},
        "components": [_component(c) for c in components],
        "incidents": [_incident(i) for i in recent if i.resolved_at is None],
        "resolved_incidents": [
            _incident(i) for i in recent if i.resolved_at is not None and i.resolved_at >= week_ago
        ],
        "uptime": _uptime(components, recent, today),
    }
