"""Read paths for reports and incidents: what the console, the API and the CLI show.

Every list is ordered by a time and the id (newest first unless said otherwise) and read a page at
a time (statusdesk.core.paging), with the indexes of models.py under each order; the dashboard
reads counts and the first few rows, never a whole list. So a page costs the same with a year of
history as on the first day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import VIEW_ALL_REPORTS, VIEW_INCIDENTS
from statusdesk.core.errors import NotAllowed, NotFound
from statusdesk.incidents.models import (
    AffectedComponent,
    Component,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Report,
    ReportStatus,
)


def components() -> QuerySet[Component]:
    return Component.objects.all()


def visible_reports(user: User) -> QuerySet[Report]:
    """Managers, developers and desk members see every report; reporters see their own. Newest
    first."""
    reports = Report.objects.select_related("filed_by", "incident").order_by("-reported_at", "-id")
    if user.has_perm(VIEW_ALL_REPORTS):
        return reports
    return reports.filter(filed_by=user)


def reports_with_status(user: User, status: str | None) -> QuerySet[Report]:
    """One report status (open, confirmed, dismissed) or every report (None), newest first."""
    reports = visible_reports(user)
    return reports.filter(status=status) if status else reports


def open_reports(user: User) -> QuerySet[Report]:
    """Awaiting triage, the oldest first (the one waiting longest comes first)."""
    return visible_reports(user).filter(status=ReportStatus.OPEN).order_by("reported_at", "id")


def get_report(user: User, report_id: int) -> Report:
    report = visible_reports(user).filter(pk=report_id).first()
    if report is None:
        raise NotFound(f"report {report_id} does not exist", field="report")
    return report


def _incidents() -> QuerySet[Incident]:
    return Incident.objects.select_related(
        "report", "issue", "manager", "developer"
    ).prefetch_related(
        Prefetch("affected", queryset=AffectedComponent.objects.select_related("component"))
    )


def update_overdue(incident: Incident, now: datetime | None = None) -> bool:
    """R10: the next public update was due and has not been posted (a missed update stays
    visible, whatever the reminders did)."""
    return bool(
        not incident.is_resolved
        and incident.next_update_due_at is not None
        and incident.next_update_due_at < (now or timezone.now())
    )


def update_cadence(incident: Incident) -> dict[str, Any] | None:
    """R10: the time between the incident's public updates (publication, updates, resolution):
    how many gaps, their average and the longest. None before a second public update."""
    times = list(incident.updates.order_by("at", "id").values_list("at", flat=True))
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    if not gaps:
        return None
    return {
        "gaps": len(gaps),
        "average": sum(gaps, timedelta()) / len(gaps),
        "longest": max(gaps),
    }


def visible_incidents(user: User) -> QuerySet[Incident]:
    """Every incident, newest first (roles that see incidents)."""
    if not user.has_perm(VIEW_INCIDENTS):
        raise NotAllowed("your role does not allow you to see incidents", rule="R2")
    return _incidents().order_by("-confirmed_at", "-id")


OPEN = "open"


def _not_resolved(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    # Written as the partial index `incident_open` is, so that the database uses it.
    return incidents.exclude(status=IncidentStatus.RESOLVED)


# The same incidents named by their statuses: what counts them from the status index alone
# (SQLite's planner scans a whole index for "not resolved" when it only counts).
OPEN_STATUSES = [status for status in IncidentStatus.values if status != IncidentStatus.RESOLVED]


def update_overdue_among(incidents: QuerySet[Incident], now: datetime) -> QuerySet[Incident]:
    """R10: the open ones among `incidents` whose next public update was due before `now` and has
    not been posted (the dashboard's count, the /metrics figure; `update_overdue` for one)."""
    return incidents.filter(status__in=OPEN_STATUSES, next_update_due_at__lt=now)


def open_incident_figures(now: datetime | None = None) -> dict[str, Any]:
    """Every open incident counted by severity ("" before publication) and how many have an
    overdue update: what /metrics reports (statusdesk.core.metrics), off the status index."""
    now = now or timezone.now()
    counted = Incident.objects.filter(status__in=OPEN_STATUSES)
    by_severity = {
        row["severity"]: row["count"]
        for row in counted.order_by().values("severity").annotate(count=Count("id"))
    }
    return {
        "by_severity": by_severity,
        "update_overdue": update_overdue_among(Incident.objects.all(), now).count(),
    }


def open_incidents(user: User) -> QuerySet[Incident]:
    """Not resolved yet, the oldest first (the one open longest comes first)."""
    return _not_resolved(visible_incidents(user)).order_by("confirmed_at", "id")


def resolved_incidents(user: User) -> QuerySet[Incident]:
    """Resolved, the most recently resolved first."""
    return (
        visible_incidents(user)
        .filter(status=IncidentStatus.RESOLVED)
        .order_by("-resolved_at", "-id")
    )


def incidents_with_status(user: User, status: str | None) -> QuerySet[Incident]:
    """`open`, one incident status, or every incident (None): newest first (resolved ones: the
    latest resolution first)."""
    if status == OPEN:
        return _not_resolved(visible_incidents(user))
    if status == IncidentStatus.RESOLVED:
        return resolved_incidents(user)
    incidents = visible_incidents(user)
    return incidents.filter(status=status) if status else incidents


# --- the dashboard: counts and the first few, never a whole list ----------------------------

# How many open incidents and reports awaiting triage the dashboard shows (the oldest first);
# the counts link to the whole lists.
DASHBOARD_ROWS = 10
RECENTLY_RESOLVED = 5


@dataclass
class Dashboard:
    open_incidents: list[Incident]
    open_incident_count: int
    overdue_count: int
    open_reports: list[Report]
    open_report_count: int
    resolved_incidents: list[Incident]


def dashboard(user: User, *, rows: int | None = None, now: datetime | None = None) -> Dashboard:
    """What the dashboard shows a role that sees incidents: a few queries, whatever the history."""
    now = now or timezone.now()
    rows = rows or DASHBOARD_ROWS
    incidents = open_incidents(user)
    counted = visible_incidents(user).filter(status__in=OPEN_STATUSES)
    reports = open_reports(user)
    return Dashboard(
        open_incidents=list(incidents[:rows]),
        open_incident_count=counted.count(),
        # R10: the next public update was due and has not been posted.
        overdue_count=update_overdue_among(counted, now).count(),
        open_reports=list(reports[:rows]),
        open_report_count=reports.count(),
        resolved_incidents=list(resolved_incidents(user)[:RECENTLY_RESOLVED]),
    )


# --- one incident and its history -----------------------------------------------------------

# How many updates and timeline entries the incident page shows at first (the latest ones); the
# rest on request ("show all") and, in the API, page by page.
UPDATES_SHOWN = 20
TIMELINE_SHOWN = 50


def get_incident(user: User, incident_id: int) -> Incident:
    incident = visible_incidents(user).filter(pk=incident_id).first()
    if incident is None:
        raise NotFound(f"incident {incident_id} does not exist", field="incident")
    return incident


def incident_updates(incident: Incident) -> QuerySet[IncidentUpdate]:
    """The incident's status page updates, oldest first (index `update_incident_at`)."""
    return (
        IncidentUpdate.objects.filter(incident=incident)
        .select_related("author")
        .order_by("at", "id")
    )


def latest_updates(incident: Incident, count: int | None) -> list[IncidentUpdate]:
    """The latest `count` updates (every one for None), the newest first."""
    updates = incident_updates(incident).order_by("-at", "-id")
    return list(updates if count is None else updates[:count])
