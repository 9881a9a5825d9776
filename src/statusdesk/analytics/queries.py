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
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Sum

from statusdesk.analytics.figures import refresh_months_of_another_zone, zone_key
from statusdesk.analytics.models import ComponentFigures, IncidentFigures
from statusdesk.core.time import describe_duration
from statusdesk.incidents.models import Component, Detection, Severity
from statusdesk.postmortems.models import PostmortemTerm, TaxonomyTerm


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


class _Sums:
    """Counts and sums of the kept seconds of a group; a mean counts only the known times."""

    def __init__(self) -> None:
        self.incidents = 0
        self.sums = {"ttd": 0.0, "ttf": 0.0, "ttr": 0.0}
        self.known = {"ttd": 0, "ttf": 0, "ttr": 0}

    def add(self, row: dict[str, Any]) -> None:
        self.incidents += row["n"]
        for name in ("ttd", "ttf", "ttr"):
            self.sums[name] += row[f"{name}_sum"] or 0.0
            self.known[name] += row[f"{name}_n"]

    def means(self) -> dict[str, float | None]:
        return {
            f"m{name}": self.sums[name] / self.known[name] if self.known[name] else None
            for name in ("ttd", "ttf", "ttr")
        }


_SUMS = {
    **{f"{name}_sum": Sum(name) for name in ("ttd", "ttf", "ttr")},
    **{f"{name}_n": Count(name) for name in ("ttd", "ttf", "ttr")},
}


def compute_figures() -> Figures:
    """Three grouped scans of narrow tables: the incidents' figures by (month, severity,
    detection), their per-component copies by component, the postmortems' terms by term."""
    if IncidentFigures.objects.exclude(zone=zone_key()).exists():
        refresh_months_of_another_zone()  # the display zone changed since the rows were kept
    months: dict[str, _Sums] = defaultdict(_Sums)
    severities: Counter[str] = Counter()
    detections: Counter[str] = Counter()
    groups = IncidentFigures.objects.values("month", "severity", "detection")
    for row in groups.annotate(n=Count("pk"), **_SUMS).order_by():
        months[row["month"]].add(row)
        severities[row["severity"]] += row["n"]
        detections[row["detection"]] += row["n"]
    per_month = [
        _worded({"month": month, "incidents": months[month].incidents, **months[month].means()})
        for month in sorted(months)
    ]
    names = dict(Component.objects.values_list("pk", "name"))
    per_component = []
    for row in (
        ComponentFigures.objects.values("component_id").annotate(n=Count("pk"), **_SUMS).order_by()
    ):
        sums = _Sums()
        sums.add(row)
        per_component.append(
            _worded(
                {
                    "component_id": row["component_id"],
                    "component": names.get(row["component_id"], ""),
                    "incidents": sums.incidents,
                    **sums.means(),
                }
            )
        )
    per_component.sort(key=lambda row: (row["component"], row["component_id"]))
    severity_labels = dict(Severity.choices)
    by_severity = [
        {
            "severity": severity or "unpublished",
            "label": severity_labels.get(severity, "Not published"),
            "incidents": n,
        }
        for severity, n in sorted(severities.items(), key=lambda item: (-item[1], item[0]))
    ]
    detection_labels = dict(Detection.choices)
    by_detection = [
        {
            "detection": detection,
            "label": detection_labels.get(detection, detection),
            "incidents": n,
        }
        for detection, n in sorted(detections.items(), key=lambda item: (-item[1], item[0]))
    ]
    term_names = dict(TaxonomyTerm.objects.values_list("pk", "name"))
    every: Counter[str] = Counter()
    principal: Counter[str] = Counter()
    parts = PostmortemTerm.objects.values("term_id", "position").annotate(n=Count("pk")).order_by()
    for row in parts:
        name = term_names.get(row["term_id"], "")
        every[name] += row["n"]
        if row["position"] == 0:
            principal[name] += row["n"]
    by_term = [
        {"term": term, "incidents": n}
        for term, n in sorted(every.items(), key=lambda item: (-item[1], item[0]))
    ]
    by_principal = [
        {"term": term, "incidents": n}
        for term, n in sorted(principal.items(), key=lambda item: (-item[1], item[0]))
    ]
    return Figures(
        incidents=sum(severities.values()),
        per_month=per_month,
        per_component=per_component,
        by_severity=by_severity,
        by_detection=by_detection,
        by_term=by_term,
        by_principal=by_principal,
    )
