"""The per-incident figures analytics groups (models.IncidentFigures), computed once per change
of an incident instead of at every reading.

`figure_rows` is the one computation, from an incident's report, resolution and postmortem; the
reaction (analytics/reactions.py) runs it for one incident after each of its events, the
migration for every incident of before, and `refresh_figures` for any list of incidents (the
benchmark, a changed display zone).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


def figure_rows(
    incident_model: Any, figures_model: Any, ids: Iterable[int], *, zone: Any = None
) -> Iterator[Any]:
    """Unsaved figures rows of these incidents (R15: TTD = reported − the causing merge request's
    date, TTF = resolved − reported, TTR = resolved − the merge date). Model classes are passed
    in, so the migration runs it with its historical models."""
    zone = zone or settings.DISPLAY_ZONE
    key = zone_key(zone)
    now = timezone.now()
    rows = incident_model.objects.filter(pk__in=list(ids)).values_list(
        "pk",
        "severity",
        "resolved_at",
        "report__reported_at",
        "report__detection",
        "postmortem__cause_merged_at",
    )
    for pk, severity, resolved, reported, detection, merged in rows:
        yield figures_model(
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


def write_figures(
    incident_model: Any, figures_model: Any, ids: Iterable[int], *, zone: Any = None
) -> int:
    """Insert or update the figures of these incidents (one statement a batch); forget those of
    incidents that no longer exist."""
    ids = list(ids)
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = list(figure_rows(incident_model, figures_model, chunk, zone=zone))
        figures_model.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["incident"], update_fields=FIELDS
        )
        found = {row.incident_id for row in rows}
        gone = [pk for pk in chunk if pk not in found]
        if gone:
            figures_model.objects.filter(incident_id__in=gone).delete()
        written += len(rows)
    return written


def refresh_figures(ids: Iterable[int]) -> int:
    from statusdesk.analytics.models import IncidentFigures
    from statusdesk.incidents.models import Incident

    return write_figures(Incident, IncidentFigures, ids)


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
