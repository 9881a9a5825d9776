"""Incident analytics (read only): MTTD, MTTF and MTTR per month and per component, and incidents
by severity, detection and taxonomy term. Every figure is aggregated by the database: a few
grouped reads over the narrow per-incident table (models.IncidentFigures, kept by the reaction to
the incidents' and postmortems' events) and the postmortems' terms.

The times follow R15: TTD = reported − the causing merge request's date, TTF = resolved −
reported, TTR = resolved − the merge date. An incident adds to a mean only when both its moments
are known (TTD and TTR need the postmortem's `cause_merged_at`; TTF needs the resolution). Months
are those of the report in the display zone, with the zone's offset on that date.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Avg, Count, Max

from statusdesk.analytics.figures import refresh_months_of_another_zone, zone_key
from statusdesk.analytics.models import IncidentFigures
from statusdesk.core.time import describe_duration
from statusdesk.incidents.models import AffectedComponent, Component, Detection, Severity
from statusdesk.postmortems.models import PostmortemTerm


def _times(prefix: str = "") -> dict[str, Avg]:
    """The means of the kept seconds (an incident adds to a mean only when the time is known)."""
    return {f"m{name}": Avg(f"{prefix}{name}") for name in ("ttd", "ttf", "ttr")}


def _worded(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for name in ("mttd", "mttf", "mttr"):
        value = row.get(name)
        seconds = None if value is None else max(0, round(float(value)))
        out[name] = {
            "seconds": seconds,
            "worded": describe_duration(seconds) if seconds is not None else None,
        }
    return out


@dataclass(frozen=True)
class Figures:
    incidents: int
    per_month: list[dict[str, Any]]
    per_component: list[dict[str, Any]]
    by_severity: list[dict[str, Any]]
    by_detection: list[dict[str, Any]]
    by_term: list[dict[str, Any]]
    by_principal: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "incidents": self.incidents,
            "per_month": self.per_month,
            "per_component": self.per_component,
            "by_severity": self.by_severity,
            "by_detection": self.by_detection,
            "by_term": self.by_term,
            "by_principal": self.by_principal,
        }


def change_mark() -> str:
    """What every figure depends on, read with one aggregate: every change of an incident or its
    postmortem is an event whose reaction rewrites the incident's figures row (moving
    `refreshed_at`, indexed); components are few; the display zone. Equal marks, equal figures."""
    from statusdesk.incidents.models import Component

    parts = [
        IncidentFigures.objects.aggregate(n=Count("pk"), a=Max("refreshed_at")),
        list(Component.objects.order_by("pk").values_list("pk", "name")),
        zone_key(),
    ]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def figures() -> Figures:
    """The figures, computed once per change of the data (kept in Django's cache by its mark)."""
    key = f"analytics:figures:{change_mark()}"
    found = cache.get(key)
    if isinstance(found, Figures):
        return found
    computed = compute_figures()
    cache.set(key, computed, timeout=24 * 3600)
    return computed


def _per_component() -> list[tuple[int, int, float | None, float | None, float | None]]:
    """One grouped read over two narrow tables (the ORM would join the incidents in between)."""
    affected = AffectedComponent._meta.db_table
    kept = IncidentFigures._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.component_id, COUNT(*), AVG(f.ttd), AVG(f.ttf), AVG(f.ttr) "  # noqa: S608
            f'FROM "{affected}" a INNER JOIN "{kept}" f ON f.incident_id = a.incident_id '
            "GROUP BY a.component_id"
        )
        return list(cursor.fetchall())


def compute_figures() -> Figures:
    if IncidentFigures.objects.exclude(zone=zone_key()).exists():
        refresh_months_of_another_zone()  # the display zone changed since the rows were kept
    base = IncidentFigures.objects.all()
    per_month = [
        _worded({"month": row["month"], "incidents": row["n"], **row})
        for row in base.values("month").annotate(n=Count("pk"), **_times()).order_by("month")
    ]
    for row in per_month:
        row.pop("n", None)
    names = dict(Component.objects.values_list("pk", "name"))
    per_component = sorted(
        (
            _worded(
                {
                    "component_id": component_id,
                    "component": names.get(component_id, ""),
                    "incidents": count,
                    "mttd": mttd,
                    "mttf": mttf,
                    "mttr": mttr,
                }
            )
            for component_id, count, mttd, mttf, mttr in _per_component()
        ),
        key=lambda row: (row["component"], row["component_id"]),
    )
    severity_labels = dict(Severity.choices)
    by_severity = [
        {
            "severity": row["severity"] or "unpublished",
            "label": severity_labels.get(row["severity"], "Not published"),
            "incidents": row["n"],
        }
        for row in base.values("severity").annotate(n=Count("pk")).order_by("-n", "severity")
    ]
    detection_labels = dict(Detection.choices)
    by_detection = [
        {
            "detection": row["detection"],
            "label": detection_labels.get(row["detection"], row["detection"]),
            "incidents": row["n"],
        }
        for row in base.values("detection").annotate(n=Count("pk")).order_by("-n", "detection")
    ]
    terms = PostmortemTerm.objects.values("term__name")
    by_term = [
        {"term": row["term__name"], "incidents": row["n"]}
        for row in terms.annotate(n=Count("postmortem_id")).order_by("-n", "term__name")
    ]
    by_principal = [
        {"term": row["term__name"], "incidents": row["n"]}
        for row in terms.filter(position=0)
        .annotate(n=Count("postmortem_id"))
        .order_by("-n", "term__name")
    ]
    return Figures(
        incidents=base.count(),
        per_month=per_month,
        per_component=per_component,
        by_severity=by_severity,
        by_detection=by_detection,
        by_term=by_term,
        by_principal=by_principal,
    )
