"""The process steps from report to resolution (rules R1, R3, R4, R5, R6, R11).

Each step checks the actor's role, validates its input against the rules, changes the models and
appends its events in one transaction. Views, the API and the CLI call these and nothing else to
change an incident, so every rule lives here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import (
    BACKFILL,
    MANAGE_INCIDENTS,
    REPORT_PROBLEM,
    Role,
)
from statusdesk.core.errors import IllegalTransition, NotAllowed, NotFound, Problems
from statusdesk.core.events import record
from statusdesk.core.models import EventKind
from statusdesk.core.time import effective_time
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

# R6: the components of the process document, in its order (key, name, code name, what it is).
DEFAULT_COMPONENTS: list[tuple[str, str, str, str]] = [
    ("platform", "Platform", "Integrates", "The Fluid Attacks application and its API."),
    (
        "web",
        "Web",
        "Airs",
        "The homepage and all information about Fluid Attacks and its products.",
    ),
    ("docs", "Docs", "Docs", "The documentation."),
    ("agent", "Agent", "Forces", "The client-side part of the DevSecOps agent."),
    (
        "cloning",
        "Cloning",
        "Melts",
        "Downloads the end users' code repositories and other utilities hackers require.",
    ),
    (
        "scanning",
        "Scanning",
        "Machine",
        "Scans source code, infrastructure and applications and reports security problems.",
    ),
    (
        "extensions",
        "Extensions",
        "Retrieves",
        "Visual Studio Code extension that points reported vulnerabilities to file and line.",
    ),
    ("mailing", "Mailing", "Mailing", "Sends notifications to users of Fluid Attacks products."),
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


def _choice(
    problems: Problems,
    field: str,
    value: str | None,
    choices: Iterable[str],
    *,
    rule: str | None = None,
) -> str:
    allowed = list(choices)
    if value not in allowed:
        problems.add(field, f"{field} must be one of {', '.join(allowed)}; got {value!r}", rule)
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


def _require_open(incident: Incident, action: str) -> None:
    if incident.is_resolved:
        raise IllegalTransition(
            f"incident INC-{incident.pk} is resolved: it cannot be {action}", field="status"
        )


def _require_live(incident: Incident, action: str, *, rule: str) -> None:
    """Updates and the resolution are posted on the status page: published and not resolved."""
    _require_open(incident, action)
    if not incident.is_published:
        raise IllegalTransition(
            f"incident INC-{incident.pk} is not published yet: publish it before it can be "
            f"{action.removesuffix(' again')}",
            field="status",
            rule=rule,
        )


# From least to most serious: a component shows the most serious status any open incident gives it.
_SERIOUSNESS: dict[str, int] = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}


def _derived_status(component: Component) -> str:
    """The most serious status that an open, published incident gives the component."""
    given = AffectedComponent.objects.filter(
        component=component,
        incident__published_at__isnull=False,
        incident__status__in=UPDATE_STATUSES,
    ).values_list("status", flat=True)
    return max(given, key=lambda status: _SERIOUSNESS[status], default=ComponentStatus.OPERATIONAL)


def _refresh_component_statuses(
    components: Iterable[Component], *, at: datetime, actor: User, incident: Incident
) -> dict[str, str]:
    """Set each component to its derived status, with an event for each change; returns the
    resulting status of every component, by id."""
    locked = Component.objects.select_for_update().filter(pk__in=[c.pk for c in components])
    result = {}
    for component in locked.order_by("pk"):
        status = _derived_status(component)
        result[str(component.pk)] = status
        if component.status == status:
            continue
        previous = component.status
        component.status = status
        component.status_changed_at = at
        component.save(update_fields=["status", "status_changed_at"])
        record(
            EventKind.COMPONENT_STATUS_CHANGED,
            at=at,
            actor=actor,
            incident=incident,
            component=component,
            previous=previous,
            status=status,
            component_name=component.name,
        )
    return result


def _give_status(incident: Incident, component: Component, status: str) -> None:
    AffectedComponent.objects.update_or_create(
        incident=incident, component=component, defaults={"status": status}
    )


# --- components (R6) ---------------------------------------------------------------------


@transaction.atomic
def ensure_default_components() -> int:
    """R6: create the eight components of the process document if missing; returns how many.

    Components are recognised by their key, so one an administrator renamed is not added again."""
    created = 0
    for position, (key, name, code_name, description) in enumerate(DEFAULT_COMPONENTS, start=1):
        _, was_created = Component.objects.get_or_create(
            key=key,
            defaults={
                "name": name,
                "code_name": code_name,
                "description": description,
                "position": position,
            },
        )
        created += int(was_created)
    return created


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
    _choice(problems, "medium", medium, Medium.values, rule="R3")
    _choice(problems, "detection", detection, Detection.values, rule="R3")
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
        EventKind.REPORT_FILED,
        at=reported_at,
        actor=actor,
        report=report,
        reporter=reporter,
        medium=medium,
        detection=detection,
        users_affected=users_affected,
        could_affect_two_or_more=bool(could_affect_two_or_more),
    )
    return report


def meets_incident_threshold(report: Report) -> bool:
    """R1: it has affected, or could affect, at least two users (internal users count too)."""
    return report.users_affected >= 2 or report.could_affect_two_or_more


def incident_threshold_problem(report: Report) -> str | None:
    """R1: why a report cannot become an incident, or None when it can."""
    if meets_incident_threshold(report):
        return None
    users = "1 user" if report.users_affected == 1 else f"{report.users_affected} users"
    return (
        f"R1: an incident must have affected, or be able to affect, at least two users; this "
        f"report affected {users} and could not affect two or more, so it stays a report"
    )


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
    _require(actor, MANAGE_INCIDENTS, "confirm incidents")
    report = _locked_report(report)
    if report.status != ReportStatus.OPEN:
        raise IllegalTransition(
            f"report R-{report.pk} is already {report.get_status_display().lower()}",
            field="status",
        )
    threshold = incident_threshold_problem(report)
    problems = Problems()
    if threshold:
        problems.add("users_affected", threshold, "R1")
        problems.raise_if_any()
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
        EventKind.INCIDENT_CONFIRMED,
        at=confirmed_at,
        actor=actor,
        report=report,
        incident=incident,
        manager=actor.email,
    )
    record(
        EventKind.ISSUE_OPENED,
        at=confirmed_at,
        actor=actor,
        report=report,
        incident=incident,
        title=issue_title,
        url=issue_url,
    )
    return incident


@transaction.atomic
def dismiss_report(
    *, actor: User, report: Report | int, reason: str, at: datetime | None = None
) -> Report:
    """Close a report that is not an incident (R1 not met, duplicate, not a fault...)."""
    _require(actor, MANAGE_INCIDENTS, "triage reports")
    report = _locked_report(report)
    if report.status != ReportStatus.OPEN:
        raise IllegalTransition(
            f"report R-{report.pk} is already {report.get_status_display().lower()}",
            field="status",
        )
    problems = Problems()
    reason = _text(problems, "reason", reason, label="reason for dismissing")
    problems.raise_if_any()
    dismissed_at = _when(actor, at, not_before=report.reported_at, not_before_label="the report")
    report.status = ReportStatus.DISMISSED
    report.dismissed_reason = reason
    report.closed_at = dismissed_at
    report.save(update_fields=["status", "dismissed_reason", "closed_at"])
    record(EventKind.REPORT_DISMISSED, at=dismissed_at, actor=actor, report=report, reason=reason)
    return report


def assignable_developers() -> Any:
    return User.objects.filter(is_active=True, groups__name=Role.DEVELOPER.value).distinct()


@transaction.atomic
def assign_developer(
    *, actor: User, incident: Incident | int, developer: User | str, at: datetime | None = None
) -> Incident:
    """R4 (+R2): the Incident Manager assigns the one accountable developer."""
    _require(actor, MANAGE_INCIDENTS, "assign developers")
    incident = _locked_incident(incident)
    _require_open(incident, "reassigned")
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
    assigned_at = _when(
        actor,
        at,
        not_before=incident.assigned_at or incident.confirmed_at,
        not_before_label="the previous assignment" if incident.assigned_at else "the confirmation",
    )
    previous = incident.developer.email if incident.developer else None
    incident.developer = person
    incident.assigned_at = assigned_at
    incident.save(update_fields=["developer", "assigned_at"])
    record(
        EventKind.DEVELOPER_ASSIGNED,
        at=assigned_at,
        actor=actor,
        incident=incident,
        developer=person.email,
        previous=previous,
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
    notify: bool = True,
    reminders: bool = True,
    reminder_interval_minutes: int = DEFAULT_REMINDER_MINUTES,
    at: datetime | None = None,
) -> Incident:
    """R5: publish on the status page with status `identified`; components take the severity."""
    _require(actor, MANAGE_INCIDENTS, "publish incidents")
    incident = _locked_incident(incident)
    _require_open(incident, "published")
    if incident.is_published:
        raise IllegalTransition(
            f"incident INC-{incident.pk} is already published; post an update instead",
            field="status",
        )
    if incident.developer_id is None:
        raise IllegalTransition(
            "assign a developer before publishing: the process publishes after assignment",
            field="developer",
            rule="R4",
        )
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
    _choice(problems, "severity", severity, Severity.values, rule="R5")
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
    published_at = _when(
        actor, at, not_before=incident.assigned_at, not_before_label="the assignment"
    )
    incident.name = name
    incident.message = message
    incident.workaround = workaround
    incident.workaround_url = workaround_url
    incident.severity = severity
    incident.status = IncidentStatus.IDENTIFIED
    incident.notify_subscribers = bool(notify)
    incident.reminders_enabled = bool(reminders)
    incident.reminder_interval_minutes = interval
    incident.published_at = published_at
    incident.last_update_at = published_at
    incident.next_reminder_at = published_at + timedelta(minutes=interval) if reminders else None
    incident.save()
    for component in components:
        _give_status(incident, component, severity)
    IncidentUpdate.objects.create(
        incident=incident,
        kind=IncidentUpdate.Kind.PUBLICATION,
        status=IncidentStatus.IDENTIFIED,
        message=message,
        notify=bool(notify),
        component_statuses={str(c.pk): severity for c in components},
        author=actor,
        at=published_at,
    )
    record(
        EventKind.INCIDENT_PUBLISHED,
        at=published_at,
        actor=actor,
        incident=incident,
        name=name,
        status=IncidentStatus.IDENTIFIED,
        severity=severity,
        components=[c.name for c in components],
        notify=bool(notify),
        reminders=bool(reminders),
        reminder_interval_minutes=interval,
    )
    _refresh_component_statuses(components, at=published_at, actor=actor, incident=incident)
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
                field,
                f"{field}[{key}]: status must be one of {', '.join(ComponentStatus.values)}; "
                f"got {status!r}",
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
    notify: bool = True,
    component_statuses: Mapping[Any, Any] | None = None,
    at: datetime | None = None,
) -> IncidentUpdate:
    """Post an update on the status page (investigating / identified / monitoring)."""
    _require(actor, MANAGE_INCIDENTS, "post incident updates")
    incident = _locked_incident(incident)
    _require_live(incident, "updated", rule="R5")
    problems = Problems()
    _choice(problems, "status", status, [s.value for s in UPDATE_STATUSES])
    message = _text(problems, "message", message)
    changes = _component_statuses(problems, component_statuses)
    problems.raise_if_any()
    updated_at = _when(
        actor, at, not_before=incident.last_update_at, not_before_label="the last update"
    )
    update = IncidentUpdate.objects.create(
        incident=incident,
        kind=IncidentUpdate.Kind.UPDATE,
        status=status,
        message=message,
        notify=bool(notify),
        component_statuses={str(c.pk): s for c, s in changes},
        author=actor,
        at=updated_at,
    )
    previous_status = incident.status
    incident.status = status
    incident.last_update_at = updated_at
    if incident.reminders_enabled:
        incident.next_reminder_at = updated_at + timedelta(
            minutes=incident.reminder_interval_minutes
        )
    incident.save(update_fields=["status", "last_update_at", "next_reminder_at"])
    record(
        EventKind.INCIDENT_UPDATED,
        at=updated_at,
        actor=actor,
        incident=incident,
        update_id=update.pk,
        status=status,
        previous_status=previous_status,
        message=message,
        notify=bool(notify),
        component_statuses={c.name: s for c, s in changes},
    )
    # A component named in an update is affected by the incident from now on.
    for component, component_status in changes:
        _give_status(incident, component, component_status)
    _refresh_component_statuses(
        [c for c, _ in changes], at=updated_at, actor=actor, incident=incident
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
    notify: bool = True,
    at: datetime | None = None,
) -> Incident:
    """R11: resolve with a two-line message; affected components return to operational."""
    _require(actor, MANAGE_INCIDENTS, "resolve incidents")
    incident = _locked_incident(incident)
    _require_live(incident, "resolved again", rule="R11")
    problem = resolution_message_problem(message)
    if problem:
        problems = Problems()
        problems.add("message", problem, "R11")
        problems.raise_if_any()
    message = "\n".join(line.strip() for line in message.strip().splitlines() if line.strip())
    resolved_at = _when(
        actor, at, not_before=incident.last_update_at, not_before_label="the last update"
    )
    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = resolved_at
    incident.last_update_at = resolved_at
    incident.next_reminder_at = None
    incident.save(update_fields=["status", "resolved_at", "last_update_at", "next_reminder_at"])
    record(
        EventKind.INCIDENT_RESOLVED,
        at=resolved_at,
        actor=actor,
        incident=incident,
        message=message,
        notify=bool(notify),
    )
    # Back to operational, unless another open incident still affects a component.
    statuses = _refresh_component_statuses(
        incident.components.all(), at=resolved_at, actor=actor, incident=incident
    )
    IncidentUpdate.objects.create(
        incident=incident,
        kind=IncidentUpdate.Kind.RESOLUTION,
        status=IncidentStatus.RESOLVED,
        message=message,
        notify=bool(notify),
        component_statuses=statuses,
        author=actor,
        at=resolved_at,
    )
    return incident
