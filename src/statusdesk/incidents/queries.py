"""Read paths for reports and incidents: what the console, the API and the CLI show."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet
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
    """Managers, developers and desk members see every report; reporters see their own."""
    reports = Report.objects.select_related("filed_by", "incident")
    if user.has_perm(VIEW_ALL_REPORTS):
        return reports
    return reports.filter(filed_by=user)


def open_reports(user: User) -> QuerySet[Report]:
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


def visible_incidents(user: User) -> QuerySet[Incident]:
    if not user.has_perm(VIEW_INCIDENTS):
        raise NotAllowed("your role does not allow you to see incidents", rule="R2")
    return _incidents()


OPEN = "open"


def open_incidents(user: User) -> QuerySet[Incident]:
    """Not resolved yet, oldest first."""
    return (
        visible_incidents(user)
        .exclude(status=IncidentStatus.RESOLVED)
        .order_by("confirmed_at", "id")
    )


def resolved_incidents(user: User) -> QuerySet[Incident]:
    """Resolved, the most recently resolved first."""
    return (
        visible_incidents(user)
        .filter(status=IncidentStatus.RESOLVED)
        .order_by("-resolved_at", "-id")
    )


def incidents_with_status(user: User, status: str | None) -> QuerySet[Incident]:
    """`open`, one incident status, or every incident (None)."""
    if status == OPEN:
        return open_incidents(user)
    if status == IncidentStatus.RESOLVED:
        return resolved_incidents(user)
    incidents = visible_incidents(user)
    return incidents.filter(status=status) if status else incidents


def get_incident(user: User, incident_id: int) -> Incident:
    incident = (
        visible_incidents(user)
        .prefetch_related(
            Prefetch("updates", queryset=IncidentUpdate.objects.select_related("author"))
        )
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise NotFound(f"incident {incident_id} does not exist", field="incident")
    return incident
