"""Read paths for reports and incidents: what the console, the API and the CLI show."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import VIEW_ALL_REPORTS, VIEW_INCIDENTS
from statusdesk.core.errors import NotAllowed, NotFound
from statusdesk.core.models import Event
from statusdesk.incidents.models import (
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
    ).prefetch_related("components")


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


def incident_timeline(incident: Incident) -> list[Event]:
    """The incident's history, read from the event log: from the report to the last step."""
    events = Event.objects.select_related("actor", "component").filter(
        incident=incident
    ) | Event.objects.select_related("actor", "component").filter(
        report_id=incident.report_id, incident__isnull=True
    )
    return list(events.order_by("at", "id"))
