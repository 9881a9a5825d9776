"""The per-incident figures analytics groups (models.IncidentFigures), computed once per change
of an incident instead of at every reading.

`figure_rows` is the one computation, from an incident's report, resolution and postmortem, and
`write_figures` writes it with its per-component copies; the reaction (analytics/reactions.py)
runs it for one incident after each of its events, the migration for every incident of before,
and `refresh_figures` for any list of incidents (the benchmark, a changed display zone).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

BATCH = 2000
FIELDS = ["month", "zone", "severity", "detection", "ttd", "ttf", "ttr", "refreshed_at"]


def zone_key(zone: Any = None) -> str:
    zone = zone or settings.DISPLAY_ZONE
    return str(getattr(zone, "key", None) or zone)


def month_of(at: datetime, zone: Any = None) -> str:
    """'YYYY-MM' of `at` in the display zone, with the zone's offset on that day (daylight saving
    included): 02:00 UTC on the 1st is still the previous month in UTC-5."""
    return at.astimezone(zone or settings.DISPLAY_ZONE).strftime("%Y-%m")


def _seconds(end: datetime | None, start: datetime | None) -> float | None:
    return None if end is None or start is None else (end - start).total_seconds()


@dataclass(frozen=True)
class Tables:
    """The models the figures are read from and written to: the app's, or a migration's
    historical ones."""

    incident: Any
    affected: Any
    figures: Any
    component_figures: Any


def tables() -> Tables:
    from statusdesk.analytics.models import ComponentFigures, IncidentFigures
    from statusdesk.incidents.models import AffectedComponent, Incident

    return Tables(Incident, AffectedComponent, IncidentFigures, ComponentFigures)


def figure_rows(models: Tables, ids: Iterable[int], *, zone: Any = None) -> Iterator[Any]:
    """Unsaved figures rows of these incidents (R15: TTD = reported − the causing merge request's
    date, TTF = resolved − reported, TTR = resolved − the merge date)."""
    zone = zone or settings.DISPLAY_ZONE
    key = zone_key(zone)
    now = timezone.now()
    rows = models.incident.objects.filter(pk__in=list(ids)).values_list(
        "pk",
        "severity",
        "resolved_at",
        "report__reported_at",
        "report__detection",
        "postmortem__cause_merged_at",
    )
    for pk, severity, resolved, reported, detection, merged in rows:
        yield models.figures(
            incident_id=pk,
            month=month_of(reported, zone),
            zone=key,
            severity=severity or "",
            detection=detection or "",
            ttd=_seconds(reported, merged),
            ttf=_seconds(resolved, reported),
            ttr=_seconds(resolved, merged),
            refreshed_at=now,
        )


def write_figures(models: Tables, ids: Iterable[int], *, zone: Any = None) -> int:
    """Insert or update the figures of these incidents (a few statements a batch) with their
    per-component copies; forget those of incidents that no longer exist."""
    ids = list(ids)
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = list(figure_rows(models, chunk, zone=zone))
        models.figures.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["incident"], update_fields=FIELDS
        )
        by_incident = {row.incident_id: row for row in rows}
        gone = [pk for pk in chunk if pk not in by_incident]
        if gone:
            models.figures.objects.filter(incident_id__in=gone).delete()
        models.component_figures.objects.filter(figures_id__in=chunk).delete()
        affected = models.affected.objects.filter(incident_id__in=list(by_incident))
        models.component_figures.objects.bulk_create(
            models.component_figures(
                figures_id=incident_id,
                component_id=component_id,
                ttd=by_incident[incident_id].ttd,
                ttf=by_incident[incident_id].ttf,
                ttr=by_incident[incident_id].ttr,
            )
            for incident_id, component_id in affected.values_list("incident_id", "component_id")
        )
        written += len(rows)
    return written


def refresh_figures(ids: Iterable[int]) -> int:
    return write_figures(tables(), ids)


def refresh_all_figures(*, only_missing: bool = False) -> int:
    """Every incident's figures (or only those without any), a batch at a time."""
    from statusdesk.analytics.models import IncidentFigures
    from statusdesk.incidents.models import Incident

    incidents = Incident.objects.order_by("pk")
    if only_missing:
        incidents = incidents.exclude(pk__in=IncidentFigures.objects.values("incident_id"))
    return refresh_figures(incidents.values_list("pk", flat=True).iterator())


def refresh_months_of_another_zone() -> int:
    """After a change of the display zone: the months of the rows read in another zone."""
    from statusdesk.analytics.models import IncidentFigures

    stale = IncidentFigures.objects.exclude(zone=zone_key()).values_list("incident_id", flat=True)
    return refresh_figures(stale.iterator())
