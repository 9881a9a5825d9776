"""What the public may read of the incident process: published incidents, their public updates and
the components they affect. Nothing else (no report, no issue, no draft, no person).

An incident is public from its publication (R5) on: `published_at` is set. Confirmed or assigned
incidents that were never published do not exist for the public (404), and of a published one only
the fields of its publication, its status page updates and its affected components are read.

Every read here is bounded: one page of the Incidents Page (R20), or one incident with its updates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page
from django.db.models import Prefetch, QuerySet

from statusdesk.core.paging import IdsFirstPaginator
from statusdesk.incidents.models import (
    AffectedComponent,
    Component,
    Incident,
    IncidentUpdate,
    Severity,
)
from statusdesk.statuspage.shapes import IMPACT_OF_SEVERITY

# The Incidents Page shows this many incidents a page.
INCIDENTS_PAGE_SIZE = 25


def published_incidents() -> QuerySet[Incident]:
    """Every published incident, newest publication first (index `incident_published`)."""
    return Incident.objects.filter(published_at__isnull=False).order_by("-published_at", "-id")


def _with_public_parts(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    return incidents.only(
        "id",
        "status",
        "name",
        "message",
        "workaround",
        "workaround_url",
        "severity",
        "published_at",
        "last_update_at",
        "resolved_at",
    ).prefetch_related(
        Prefetch(
            "affected",
            queryset=AffectedComponent.objects.select_related("component").only(
                "incident_id", "status", "component__id", "component__name", "component__position"
            ),
        )
    )


@dataclass(frozen=True)
class IncidentFilters:
    """The Incidents Page's GET form: one component, one severity, or neither."""

    component: int | None = None
    severity: str | None = None

    @classmethod
    def from_query(cls, query: Any, components: list[Component]) -> IncidentFilters:
        """Values the form could not have sent are ignored (the whole list is shown)."""
        component: int | None = None
        raw = str(query.get("component", "")).strip()
        if raw.isdigit() and int(raw) in {c.pk for c in components}:
            component = int(raw)
        severity = str(query.get("severity", "")).strip()
        return cls(component, severity if severity in Severity.values else None)

    @property
    def active(self) -> bool:
        return self.component is not None or self.severity is not None


def incidents_page(filters: IncidentFilters, number: Any) -> Page:
    """One page of the Incidents Page: published incidents, newest first, filtered."""
    incidents = published_incidents()
    if filters.component is not None:
        incidents = incidents.filter(affected__component_id=filters.component)
    if filters.severity is not None:
        incidents = incidents.filter(severity=filters.severity)
    page = IdsFirstPaginator(incidents, INCIDENTS_PAGE_SIZE).get_page(number)
    # The page's rows again, with the public parts only.
    rows = {
        i.pk: i for i in _with_public_parts(Incident.objects.filter(pk__in=[i.pk for i in page]))
    }
    page.object_list = [rows[i.pk] for i in page if i.pk in rows]
    return page


@dataclass
class Month:
    """Incidents of one month of a page, in the page's order (newest first)."""

    first_day: datetime
    incidents: list[Incident]


def by_month(incidents: list[Incident], to_local: Any) -> list[Month]:
    """Consecutive incidents grouped by the month (in the display zone) of their publication."""
    months: list[Month] = []
    for incident in incidents:
        assert incident.published_at is not None
        local = to_local(incident.published_at)
        first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if not months or months[-1].first_day != first:
            months.append(Month(first, []))
        months[-1].incidents.append(incident)
    return months


def as_public(incident: Incident, updates: list[IncidentUpdate] | None = None) -> Any:
    """An incident of the Incidents Page in the public pages' shape (`pages.PublicIncident`), from
    its published row (its updates are not shown there)."""
    from statusdesk.statuspage.pages import (
        COMPONENT_TONE,
        PublicIncident,
        PublicUpdate,
        component_words,
    )

    affected = list(incident.affected.all())
    names = {str(a.component_id): a.component.name for a in affected}
    return PublicIncident(
        id=str(incident.pk),
        name=incident.name,
        status=incident.status,
        impact=IMPACT_OF_SEVERITY.get(incident.severity, "none"),
        started_at=incident.published_at,
        resolved_at=incident.resolved_at,
        workaround=incident.workaround,
        workaround_url=incident.workaround_url,
        updates=[
            PublicUpdate(
                status=u.status,
                body=u.message,
                at=u.at,
                components=[
                    {
                        "name": names.get(str(cid), ""),
                        "status": status,
                        "words": component_words(status),
                        "tone": COMPONENT_TONE.get(status, "ok"),
                    }
                    for cid, status in (u.component_statuses or {}).items()
                    if str(cid) in names
                ],
            )
            for u in updates or []
        ],
        components=[
            {
                "id": str(a.component_id),
                "name": a.component.name,
                "status": a.status,
                "words": component_words(a.status),
                "tone": COMPONENT_TONE.get(a.status, "ok"),
            }
            for a in affected
        ],
    )
