"""Incident analytics (read only): MTTD, MTTF and MTTR per month and per component, and incidents
by severity, detection and taxonomy term. Every figure is aggregated by the database (a handful
of grouped queries, whatever the number of incidents).

The times follow R15: TTD = reported − the causing merge request's date, TTF = resolved −
reported, TTR = resolved − the merge date. An incident adds to a mean only when both its moments
are known (TTD and TTR need the postmortem's `cause_merged_at`; TTF needs the resolution). Months
are those of the report, in the display zone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Avg, Count, F, FloatField, Func, Max, QuerySet
from django.db.models.expressions import Combinable
from django.utils import timezone

from statusdesk.core.time import describe_duration
from statusdesk.incidents.models import AffectedComponent, Detection, Incident, Severity
from statusdesk.postmortems.models import PostmortemTerm


class Seconds(Func):
    """end − start in seconds, as a float (NULL when either is NULL)."""

    output_field = FloatField()
    arity = 2

    def __init__(self, end: Combinable | str, start: Combinable | str) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::float",
            arg_joiner=" - ",
            **extra,
        )


def _zone_offset_seconds() -> int:
    offset = timezone.now().astimezone(settings.DISPLAY_ZONE).utcoffset() or timedelta(0)
    return int(offset.total_seconds())


class Month(Func):
    """'YYYY-MM' of a time in the display zone (its offset now: months of fixed-offset zones,
    UTC-5 by default, are exact)."""

    def __init__(self, expression: Combinable | str) -> None:
        from django.db.models import CharField

        super().__init__(expression, output_field=CharField())
        self.offset = _zone_offset_seconds()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template=f"strftime('%%Y-%%m', %(expressions)s, '{self.offset:+d} seconds')",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="to_char((%(expressions)s AT TIME ZONE 'UTC') + "
            f"interval '{self.offset:d} seconds', 'YYYY-MM')",
            **extra,
        )


def _times(prefix: str = "") -> dict[str, Avg]:
    reported = F(f"{prefix}report__reported_at")
    resolved = F(f"{prefix}resolved_at")
    merged = F(f"{prefix}postmortem__cause_merged_at")
    return {
        "mttd": Avg(Seconds(reported, merged)),
        "mttf": Avg(Seconds(resolved, reported)),
        "mttr": Avg(Seconds(resolved, merged)),
    }


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


def incidents() -> QuerySet[Incident]:
    """The incidents analytics count: every confirmed incident."""
    return Incident.objects.all()


def change_mark() -> str:
    """What every figure depends on, read with a few aggregates: any step of an incident moves
    `last_update_at` or adds one, any save of a postmortem moves its `updated_at` (its terms and
    merge date change only with it), components are few. Equal marks, equal figures."""
    from statusdesk.incidents.models import Component
    from statusdesk.postmortems.models import Postmortem

    parts = [
        Incident.objects.aggregate(n=Count("pk"), a=Max("last_update_at"), b=Max("confirmed_at")),
        Postmortem.objects.aggregate(n=Count("pk"), a=Max("updated_at")),
        list(Component.objects.order_by("pk").values_list("pk", "name")),
        _zone_offset_seconds(),
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


def compute_figures() -> Figures:
    base = incidents()
    per_month = [
        _worded({"month": row["month"], "incidents": row["n"], **row})
        for row in base.annotate(month=Month("report__reported_at"))
        .values("month")
        .annotate(n=Count("pk"), **_times())
        .order_by("month")
    ]
    for row in per_month:
        row.pop("n", None)
    per_component = [
        _worded(
            {
                "component_id": row["component_id"],
                "component": row["component__name"],
                "incidents": row["n"],
                **{k: row[k] for k in ("mttd", "mttf", "mttr")},
            }
        )
        for row in AffectedComponent.objects.values("component_id", "component__name")
        .annotate(n=Count("incident_id", distinct=True), **_times("incident__"))
        .order_by("component__name")
    ]
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
            "detection": row["report__detection"],
            "label": detection_labels.get(row["report__detection"], row["report__detection"]),
            "incidents": row["n"],
        }
        for row in base.values("report__detection").annotate(n=Count("pk")).order_by("-n")
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
