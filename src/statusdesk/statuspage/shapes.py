"""statusdesk's data in Statuspage's public API v2 shapes (the mapping, in one place).

README "Statuspage-compatible API" lists it: ids as strings, times in ISO 8601 with the display
zone's offset, severity → impact, the overall indicator and its description.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

# R5's severity → Statuspage's incident impact (as Statuspage derives impact from the components:
# major outage → critical, partial outage → major, degraded performance → minor).
IMPACT_OF_SEVERITY: dict[str, str] = {
    "major_outage": "critical",
    "partial_outage": "major",
    "degraded_performance": "minor",
    "operational": "none",
}
# A component's status → the indicator it gives the page on its own.
INDICATOR_OF_STATUS: dict[str, str] = {
    "operational": "none",
    "under_maintenance": "maintenance",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
INDICATORS = ["none", "maintenance", "minor", "major", "critical"]  # least to most serious
DESCRIPTIONS: dict[str, str] = {
    "none": "All Systems Operational",
    "maintenance": "Service Under Maintenance",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}
DEGRADED_SOME = "Partially Degraded Service"
DEGRADED_ALL = "Degraded System Service"


def iso(value: datetime | None, zone: tzinfo) -> str | None:
    """`2026-11-28T14:51:10.123-05:00`: milliseconds and the display zone's offset."""
    if value is None:
        return None
    return value.astimezone(zone).isoformat(timespec="milliseconds")


def zone_name(zone: tzinfo) -> str:
    """The page's `time_zone`, as Statuspage names it (an IANA name): a zone's own name, or
    `Etc/GMT+5` for a fixed UTC-5 (IANA's Etc names invert the sign); a fixed offset with
    minutes has no IANA name and is written `UTC+5:30`."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    offset = zone.utcoffset(None) or timedelta(0)
    if offset == timedelta(0) or zone is UTC:
        return "Etc/UTC"
    minutes = int(offset.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"
    return str(zone.tzname(None))


def page_id(public_url: str) -> str:
    """A stable 12-character id (Statuspage's form) derived from the page's public address."""
    digest = int.from_bytes(hashlib.sha256(public_url.encode()).digest()[:10], "big")
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    chars = []
    for _ in range(12):
        digest, rest = divmod(digest, 36)
        chars.append(alphabet[rest])
    return "".join(chars)


def indicator(component_statuses: Iterable[str], open_impacts: Iterable[str]) -> dict[str, str]:
    """`status.indicator` and its description: the most serious of what the components show and
    the impacts of the unresolved incidents; described by the components when they explain it."""
    statuses = list(component_statuses)
    impacts = list(open_impacts)
    candidates = [INDICATOR_OF_STATUS.get(s, "none") for s in statuses] + [
        i if i in INDICATORS else "none" for i in impacts
    ]
    level = max(candidates, key=INDICATORS.index, default="none")
    description = DESCRIPTIONS[level]
    if level == "minor" and "degraded_performance" in statuses:
        degraded = [s for s in statuses if s != "operational"]
        everyone = len(degraded) == len(statuses) and all(
            s == "degraded_performance" for s in statuses
        )
        description = DEGRADED_ALL if everyone else DEGRADED_SOME
    return {"indicator": level, "description": description}


def component_object(
    *,
    pk: int,
    name: str,
    status: str,
    description: str,
    position: int,
    created_at: datetime,
    updated_at: datetime,
    page: str,
    zone: tzinfo,
) -> dict[str, Any]:
    return {
        "id": str(pk),
        "name": name,
        "status": status,
        "created_at": iso(created_at, zone),
        "updated_at": iso(updated_at, zone),
        "position": position,
        "description": description or None,
        "showcase": True,
        "start_date": None,
        "group_id": None,
        "page_id": page,
        "group": False,
        "only_show_if_degraded": False,
    }


def affected_component(code: str, name: str, old: str, new: str) -> dict[str, str]:
    return {"code": code, "name": name, "old_status": old, "new_status": new}


def update_object(
    *,
    pk: int,
    incident_pk: int,
    status: str,
    body: str,
    at: datetime,
    notify: bool,
    affected: list[dict[str, str]] | None,
    zone: tzinfo,
) -> dict[str, Any]:
    when = iso(at, zone)
    return {
        "id": str(pk),
        "status": status,
        "body": body,
        "incident_id": str(incident_pk),
        "created_at": when,
        "updated_at": when,
        "display_at": when,
        "affected_components": affected,
        "deliver_notifications": notify,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_object(
    *,
    pk: int,
    name: str,
    status: str,
    published_at: datetime,
    updated_at: datetime,
    monitoring_at: datetime | None,
    resolved_at: datetime | None,
    impact: str,
    shortlink: str,
    page: str,
    updates: list[dict[str, Any]],
    components: list[dict[str, Any]],
    zone: tzinfo,
) -> dict[str, Any]:
    return {
        "id": str(pk),
        "name": name,
        "status": status,
        "created_at": iso(published_at, zone),
        "updated_at": iso(updated_at, zone),
        "monitoring_at": iso(monitoring_at, zone),
        "resolved_at": iso(resolved_at, zone),
        "impact": impact,
        "shortlink": shortlink,
        "started_at": iso(published_at, zone),
        "page_id": page,
        "incident_updates": updates,
        "components": components,
    }
