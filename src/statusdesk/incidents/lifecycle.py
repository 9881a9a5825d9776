"""What a user may do to a report or an incident now: the one state machine of the process.

The services ask it before every step (and refuse with its reason), the console asks it which
panels to show, and the API returns it as `allowed_actions`, so a client renders the same buttons.

    confirmed ──assign──► (developer) ──publish──► identified ⇄ investigating ⇄ monitoring
        ▲                                              │ update (any of the three)
        └── a report: open ──confirm (R1)──┘           └──resolve (R11)──► resolved

Reassigning is allowed until the resolution; publishing needs a developer (the process publishes
"after assigning a developer"); updates and the resolution need the publication.
"""

from __future__ import annotations

from enum import StrEnum

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import MANAGE_INCIDENTS
from statusdesk.core.errors import IllegalTransition, NotAllowed, ProcessError, RuleViolation
from statusdesk.incidents.models import Incident, Report, ReportStatus


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


class IncidentAction(StrEnum):
    ASSIGN = "assign"
    PUBLISH = "publish"
    UPDATE = "update"
    RESOLVE = "resolve"


class ReportAction(StrEnum):
    CONFIRM = "confirm"
    DISMISS = "dismiss"


_INCIDENT_VERBS = {
    IncidentAction.ASSIGN: "assign developers",
    IncidentAction.PUBLISH: "publish incidents",
    IncidentAction.UPDATE: "post incident updates",
    IncidentAction.RESOLVE: "resolve incidents",
}
_REPORT_VERBS = {
    ReportAction.CONFIRM: "confirm incidents",
    ReportAction.DISMISS: "triage reports",
}


def _role_refusal(user: User, verb: str) -> NotAllowed | None:
    if user.is_active and user.has_perm(MANAGE_INCIDENTS):
        return None
    return NotAllowed(f"your role does not allow you to {verb}", rule="R2")


def require_role(user: User, action: IncidentAction | ReportAction) -> None:
    """The role check alone, before the step looks anything up (403 comes before 404)."""
    verb = _INCIDENT_VERBS[action] if isinstance(action, IncidentAction) else _REPORT_VERBS[action]
    refused = _role_refusal(user, verb)
    if refused is not None:
        raise refused


def incident_refusal(user: User, incident: Incident, action: IncidentAction) -> ProcessError | None:
    """Why `user` may not take `action` on `incident` now (403 role, 409 state), or None."""
    refused = _role_refusal(user, _INCIDENT_VERBS[action])
    if refused is not None:
        return refused
    ref = f"INC-{incident.pk}"
    if incident.is_resolved:
        done = {
            IncidentAction.ASSIGN: "reassigned",
            IncidentAction.PUBLISH: "published",
            IncidentAction.UPDATE: "updated",
            IncidentAction.RESOLVE: "resolved again",
        }[action]
        return IllegalTransition(f"incident {ref} is resolved: it cannot be {done}", field="status")
    if action is IncidentAction.PUBLISH:
        if incident.is_published:
            return IllegalTransition(
                f"incident {ref} is already published; post an update instead", field="status"
            )
        if incident.developer_id is None:
            return IllegalTransition(
                "assign a developer before publishing: the process publishes after assignment",
                field="developer",
                rule="R4",
            )
    if action in (IncidentAction.UPDATE, IncidentAction.RESOLVE) and not incident.is_published:
        verb = "updated" if action is IncidentAction.UPDATE else "resolved"
        return IllegalTransition(
            f"incident {ref} is not published yet: publish it before it can be {verb}",
            field="status",
            rule="R5" if action is IncidentAction.UPDATE else "R11",
        )
    return None


def require_incident_action(user: User, incident: Incident, action: IncidentAction) -> None:
    refused = incident_refusal(user, incident, action)
    if refused is not None:
        raise refused


def allowed_incident_actions(user: User, incident: Incident) -> list[IncidentAction]:
    """The steps `user` may take on `incident` now, in the process's order."""
    return [a for a in IncidentAction if incident_refusal(user, incident, a) is None]


def next_step(user: User, incident: Incident) -> IncidentAction | None:
    """The step the process waits for, when `user` can take it: assign, then publish. Once
    published, updates and the resolution are the manager's call, not a next step."""
    # Asked for every row of a list: only the two steps it can name are checked.
    if (
        incident.developer_id is None
        and incident_refusal(user, incident, IncidentAction.ASSIGN) is None
    ):
        return IncidentAction.ASSIGN
    if incident_refusal(user, incident, IncidentAction.PUBLISH) is None:
        return IncidentAction.PUBLISH
    return None


def report_refusal(user: User, report: Report, action: ReportAction) -> ProcessError | None:
    """Why `user` may not confirm or dismiss `report` now (403 role, 409 state, 422 R1), or None."""
    refused = _role_refusal(user, _REPORT_VERBS[action])
    if refused is not None:
        return refused
    if report.status != ReportStatus.OPEN:
        return IllegalTransition(
            f"report R-{report.pk} is already {report.get_status_display().lower()}",
            field="status",
        )
    if action is ReportAction.CONFIRM:
        below = incident_threshold_problem(report)
        if below:
            return RuleViolation(below, field="users_affected", rule="R1")
    return None


def require_report_action(user: User, report: Report, action: ReportAction) -> None:
    refused = report_refusal(user, report, action)
    if refused is not None:
        raise refused


def allowed_report_actions(user: User, report: Report) -> list[ReportAction]:
    return [a for a in ReportAction if report_refusal(user, report, a) is None]
