"""The process steps from report to resolution (rules R1, R3, R4, R5, R10, R11).

Each step checks the actor's role and the incident's state (one state machine: lifecycle.py),
validates its input against the rules, changes the models and appends its events in one
transaction. Views, the API and the CLI call these and nothing else to change an incident, so
every rule lives here once. Components (R6) and their derived statuses are in components.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import BACKFILL, REPORT_PROBLEM, Role
from statusdesk.core.choices import choice_problem
from statusdesk.core.errors import IllegalTransition, NotAllowed, NotFound, Problems
from statusdesk.core.events import record
from statusdesk.core.time import effective_time
from statusdesk.incidents import lifecycle
from statusdesk.incidents.components import (
    apply_statuses,
    derive_locked,
    give_status,
)
from statusdesk.incidents.events import IncidentEvent
from statusdesk.incidents.lifecycle import (
    IncidentAction,
    ReportAction,
    incident_threshold_problem,
    meets_incident_threshold,
)
from statusdesk.incidents.limits import (
    DEFAULT_REMINDER_MINUTES,
    ID_MAX,
    REMINDER_MAX_MINUTES,
    REMINDER_MIN_MINUTES,
    REPORTER_MAX,
    RESOLUTION_LINE_MAX,
    RESOLUTION_MAX_LINES,
    TEXT_MAX,
    TITLE_MAX,
    URL_MAX,
    USERS_AFFECTED_MAX,
)
from statusdesk.incidents.models import (
    UPDATE_STATUSES,
    AffectedComponent,
    Component,
    ComponentStatus,
    Detection,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Issue,
    Medium,
    Report,
    ReportStatus,
    Severity,
)

__all__ = [
    "assign_developer",
    "assignable_developers",
    "confirm_incident",
    "dismiss_report",
    "incident_threshold_problem",
    "meets_incident_threshold",
    "post_update",
    "publish_incident",
    "report_problem",
    "resolution_message_problem",
    "resolve_incident",
]

_url_validator = URLValidator(schemes=["http", "https"])


# --- shared checks -------------------------------------------------------------------------


def _require(actor: User, permission: str, action: str) -> None:
    if not actor.is_active or not actor.has_perm(permission):
        raise NotAllowed(f"your role does not allow you to {action}", rule="R2")


def _when(
    actor: User,
    at: datetime | None,
    *,
    not_before: datetime | None = None,
    not_before_label: str = "the previous step",
) -> datetime:
    """The time of a step: now, or a back-filled `at` (managers and administrators only)."""
    if at is not None and not actor.has_perm(BACKFILL):
        raise NotAllowed(
            "only incident managers and administrators may record a past time ('at')", field="at"
        )
    return effective_time(at, not_before=not_before, not_before_label=not_before_label)


def _text(
    problems: Problems,
    field: str,
    value: str | None,
    *,
    max_length: int = TEXT_MAX,
    label: str | None = None,
    rule: str | None = None,
) -> str:
    text = (value or "").strip()
    if not text:
        problems.add(field, f"{label or field} is required", rule)
    elif len(text) > max_length:
        problems.add(field, f"{label or field} must be at most {max_length} characters", rule)
    return text


def _url(
    problems: Problems,
    field: str,
    value: str | None,
    *,
    required: bool,
    label: str | None = None,
    rule: str | None = None,
) -> str:
    text = (value or "").strip()
    if not text:
        if required:
            problems.add(field, f"{label or field} is required", rule)
        return ""
    if len(text) > URL_MAX:
        problems.add(field, f"{label or field} must be at most {URL_MAX} characters", rule)
        return text
    try:
        _url_validator(text)
    except ValidationError:
        problems.add(field, f"{label or field} must be a valid http(s) URL, got {text!r}", rule)
    return text


def _one_of(field: str, choices: Iterable[tuple[str, Any]], value: Any) -> str:
    return f"{field} {choice_problem(choices, value)}"


def _choice(
    problems: Problems,
    field: str,
    value: str | None,
    choices: Iterable[tuple[str, Any]],
    *,
    rule: str | None = None,
) -> str:
    problem = choice_problem(choices, value)
    if problem:
        problems.add(field, f"{field} {problem}", rule)
    return value or ""


def _locked_incident(incident: Incident | int) -> Incident:
    pk = incident.pk if isinstance(incident, Incident) else incident
    found = Incident.objects.select_for_update().select_related("issue", "report").filter(pk=pk)
    locked = found.first()
    if locked is None:
        raise NotFound(f"incident {pk} does not exist", field="incident")
    return locked


def _locked_report(report: Report | int) -> Report:
    pk = report.pk if isinstance(report, Report) else report
    locked = Report.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise NotFound(f"report {pk} does not exist", field="report")
    return locked


def _notify(notify: bool | None, at: datetime | None) -> bool:
    """Subscribers are notified of a step unless asked not to; a back-filled step (`at`) records
    history, so it notifies only when the request asks for it explicitly."""
    if notify is None:
        return at is None
    return bool(notify)


def _latest_step(incident: Incident) -> tuple[datetime, str]:
    """The time of the incident's latest recorded step and its name: a new step, back-filled or
    not, comes after it (it is appended to the history)."""
    steps = [
        (incident.confirmed_at, "the confirmation"),
        (incident.assigned_at, "the assignment"),
        (incident.published_at, "the publication"),
    ]
    if incident.last_update_at != incident.published_at:  # the publication is the first update
        steps.append((incident.last_update_at, "the last update"))
    # Of steps recorded at the same moment, the later one in the process names it.
    recorded = [(at, i, label) for i, (at, label) in enumerate(steps) if at is not None]
    at, _, label = max(recorded)
    return at, label


def _step_time(actor: User, incident: Incident, at: datetime | None) -> datetime:
    latest, label = _latest_step(incident)
    return _when(actor, at, not_before=latest, not_before_label=label)


def _update_due(incident: Incident, posted_at: datetime) -> None:
    """R10: the next public update is due one interval after this one (when reminders are on);
    the reminder clock restarts from the same moment."""
    due = (
        posted_at + timedelta(minutes=incident.reminder_interval_minutes)
        if incident.reminders_enabled
        else None
    )
    incident.next_update_due_at = due
    incident.next_reminder_at = due


# --- the steps ---------------------------------------------------------------------------


@transaction.atomic
def report_problem(
    *,
    actor: User,
    title: str,
    description: str,
    reporter: str,
    medium: str,
    detection: str,
    users_affected: int | None,
    could_affect_two_or_more: bool = False,
    at: datetime | None = None,
) -> Report:
    """R3: record who reported a problem, through which medium, when, and how it was detected."""
    _require(actor, REPORT_PROBLEM, "report a problem")
    problems = Problems()
    title = _text(problems, "title", title, max_length=TITLE_MAX)
    description = _text(problems, "description", description)
    reporter = _text(
        problems,
        "reporter",
        reporter,
        max_length=REPORTER_MAX,
        rule="R3",
        label="reporter (who reported the problem)",
    )
    _choice(problems, "medium", medium, Medium.choices, rule="R3")
    _choice(problems, "detection", detection, Detection.choices, rule="R3")
    if (
        users_affected is None
        or isinstance(users_affected, bool)
        or not isinstance(users_affected, int)
    ):
        problems.add("users_affected", "users_affected must be a whole number", "R3")
    elif users_affected < 0:
        problems.add("users_affected", "users_affected cannot be negative", "R3")
    elif users_affected > USERS_AFFECTED_MAX:
        problems.add("users_affected", f"users_affected must be at most {USERS_AFFECTED_MAX}", "R3")
    problems.raise_if_any()
    assert isinstance(users_affected, int)
    reported_at = _when(actor, at)
    report = Report.objects.create(
        title=title,
        description=description,
        reporter=reporter,
        filed_by=actor,
        medium=medium,
        detection=detection,
        users_affected=users_affected,
        could_affect_two_or_more=bool(could_affect_two_or_more),
        reported_at=reported_at,
    )
    record(
        IncidentEvent.REPORT_FILED,
        subject=report,
        at=reported_at,
        actor=actor,
        reporter=reporter,
        medium=medium,
        detection=detection,
        users_affected=users_affected,
        could_affect_two_or_more=bool(could_affect_two_or_more),
    )
    return report


@transaction.atomic
def confirm_incident(
    *,
    actor: User,
    report: Report | int,
    issue_title: str,
    issue_description: str,
    issue_url: str = "",
    at: datetime | None = None,
) -> Incident:
    """R1 + R4: confirm a report as an incident and open its issue."""
    lifecycle.require_role(actor, ReportAction.CONFIRM)
    report = _locked_report(report)
    lifecycle.require_report_action(actor, report, ReportAction.CONFIRM)
    problems = Problems()
    issue_title = _text(problems, "issue_title", issue_title, max_length=TITLE_MAX, rule="R4")
    issue_description = _text(problems, "issue_description", issue_description, rule="R4")
    issue_url = _url(problems, "issue_url", issue_url, required=False, rule="R4")
    problems.raise_if_any()
    confirmed_at = _when(actor, at, not_before=report.reported_at, not_before_label="the report")
    issue = Issue.objects.create(
        title=issue_title, description=issue_description, url=issue_url, created_at=confirmed_at
    )
    incident = Incident.objects.create(
        report=report, issue=issue, manager=actor, confirmed_at=confirmed_at
    )
    report.status = ReportStatus.CONFIRMED
    report.closed_at = confirmed_at
    report.save(update_fields=["status", "closed_at"])
    record(
        IncidentEvent.INCIDENT_CONFIRMED,
        subject=incident,
        also=[report],
        at=confirmed_at,
        actor=actor,
        report_id=report.pk,
    )
    record(
        IncidentEvent.ISSUE_OPENED,
        subject=incident,
        at=confirmed_at,
        actor=actor,
        issue_id=issue.pk,
    )
    return incident


@transaction.atomic
def dismiss_report(
    *, actor: User, report: Report | int, reason: str, at: datetime | None = None
) -> Report:
    """Close a report that is not an incident (R1 not met, duplicate, not a fault...)."""
    lifecycle.require_role(actor, ReportAction.DISMISS)
    report = _locked_report(report)
    lifecycle.require_report_action(actor, report, ReportAction.DISMISS)
    problems = Problems()
    reason = _text(problems, "reason", reason, label="reason for dismissing")
    problems.raise_if_any()
    dismissed_at = _when(actor, at, not_before=report.reported_at, not_before_label="the report")
    report.status = ReportStatus.DISMISSED
    report.dismissed_reason = reason
    report.closed_at = dismissed_at
    report.save(update_fields=["status", "dismissed_reason", "closed_at"])
    record(
        IncidentEvent.REPORT_DISMISSED,
        subject=report,
        at=dismissed_at,
        actor=actor,
        reason=reason,
    )
    return report


def assignable_developers() -> Any:
    return User.objects.filter(is_active=True, groups__name=Role.DEVELOPER.value).distinct()


@transaction.atomic
def assign_developer(
    *, actor: User, incident: Incident | int, developer: User | str, at: datetime | None = None
) -> Incident:
    """R4 (+R2): the Incident Manager assigns the one accountable developer."""
    lifecycle.require_role(actor, IncidentAction.ASSIGN)
    incident = _locked_incident(incident)
    lifecycle.require_incident_action(actor, incident, IncidentAction.ASSIGN)
    problems = Problems()
    email = developer.email if isinstance(developer, User) else (developer or "").strip().lower()
    person = assignable_developers().filter(email=email).first() if email else None
    if not email:
        problems.add("developer", "developer (an e-mail address) is required", "R4")
    elif person is None:
        problems.add(
            "developer",
            f"{email!r} is not an active user with the Developer role; only developers can be "
            "assigned",
            "R4",
        )
    problems.raise_if_any()
    assert person is not None
    if incident.developer_id == person.pk:
        raise IllegalTransition(
            f"{person.email} is already the developer of INC-{incident.pk}", field="developer"
        )
    assigned_at = _step_time(actor, incident, at)
    previous_id = incident.developer_id
    incident.developer = person
    incident.assigned_at = assigned_at
    incident.save(update_fields=["developer", "assigned_at"])
    record(
        IncidentEvent.DEVELOPER_ASSIGNED,
        subject=incident,
        at=assigned_at,
        actor=actor,
        developer_id=person.pk,
        previous_developer_id=previous_id,
    )
    return incident


def _components(problems: Problems, field: str, ids: Iterable[Any]) -> list[Component]:
    wanted: list[int] = []
    for raw in ids:
        try:
            wanted.append(int(raw))
        except (TypeError, ValueError):
            problems.add(field, f"{field}: {raw!r} is not a component id", "R6")
    in_range = [pk for pk in wanted if 0 < pk <= ID_MAX]
    found = {c.pk: c for c in Component.objects.filter(pk__in=in_range)}
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        problems.add(field, f"{field}: unknown component id(s) {', '.join(missing)}", "R6")
    return [found[pk] for pk in dict.fromkeys(wanted) if pk in found]


@transaction.atomic
def publish_incident(
    *,
    actor: User,
    incident: Incident | int,
    name: str,
    message: str,
    workaround: str,
    workaround_url: str,
    component_ids: Iterable[Any],
    severity: str,
    notify: bool | None = None,
    reminders: bool = True,
    reminder_interval_minutes: int = DEFAULT_REMINDER_MINUTES,
    at: datetime | None = None,
) -> Incident:
    """R5: publish on the status page with status `identified`; components take the severity."""
    lifecycle.require_role(actor, IncidentAction.PUBLISH)
    incident = _locked_incident(incident)
    lifecycle.require_incident_action(actor, incident, IncidentAction.PUBLISH)
    problems = Problems()
    name = _text(problems, "name", name, max_length=TITLE_MAX, rule="R5", label="incident name")
    message = _text(
        problems, "message", message, rule="R5", label="message (what is affected and how)"
    )
    workaround = _text(problems, "workaround", workaround, rule="R5")
    workaround_url = _url(
        problems,
        "workaround_url",
        workaround_url,
        required=True,
        label="workaround documentation link",
        rule="R5",
    )
    components = _components(problems, "component_ids", component_ids or [])
    if not components and not problems.has("component_ids"):
        problems.add("component_ids", "select at least one affected component", "R5")
    _choice(problems, "severity", severity, Severity.choices, rule="R5")
    interval = reminder_interval_minutes
    if isinstance(interval, bool) or not isinstance(interval, int):
        problems.add("reminder_interval_minutes", "reminder interval must be whole minutes", "R5")
    elif not REMINDER_MIN_MINUTES <= interval <= REMINDER_MAX_MINUTES:
        problems.add(
            "reminder_interval_minutes",
            f"reminder interval must be between {REMINDER_MIN_MINUTES} and "
            f"{REMINDER_MAX_MINUTES} minutes",
            "R5",
        )
    problems.raise_if_any()
    published_at = _step_time(actor, incident, at)
    notified = _notify(notify, at)
    incident.name = name
    incident.message = message
    incident.workaround = workaround
    incident.workaround_url = workaround_url
    incident.severity = severity
    incident.status = IncidentStatus.IDENTIFIED
    incident.notify_subscribers = notified
    incident.reminders_enabled = bool(reminders)
    incident.reminder_interval_minutes = interval
    incident.published_at = published_at
    incident.last_update_at = published_at
    _update_due(incident, published_at)
    incident.save()
    for component in components:
        give_status(incident, component, severity)
    update = IncidentUpdate.objects.create(
        incident=incident,
        kind=IncidentUpdate.Kind.PUBLICATION,
        status=IncidentStatus.IDENTIFIED,
        message=message,
        notify=notified,
        component_statuses={str(c.pk): severity for c in components},
        author=actor,
        at=published_at,
    )
    record(
        IncidentEvent.INCIDENT_PUBLISHED,
        subject=incident,
        at=published_at,
        actor=actor,
        update_id=update.pk,
        status=IncidentStatus.IDENTIFIED,
        severity=severity,
        component_ids=[c.pk for c in components],
        notify=notified,
        reminders=bool(reminders),
        reminder_interval_minutes=interval,
    )
    apply_statuses(
        derive_locked(components), at=published_at, actor=actor, incident=incident, update=update
    )
    return incident


def _component_statuses(
    problems: Problems, raw: Mapping[Any, Any] | None
) -> list[tuple[Component, str]]:
    field = "component_statuses"
    if not raw:
        return []
    if not isinstance(raw, Mapping):
        problems.add(field, f"{field} must map component ids to statuses")
        return []
    components = {c.pk: c for c in _components(problems, field, raw.keys())}
    changes = []
    for key, status in raw.items():
        if status not in ComponentStatus.values:
            problems.add(
                field, f"{field}[{key}]: {_one_of('status', ComponentStatus.choices, status)}"
            )
            continue
        try:
            component = components.get(int(key))
        except (TypeError, ValueError):
            continue
        if component is not None:
            changes.append((component, str(status)))
    return changes


@transaction.atomic
def post_update(
    *,
    actor: User,
    incident: Incident | int,
    status: str,
    message: str,
    notify: bool | None = None,
    component_statuses: Mapping[Any, Any] | None = None,
    at: datetime | None = None,
) -> IncidentUpdate:
    """Post an update on the status page (investigating / identified / monitoring); R10's clock
    for the next update starts again."""
    lifecycle.require_role(actor, IncidentAction.UPDATE)
    incident = _locked_incident(incident)
    lifecycle.require_incident_action(actor, incident, IncidentAction.UPDATE)
    problems = Problems()
    _choice(problems, "status", status, [(s.value, s.label) for s in UPDATE_STATUSES])
    message = _text(problems, "message", message)
    changes = _component_statuses(problems, component_statuses)
    problems.raise_if_any()
    updated_at = _step_time(actor, incident, at)
    notified = _notify(notify, at)
    update = IncidentUpdate.objects.create(
        incident=incident,
        kind=IncidentUpdate.Kind.UPDATE,
        status=status,
        message=message,
        notify=notified,
        component_statuses={str(c.pk): s for c, s in changes},
        author=actor,
        at=updated_at,
    )
    previous_status = incident.status
    incident.status = status
    incident.last_update_at = updated_at
    _update_due(incident, updated_at)
    incident.save(
        update_fields=["status", "last_update_at", "next_update_due_at", "next_reminder_at"]
    )
    record(
        IncidentEvent.INCIDENT_UPDATED,
        subject=incident,
        at=updated_at,
        actor=actor,
        update_id=update.pk,
        status=status,
        previous_status=previous_status,
        notify=notified,
        component_statuses={str(c.pk): s for c, s in changes},
    )
    # A component named in an update is affected by the incident from now on.
    for component, component_status in changes:
        give_status(incident, component, component_status)
    apply_statuses(
        derive_locked([c for c, _ in changes]),
        at=updated_at,
        actor=actor,
        incident=incident,
        update=update,
    )
    return update


def resolution_message_problem(message: str) -> str | None:
    """R11: a concise message of at most two lines."""
    text = (message or "").strip()
    if not text:
        return "R11: the resolution message is required"
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > RESOLUTION_MAX_LINES:
        return (
            f"R11: the resolution message must be at most {RESOLUTION_MAX_LINES} lines "
            f"(it has {len(lines)})"
        )
    if any(len(line.strip()) > RESOLUTION_LINE_MAX for line in lines):
        return (
            f"R11: each line of the resolution message must be at most {RESOLUTION_LINE_MAX} "
            "characters"
        )
    return None


@transaction.atomic
def resolve_incident(
    *,
    actor: User,
    incident: Incident | int,
    message: str,
    notify: bool | None = None,
    at: datetime | None = None,
) -> Incident:
    """R11: resolve with a two-line message; affected components return to operational unless
    another open incident still affects them."""
    lifecycle.require_role(actor, IncidentAction.RESOLVE)
    incident = _locked_incident(incident)
    lifecycle.require_incident_action(actor, incident, IncidentAction.RESOLVE)
    problem = resolution_message_problem(message)
    if problem:
        problems = Problems()
        problems.add("message", problem, "R11")
        problems.raise_if_any()
    message = "\n".join(line.strip() for line in message.strip().splitlines() if line.strip())
    resolved_at = _step_time(actor, incident, at)
    notified = _notify(notify, at)
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = resolved_at
    incident.last_update_at = resolved_at
    incident.next_update_due_at = None
    incident.next_reminder_at = None
    incident.save(
        update_fields=[
            "status",
            "resolved_at",
            "last_update_at",
            "next_update_due_at",
            "next_reminder_at",
        ]
    )
    # This incident no longer gives its components a status; each keeps the last one it gave.
    AffectedComponent.objects.filter(incident=incident).update(active=False)
    statuses = derive_locked(incident.components.all())
    update = IncidentUpdate.objects.create(
        incident=incident,
        kind=IncidentUpdate.Kind.RESOLUTION,
        status=IncidentStatus.RESOLVED,
        message=message,
        notify=notified,
        component_statuses={str(c.pk): status for c, status in statuses},
        author=actor,
        at=resolved_at,
    )
    record(
        IncidentEvent.INCIDENT_RESOLVED,
        subject=incident,
        at=resolved_at,
        actor=actor,
        update_id=update.pk,
        notify=notified,
    )
    # Back to operational, unless another open incident still affects a component.
    apply_statuses(statuses, at=resolved_at, actor=actor, incident=incident, update=update)
    return incident
