"""The JSON shapes of the API (/api/v1/): what a request may send and what it gets back.

Input schemas check types strictly ("5" is not a number, 1 is not a boolean, a time is an ISO 8601
string), lengths and choices, so that OpenAPI says what the server accepts; they refuse unknown
fields, so a typo is never silently dropped. Every rule of the process is left to the services,
whose messages name the rule (R1–R20); a length or a choice refused here names the rule too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
)

from statusdesk.accounts.models import User
from statusdesk.core.inputs import Limit, OneOf, datetime_string
from statusdesk.incidents import lifecycle, queries
from statusdesk.incidents.limits import (
    DEFAULT_REMINDER_MINUTES,
    EMAIL_MAX,
    REPORTER_MAX,
    TEXT_MAX,
    TITLE_MAX,
    URL_MAX,
)
from statusdesk.incidents.models import (
    UPDATE_STATUSES,
    AffectedComponent,
    ComponentStatus,
    Detection,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Medium,
    Report,
    ReportStatus,
    Severity,
)
from statusdesk.incidents.timeline import TimelineEntry, incident_events, incident_timeline


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; Django's form fields refuse it the same way.
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Text = Annotated[StrictStr, AfterValidator(_no_nul)]
At = Annotated[
    datetime | None,
    BeforeValidator(datetime_string),
    Field(
        description="When the step happened, an ISO 8601 date-time string with a time zone "
        "(2024-03-01T10:00:00Z); omit for now. Only incident managers and administrators may "
        "send it (back-filling history); never in the future, never before the previous step."
    ),
]
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
Notify = Annotated[
    StrictBool | None,
    Field(
        description="Notify subscribers of this step. Default: true; false when `at` back-fills "
        "a past step (history is recorded, not announced) unless sent explicitly."
    ),
]

# The choices a request may name, with the words a person reads in a refusal.
MEDIUM = OneOf.of(Medium, rule="R3")
DETECTION = OneOf.of(Detection, rule="R3")
SEVERITY = OneOf.of(Severity, rule="R5")
UPDATE_STATUS = OneOf.of([(s.value, s.label) for s in UPDATE_STATUSES])
COMPONENT_STATUS = OneOf.of(ComponentStatus)
REPORT_STATUS_FILTER = OneOf.of(ReportStatus, empty_is_missing=False)
INCIDENT_STATUS_FILTER = OneOf.of(
    [(queries.OPEN, "Open (not resolved yet)"), *IncidentStatus.choices], empty_is_missing=False
)

ReportStatusFilter = Annotated[StrictStr, REPORT_STATUS_FILTER]
IncidentStatusFilter = Annotated[StrictStr, INCIDENT_STATUS_FILTER]


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


# --- requests ------------------------------------------------------------------------------


class ReportIn(InputSchema):
    title: Annotated[Text, Limit(TITLE_MAX)]
    description: Annotated[Text, Limit(TEXT_MAX)]
    reporter: Annotated[Text, Limit(REPORTER_MAX, rule="R3")] = Field(
        description="Who reported the problem (a person or an address)."
    )
    medium: Annotated[StrictStr, MEDIUM] = Field(description="Through which medium (R3).")
    detection: Annotated[StrictStr, DETECTION] = Field(description="How it was detected (R3).")
    users_affected: StrictInt
    could_affect_two_or_more: StrictBool
    at: At = None


class ConfirmIn(InputSchema):
    issue_title: Annotated[Text, Limit(TITLE_MAX, rule="R4")]
    issue_description: Annotated[Text, Limit(TEXT_MAX, rule="R4")]
    issue_url: Annotated[Text, Limit(URL_MAX, rule="R4")] | None = Field(
        None, description="Optional link to an external tracker."
    )
    at: At = None


class DismissIn(InputSchema):
    reason: Annotated[Text, Limit(TEXT_MAX)]
    at: At = None


class AssignIn(InputSchema):
    developer: Annotated[Text, Limit(EMAIL_MAX, rule="R4")] = Field(
        description="The e-mail address of a user with the Developer role."
    )
    at: At = None


class PublishIn(InputSchema):
    name: Annotated[Text, Limit(TITLE_MAX, rule="R5")]
    message: Annotated[Text, Limit(TEXT_MAX, rule="R5")]
    workaround: Annotated[Text, Limit(TEXT_MAX, rule="R5")]
    workaround_url: Annotated[Text, Limit(URL_MAX, rule="R5")]
    component_ids: list[StrictInt]
    severity: Annotated[StrictStr, SEVERITY] = Field(
        description="The status the components take (R5)."
    )
    notify: Notify = None
    reminders: StrictBool = True
    reminder_interval_minutes: StrictInt = DEFAULT_REMINDER_MINUTES
    at: At = None


class UpdateIn(InputSchema):
    status: Annotated[StrictStr, UPDATE_STATUS]
    message: Annotated[Text, Limit(TEXT_MAX)]
    notify: Notify = None
    component_statuses: dict[str, Annotated[StrictStr, COMPONENT_STATUS]] | None = Field(
        None, description="Component id → new status, for the components this update changes."
    )
    at: At = None


class ResolveIn(InputSchema):
    message: Annotated[Text, Limit(TEXT_MAX, rule="R11")] = Field(
        description="At most two lines (R11)."
    )
    notify: Notify = None
    at: At = None


# --- answers -------------------------------------------------------------------------------


class ComponentOut(Schema):
    id: int
    name: str
    code_name: str
    description: str
    status: str
    position: int


class AffectedComponentOut(Schema):
    """A component the incident affects, with the status this incident gives it (once resolved,
    the last one it gave: what this incident did), apart from the component's live status."""

    id: int
    name: str
    status: str = Field(description="The status this incident gives (or gave) the component.")
    component_status: str = Field(description="The component's status now, from every incident.")

    @staticmethod
    def resolve_id(obj: AffectedComponent) -> int:
        return obj.component_id

    @staticmethod
    def resolve_name(obj: AffectedComponent) -> str:
        return obj.component.name

    @staticmethod
    def resolve_component_status(obj: AffectedComponent) -> str:
        return obj.component.status


class IssueOut(Schema):
    title: str
    description: str
    url: str


class ReportOut(Schema):
    id: int
    title: str
    description: str
    reporter: str
    filed_by: str
    medium: str
    detection: str
    users_affected: int
    could_affect_two_or_more: bool
    reported_at: UtcDatetime
    status: str
    dismissed_reason: str
    closed_at: UtcDatetime | None
    incident_id: int | None
    meets_incident_threshold: bool = Field(
        description="R1: it has affected, or could affect, at least two users."
    )

    @staticmethod
    def resolve_meets_incident_threshold(obj: Report) -> bool:
        return lifecycle.meets_incident_threshold(obj)

    @staticmethod
    def resolve_filed_by(obj: Report) -> str:
        return obj.filed_by.email

    @staticmethod
    def resolve_incident_id(obj: Report) -> int | None:
        # The reverse one-to-one raises (an AttributeError) while the report has no incident.
        incident = getattr(obj, "incident", None)
        return incident.pk if incident is not None else None


def _email(user: User | None) -> str | None:
    return user.email if user is not None else None


class DetectionOut(Schema):
    """R3: who reported the problem, through which medium, when, and how it was detected."""

    reporter: str
    medium: str
    detection: str
    users_affected: int
    could_affect_two_or_more: bool
    reported_at: UtcDatetime


class IncidentOut(Schema):
    id: int
    status: str
    name: str
    title: str
    message: str
    workaround: str
    workaround_url: str
    severity: str
    components: list[AffectedComponentOut]
    notify_subscribers: bool
    reminders_enabled: bool
    reminder_interval_minutes: int
    next_update_due_at: UtcDatetime | None = Field(
        description="R10: when the next public update is due (in the past: it is overdue)."
    )
    update_overdue: bool
    next_reminder_at: UtcDatetime | None
    manager: str
    developer: str | None
    issue: IssueOut
    report_id: int
    detection: DetectionOut
    confirmed_at: UtcDatetime
    assigned_at: UtcDatetime | None
    published_at: UtcDatetime | None
    last_update_at: UtcDatetime | None
    resolved_at: UtcDatetime | None

    @staticmethod
    def resolve_components(obj: Incident) -> list[AffectedComponent]:
        return list(obj.affected.all())

    @staticmethod
    def resolve_update_overdue(obj: Incident) -> bool:
        return queries.update_overdue(obj)

    @staticmethod
    def resolve_detection(obj: Incident) -> Report:
        return obj.report

    @staticmethod
    def resolve_manager(obj: Incident) -> str:
        return obj.manager.email

    @staticmethod
    def resolve_developer(obj: Incident) -> str | None:
        return _email(obj.developer)


class UpdateOut(Schema):
    id: int
    kind: str
    status: str
    message: str
    notify: bool
    component_statuses: dict[str, str]
    author: str
    at: UtcDatetime

    @staticmethod
    def resolve_author(obj: IncidentUpdate) -> str:
        return obj.author.email


class TimelineEntryOut(Schema):
    at: UtcDatetime
    kind: str
    label: str
    detail: str = Field(description="What the step changed, in words.")
    actor: str | None
    data: dict[str, Any] = Field(description="The event's payload: ids and values.")

    @staticmethod
    def resolve_actor(obj: TimelineEntry) -> str | None:
        return _email(obj.actor)


class NotificationCountsOut(Schema):
    """How many notifications of one update are queued (or being sent), sent, retrying and
    failed (dead-lettered)."""

    update_id: int
    queued: int
    sent: int
    retrying: int
    failed: int


# An incident's answer carries the latest of its history; all of it is a paged list away.
DETAIL_HISTORY = 50


class IncidentDetailOut(IncidentOut):
    allowed_actions: list[str] = Field(
        description="The steps the caller may take on this incident now (assign, publish, update, "
        "resolve): render these buttons."
    )
    updates: list[UpdateOut] = Field(
        description=f"The latest {DETAIL_HISTORY} status page updates, oldest first; every one, "
        "page by page: GET /incidents/{id}/updates."
    )
    update_count: int = Field(description="How many updates the incident has in all.")
    timeline: list[TimelineEntryOut] = Field(
        description=f"The latest {DETAIL_HISTORY} entries of the incident's history (event log), "
        "oldest first; all of it, page by page: GET /incidents/{id}/timeline."
    )
    timeline_count: int = Field(description="How many entries the whole timeline has.")
    notifications: list[NotificationCountsOut] = Field(
        description="Per update shown in `updates` (oldest first): how many notifications to "
        "subscribers are queued, sent, retrying and failed."
    )

    @staticmethod
    def resolve_allowed_actions(obj: Incident, context: dict[str, Any]) -> list[str]:
        user = context["request"].auth
        return [str(action) for action in lifecycle.allowed_incident_actions(user, obj)]

    @staticmethod
    def resolve_updates(obj: Incident) -> list[IncidentUpdate]:
        return list(reversed(queries.latest_updates(obj, DETAIL_HISTORY)))

    @staticmethod
    def resolve_update_count(obj: Incident) -> int:
        return queries.incident_updates(obj).count()

    @staticmethod
    def resolve_timeline(obj: Incident) -> list[TimelineEntry]:
        return incident_timeline(obj, latest=DETAIL_HISTORY)

    @staticmethod
    def resolve_timeline_count(obj: Incident) -> int:
        return incident_events(obj).count()

    @staticmethod
    def resolve_notifications(obj: Incident) -> list[dict[str, int]]:
        from statusdesk.notifications.services import counts_by_update

        ids = sorted(u.pk for u in queries.latest_updates(obj, DETAIL_HISTORY))
        counts = counts_by_update(ids)
        return [{"update_id": pk, **counts[pk]} for pk in ids]


# --- pages of a list -----------------------------------------------------------------------

_NEXT = Field(
    description="The address of the next page (the same filters and limit), or null on the last "
    "page: follow it until it is null to read the whole list."
)
_NEXT_CURSOR = Field(
    description="The next page's cursor alone (pass it as `cursor`), or null on the last page."
)


class ReportPage(Schema):
    items: list[ReportOut]
    next: str | None = _NEXT
    next_cursor: str | None = _NEXT_CURSOR


class IncidentPage(Schema):
    items: list[IncidentOut]
    next: str | None = _NEXT
    next_cursor: str | None = _NEXT_CURSOR


class UpdatePage(Schema):
    items: list[UpdateOut]
    next: str | None = _NEXT
    next_cursor: str | None = _NEXT_CURSOR


class TimelinePage(Schema):
    items: list[TimelineEntryOut]
    next: str | None = _NEXT
    next_cursor: str | None = _NEXT_CURSOR
