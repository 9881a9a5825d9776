"""The Incident Manager console: server-rendered pages over the process steps.

Who may see what: every page needs a login. Reading goes through `queries.py` (reporters see only
their own reports and no incidents); writing goes through one step of `services.py`, which checks
the role again (a forged POST gets 403). A view parses its form, calls one service, and renders:

- RuleViolation (422): the form again, each message next to its field with its rule;
- IllegalTransition (409): the page again with the message at the top;
- NotAllowed (403) and NotFound (404): an error page. Never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import REPORT_PROBLEM, VIEW_INCIDENTS
from statusdesk.core.errors import (
    IllegalTransition,
    NotAllowed,
    NotFound,
    ProcessError,
    RuleViolation,
)
from statusdesk.core.paging import numbered_page
from statusdesk.incidents import lifecycle, queries, services
from statusdesk.incidents.forms import (
    AssignForm,
    ConfirmForm,
    ConsoleForm,
    DismissForm,
    PublishForm,
    ReportForm,
    ResolveForm,
    UpdateForm,
)
from statusdesk.incidents.lifecycle import IncidentAction, ReportAction
from statusdesk.incidents.limits import RESOLUTION_MAX_LINES
from statusdesk.incidents.models import (
    UPDATE_STATUSES,
    ComponentStatus,
    Incident,
    Report,
)
from statusdesk.incidents.timeline import incident_events, incident_timeline

View = Callable[..., HttpResponse]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _finish(request: HttpRequest, response: HttpResponse, *, reshown: bool = True) -> HttpResponse:
    """A re-shown form or an error after a POST stays at the page's address in the browser.
    A re-shown form keeps its scroll position under htmx: console.js brings the first problem
    into view instead of htmx scrolling to the top."""
    if request.method == "POST":
        response["HX-Push-Url"] = "false"
        if reshown and request.headers.get("HX-Request"):
            response["HX-Reswap"] = "innerHTML show:none"
    return response


def error_page(request: HttpRequest, error: ProcessError, status: int) -> HttpResponse:
    titles = {403: "Not allowed", 404: "Not found", 409: "Not possible now"}
    response = render(
        request,
        "console/error.html",
        {"status": status, "title": titles.get(status, "Request refused"), "error": error},
        status=status,
    )
    return _finish(request, response, reshown=False)


def console_view(view: View) -> View:
    """Login required; the process errors a view does not handle itself become error pages."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotAllowed as exc:
            return error_page(request, exc, 403)
        except NotFound as exc:
            return error_page(request, exc, 404)
        except ProcessError as exc:
            return error_page(request, exc, exc.status_code)

    return login_required(wrapper)


def _attempt(form: ConsoleForm, step: Callable[[], Any]) -> tuple[Any, int, ProcessError | None]:
    """Run one service step for a parsed form: (result, status, problem shown at the top)."""
    if not form.is_valid():
        return None, 422, None
    try:
        return step(), 200, None
    except RuleViolation as exc:
        form.add_process_error(exc)
        return None, 422, None
    except IllegalTransition as exc:
        return None, 409, exc


# --- dashboard and lists -----------------------------------------------------------------------


@console_view
def dashboard(request: HttpRequest) -> HttpResponse:
    """Everyone: counts and the oldest open reports they may see; incidents for roles that see
    incidents. Counts and a few rows, never a whole list: the lists are a link away."""
    user = _user(request)
    sees_incidents = user.has_perm(VIEW_INCIDENTS)
    components = list(queries.components())
    affected = [c for c in components if c.status != ComponentStatus.OPERATIONAL]
    context: dict[str, Any] = {
        "board": queries.dashboard(user) if sees_incidents else None,
        "my_reports": [] if sees_incidents else list(queries.visible_reports(user)[:20]),
        "components": components,
        "affected_count": len(affected),
        "all_operational": not affected,
        "sees_incidents": sees_incidents,
        "can_report": user.has_perm(REPORT_PROBLEM),
    }
    from statusdesk.postmortems.queries import dashboard_actions

    context["follow_up"] = dashboard_actions(user)
    return render(request, "incidents/dashboard.html", context)


INCIDENT_FILTERS = {"open": "Open", "resolved": "Resolved", "all": "All"}
REPORT_FILTERS = {
    "open": "Awaiting triage",
    "confirmed": "Confirmed",
    "dismissed": "Dismissed",
    "all": "All",
}


@console_view
def incident_list(request: HttpRequest) -> HttpResponse:
    """Roles that see incidents (not reporters): every incident, open or resolved, newest first,
    a page at a time."""
    user = _user(request)
    current = request.GET.get("status", "open")
    if current not in INCIDENT_FILTERS:
        current = "open"
    incidents = queries.incidents_with_status(user, None if current == "all" else current)
    page = numbered_page(incidents, request.GET.get("page"))
    context = {
        "incidents": list(page.object_list),
        "page": page,
        "filters": INCIDENT_FILTERS,
        "current": current,
    }
    return render(request, "incidents/incident_list.html", context)


@console_view
def report_list(request: HttpRequest) -> HttpResponse:
    """Everyone: the reports they may see (reporters: their own), newest first, a page at a
    time."""
    user = _user(request)
    current = request.GET.get("status", "all")
    if current not in REPORT_FILTERS:
        current = "all"
    reports = queries.reports_with_status(user, None if current == "all" else current)
    page = numbered_page(reports, request.GET.get("page"))
    context = {
        "reports": list(page.object_list),
        "page": page,
        "filters": REPORT_FILTERS,
        "current": current,
        "can_report": user.has_perm(REPORT_PROBLEM),
    }
    return render(request, "incidents/report_list.html", context)


# --- reports ---------------------------------------------------------------------------------


@console_view
def report_new(request: HttpRequest) -> HttpResponse:
    """Anyone with the report permission files a problem (R3)."""
    user = _user(request)
    if request.method == "POST":
        form = ReportForm(request.POST)
        report, status, _ = _attempt(
            form, lambda: services.report_problem(actor=user, **form.service_kwargs())
        )
        if report is not None:
            messages.success(request, f"Report R-{report.pk} filed. Thank you.")
            return redirect("report_detail", pk=report.pk)
        return _finish(request, _render_report_form(request, form, status))
    if not user.has_perm(REPORT_PROBLEM):
        raise NotAllowed("your role does not allow you to report a problem", rule="R2")
    return _render_report_form(request, ReportForm(initial={"reporter": user.email}), 200)


def _render_report_form(request: HttpRequest, form: ReportForm, status: int) -> HttpResponse:
    return render(request, "incidents/report_form.html", {"form": form}, status=status)


def _render_report(
    request: HttpRequest,
    report: Report,
    *,
    confirm_form: ConfirmForm | None = None,
    dismiss_form: DismissForm | None = None,
    problem: ProcessError | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    allowed = set(lifecycle.allowed_report_actions(user, report))
    incident: Incident | None = getattr(report, "incident", None)
    context = {
        "report": report,
        "incident": incident,
        "threshold_problem": lifecycle.incident_threshold_problem(report),
        "can_triage": ReportAction.DISMISS in allowed,
        "can_confirm": ReportAction.CONFIRM in allowed,
        "sees_incidents": user.has_perm(VIEW_INCIDENTS),
        "confirm_form": confirm_form
        or ConfirmForm(
            initial={"issue_title": report.title, "issue_description": report.description}
        ),
        "dismiss_form": dismiss_form or DismissForm(),
        "problem": problem,
    }
    return _finish(request, render(request, "incidents/report_detail.html", context, status=status))


@console_view
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers triage it; others who may see it (a reporter: their own) read it."""
    return _render_report(request, queries.get_report(_user(request), pk))


@console_view
def report_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers: R1 + R4, the report becomes an incident with its issue."""
    if request.method != "POST":
        return redirect("report_detail", pk=pk)
    user = _user(request)
    form = ConfirmForm(request.POST)
    incident, status, problem = _attempt(
        form,
        lambda: services.confirm_incident(actor=user, report=pk, **form.service_kwargs()),
    )
    if incident is not None:
        messages.success(
            request, f"Confirmed as incident INC-{incident.pk}. Next: assign a developer."
        )
        return redirect("incident_detail", pk=incident.pk)
    report = queries.get_report(user, pk)
    return _render_report(request, report, confirm_form=form, problem=problem, status=status)


@console_view
def report_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers: close a report that is not an incident."""
    if request.method != "POST":
        return redirect("report_detail", pk=pk)
    user = _user(request)
    form = DismissForm(request.POST)
    report, status, problem = _attempt(
        form,
        lambda: services.dismiss_report(actor=user, report=pk, reason=form.cleaned_data["reason"]),
    )
    if report is not None:
        messages.success(request, f"Report R-{report.pk} dismissed.")
        return redirect("report_detail", pk=report.pk)
    report = queries.get_report(user, pk)
    return _render_report(request, report, dismiss_form=form, problem=problem, status=status)


# --- incidents -------------------------------------------------------------------------------


def _count(shown: list[Any], limit: int | None, everything: QuerySet[Any]) -> int:
    """How many there are in all: counted only when the page shows the first `limit` of more."""
    return len(shown) if limit is None or len(shown) < limit else everything.count()


def _render_incident(
    request: HttpRequest,
    incident: Incident,
    *,
    bound: dict[str, ConsoleForm] | None = None,
    problem: ProcessError | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    bound = bound or {}
    components = list(queries.components())
    affected = list(incident.affected.all())
    allowed = set(lifecycle.allowed_incident_actions(user, incident))
    forms: dict[str, ConsoleForm] = {}
    if IncidentAction.ASSIGN in allowed:
        forms["assign"] = bound.get("assign") or AssignForm(
            developers=services.assignable_developers(),
            initial={"developer": incident.developer.email if incident.developer else ""},
        )
    if IncidentAction.PUBLISH in allowed:
        forms["publish"] = bound.get("publish") or PublishForm(
            components=components, initial={"name": incident.issue.title}
        )
    if IncidentAction.UPDATE in allowed:
        current = incident.status if incident.status in UPDATE_STATUSES else ""
        update_form = bound.get("update") or UpdateForm(
            components=components, initial={"status": current}
        )
        assert isinstance(update_form, UpdateForm)
        update_form.group_components([a.component_id for a in affected])
        forms["update"] = update_form
    if IncidentAction.RESOLVE in allowed:
        forms["resolve"] = bound.get("resolve") or ResolveForm()
    # Publishing waits for the developer (R4): the panel says so instead of offering the form.
    publish_waiting = (
        lifecycle.incident_refusal(user, incident, IncidentAction.PUBLISH)
        if IncidentAction.ASSIGN in allowed and not incident.is_published
        else None
    )
    # The latest updates and timeline entries; every one when the page is asked for the whole
    # history (?history=all).
    everything = request.GET.get("history") == "all"
    updates_shown = None if everything else queries.UPDATES_SHOWN
    timeline_shown = None if everything else queries.TIMELINE_SHOWN
    updates = queries.latest_updates(incident, updates_shown)
    timeline = incident_timeline(incident, latest=timeline_shown)
    from statusdesk.notifications.services import counts_by_update
    from statusdesk.postmortems.services import can_write_postmortem, postmortem_of

    context = {
        "incident": incident,
        "report": incident.report,
        "issue": incident.issue,
        "affected": affected,
        "updates": updates,
        "update_count": _count(updates, updates_shown, queries.incident_updates(incident)),
        # Per update: how many notifications are queued, sent, retrying and failed.
        "notification_counts": counts_by_update(u.pk for u in updates),
        "timeline": timeline,
        "timeline_count": _count(timeline, timeline_shown, incident_events(incident)),
        "whole_history": everything,
        "component_names": {str(c.pk): c.name for c in components},
        "forms": forms,
        "publish_waiting": publish_waiting,
        "overdue": queries.update_overdue(incident),
        "bound": bound,
        "can_manage": bool(allowed),
        "problem": problem,
        "resolution_max_lines": RESOLUTION_MAX_LINES,
        # R12: "Write postmortem" once the incident is resolved, for the Incident Manager.
        "can_write_postmortem": can_write_postmortem(user, incident),
        "postmortem": postmortem_of(incident) if incident.is_resolved else None,
    }
    return _finish(
        request, render(request, "incidents/incident_detail.html", context, status=status)
    )


@console_view
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Roles that see incidents; the action panels only for incident managers."""
    return _render_incident(request, queries.get_incident(_user(request), pk))


def _incident_action(
    request: HttpRequest,
    pk: int,
    key: str,
    form: ConsoleForm,
    step: Callable[[], Any],
    success: str,
) -> HttpResponse:
    result, status, problem = _attempt(form, step)
    if result is not None:
        messages.success(request, success)
        return redirect("incident_detail", pk=pk)
    incident = queries.get_incident(_user(request), pk)
    return _render_incident(request, incident, bound={key: form}, problem=problem, status=status)


@console_view
def incident_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers: R4, the one accountable developer."""
    if request.method != "POST":
        return redirect("incident_detail", pk=pk)
    user = _user(request)
    form = AssignForm(request.POST, developers=services.assignable_developers())
    return _incident_action(
        request,
        pk,
        "assign",
        form,
        lambda: services.assign_developer(
            actor=user, incident=pk, developer=form.cleaned_data["developer"]
        ),
        "Developer assigned.",
    )


@console_view
def incident_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers: R5, publish on the status page."""
    if request.method != "POST":
        return redirect("incident_detail", pk=pk)
    user = _user(request)
    form = PublishForm(request.POST, components=queries.components())
    return _incident_action(
        request,
        pk,
        "publish",
        form,
        lambda: services.publish_incident(actor=user, incident=pk, **form.service_kwargs()),
        "Published on the status page with status Identified.",
    )


@console_view
def incident_update(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers: post an update (investigating / identified / monitoring)."""
    if request.method != "POST":
        return redirect("incident_detail", pk=pk)
    user = _user(request)
    form = UpdateForm(request.POST, components=queries.components())
    return _incident_action(
        request,
        pk,
        "update",
        form,
        lambda: services.post_update(actor=user, incident=pk, **form.service_kwargs()),
        "Update posted on the status page.",
    )


@console_view
def incident_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Managers: R11, resolve with a message of at most two lines."""
    if request.method != "POST":
        return redirect("incident_detail", pk=pk)
    user = _user(request)
    form = ResolveForm(request.POST)
    return _incident_action(
        request,
        pk,
        "resolve",
        form,
        lambda: services.resolve_incident(actor=user, incident=pk, **form.service_kwargs()),
        "Incident resolved. Affected components are back to operational.",
    )
