"""Reports, incidents, updates and components over JSON (/api/v1/).

Each endpoint is thin: it parses the request, calls one process step (services) or read path
(queries) and renders the answer. Roles and rules are enforced there, not here; their refusals
(ProcessError) become JSON answers in statusdesk.api.
"""

from __future__ import annotations

from typing import Annotated

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Path, Router, Status

from statusdesk.accounts.api import current_user
from statusdesk.core.inputs import PageCursor, PageLimit, Query
from statusdesk.core.paging import DEFAULT_LIMIT, api_page
from statusdesk.core.schemas import error_responses
from statusdesk.incidents import queries, services
from statusdesk.incidents.limits import ID_MAX
from statusdesk.incidents.models import Component, Incident, IncidentUpdate, Report
from statusdesk.incidents.schemas import (
    AssignIn,
    ComponentOut,
    ConfirmIn,
    DismissIn,
    IncidentDetailOut,
    IncidentOut,
    IncidentPage,
    IncidentStatusFilter,
    PublishIn,
    ReportIn,
    ReportOut,
    ReportPage,
    ReportStatusFilter,
    ResolveIn,
    TimelinePage,
    UpdateIn,
    UpdateOut,
    UpdatePage,
)
from statusdesk.incidents.timeline import describe, incident_events

router = Router(tags=["incidents"])

# Ids beyond a 64-bit integer name nothing and would overflow SQLite's integer.
ReportId = Annotated[int, Path(description="The report's id.", le=ID_MAX)]
IncidentId = Annotated[int, Path(description="The incident's id.", le=ID_MAX)]


READ_ERRORS = error_responses(401, 403, 404, 422)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 422)


# --- reports -------------------------------------------------------------------------------


@router.post(
    "/reports",
    response={201: ReportOut, **WRITE_ERRORS},
    summary="Report a problem (R3)",
)
def report_problem(request: HttpRequest, payload: ReportIn) -> Status[Report]:
    report = services.report_problem(
        actor=current_user(request),
        title=payload.title,
        description=payload.description,
        reporter=payload.reporter,
        medium=payload.medium,
        detection=payload.detection,
        users_affected=payload.users_affected,
        could_affect_two_or_more=payload.could_affect_two_or_more,
        at=payload.at,
    )
    return Status(201, report)


@router.get(
    "/reports",
    response={200: ReportPage, **READ_ERRORS},
    summary="Reports, newest first, a page at a time; optionally ?status=open|confirmed|dismissed; "
    "a reporter sees their own",
)
def list_reports(
    request: HttpRequest,
    status: Annotated[ReportStatusFilter | None, Query(None)] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> dict:
    reports = queries.reports_with_status(current_user(request), status)
    return api_page(request, reports, limit=limit, cursor=cursor)


@router.get("/reports/{report_id}", response={200: ReportOut, **READ_ERRORS}, summary="A report")
def get_report(request: HttpRequest, report_id: ReportId) -> Report:
    return queries.get_report(current_user(request), report_id)


@router.post(
    "/reports/{report_id}/confirm",
    response={201: IncidentOut, **WRITE_ERRORS},
    summary="Confirm a report as an incident and open its issue (R1, R4)",
)
def confirm_report(
    request: HttpRequest, report_id: ReportId, payload: ConfirmIn
) -> Status[Incident]:
    incident = services.confirm_incident(
        actor=current_user(request),
        report=report_id,
        issue_title=payload.issue_title,
        issue_description=payload.issue_description,
        issue_url=payload.issue_url or "",
        at=payload.at,
    )
    return Status(201, incident)


@router.post(
    "/reports/{report_id}/dismiss",
    response={200: ReportOut, **WRITE_ERRORS},
    summary="Dismiss a report that is not an incident",
)
def dismiss_report(request: HttpRequest, report_id: ReportId, payload: DismissIn) -> Report:
    return services.dismiss_report(
        actor=current_user(request), report=report_id, reason=payload.reason, at=payload.at
    )


# --- incidents -----------------------------------------------------------------------------


@router.get(
    "/incidents",
    response={200: IncidentPage, **READ_ERRORS},
    summary="Incidents, newest first (resolved ones: latest resolution first), a page at a time; "
    "optionally filtered by ?status=open|resolved|<status>",
)
def list_incidents(
    request: HttpRequest,
    status: Annotated[IncidentStatusFilter | None, Query(None)] = None,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> dict:
    incidents = queries.incidents_with_status(current_user(request), status)
    return api_page(request, incidents, limit=limit, cursor=cursor)


@router.get(
    "/incidents/{incident_id}",
    response={200: IncidentDetailOut, **READ_ERRORS},
    summary="An incident with its latest updates and timeline entries",
)
def get_incident(request: HttpRequest, incident_id: IncidentId) -> Incident:
    return queries.get_incident(current_user(request), incident_id)


@router.get(
    "/incidents/{incident_id}/updates",
    response={200: UpdatePage, **READ_ERRORS},
    summary="An incident's status page updates, oldest first, a page at a time",
)
def list_updates(
    request: HttpRequest,
    incident_id: IncidentId,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> dict:
    incident = queries.get_incident(current_user(request), incident_id)
    return api_page(request, queries.incident_updates(incident), limit=limit, cursor=cursor)


@router.get(
    "/incidents/{incident_id}/timeline",
    response={200: TimelinePage, **READ_ERRORS},
    summary="An incident's history (event log), oldest first, a page at a time",
)
def list_timeline(
    request: HttpRequest,
    incident_id: IncidentId,
    limit: PageLimit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> dict:
    incident = queries.get_incident(current_user(request), incident_id)
    page = api_page(request, incident_events(incident), limit=limit, cursor=cursor)
    page["items"] = describe(page["items"], incident)
    return page


@router.post(
    "/incidents/{incident_id}/assign",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Assign the accountable developer (R4)",
)
def assign_developer(request: HttpRequest, incident_id: IncidentId, payload: AssignIn) -> Incident:
    return services.assign_developer(
        actor=current_user(request),
        incident=incident_id,
        developer=payload.developer,
        at=payload.at,
    )


@router.post(
    "/incidents/{incident_id}/publish",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Publish on the status page (R5)",
)
def publish_incident(request: HttpRequest, incident_id: IncidentId, payload: PublishIn) -> Incident:
    return services.publish_incident(
        actor=current_user(request),
        incident=incident_id,
        name=payload.name,
        message=payload.message,
        workaround=payload.workaround,
        workaround_url=payload.workaround_url,
        component_ids=payload.component_ids,
        severity=payload.severity,
        notify=payload.notify,
        reminders=payload.reminders,
        reminder_interval_minutes=payload.reminder_interval_minutes,
        at=payload.at,
    )


@router.post(
    "/incidents/{incident_id}/updates",
    response={201: UpdateOut, **WRITE_ERRORS},
    summary="Post an update (investigating, identified, monitoring)",
)
def post_update(
    request: HttpRequest, incident_id: IncidentId, payload: UpdateIn
) -> Status[IncidentUpdate]:
    update = services.post_update(
        actor=current_user(request),
        incident=incident_id,
        status=payload.status,
        message=payload.message,
        notify=payload.notify,
        component_statuses=payload.component_statuses,
        at=payload.at,
    )
    return Status(201, update)


@router.post(
    "/incidents/{incident_id}/resolve",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Resolve with a message of at most two lines (R11)",
)
def resolve_incident(request: HttpRequest, incident_id: IncidentId, payload: ResolveIn) -> Incident:
    return services.resolve_incident(
        actor=current_user(request),
        incident=incident_id,
        message=payload.message,
        notify=payload.notify,
        at=payload.at,
    )


# --- components ----------------------------------------------------------------------------


@router.get(
    "/components",
    response={200: list[ComponentOut], **error_responses(401)},
    summary="Components (R6) and their current status",
)
def list_components(request: HttpRequest) -> QuerySet[Component]:
    current_user(request)
    return queries.components()
