"""The one set of test factories: the fields of each process step, and reports and incidents in
every state built step by step through the real services (no shortcuts past the rules).

Every suite builds its data here: the rule and service tests call the builders, the API tests send
the same fields as JSON bodies (tests/api/support.py), the console tests get the states as
fixtures (tests/conftest.py).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component, Incident, Report
from statusdesk.notifications import services as notification_services
from statusdesk.notifications.models import Subscriber, SubscriberKind
from statusdesk.postmortems import services as postmortem_services
from statusdesk.postmortems.models import Postmortem

# --- the fields of each step ------------------------------------------------------------------


def report_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": "Login fails with an error 500",
        "description": "Several customers cannot log in to the platform since 09:00.",
        "reporter": "customer@client.example",
        "medium": "email",
        "detection": "reactive",
        "users_affected": 3,
        "could_affect_two_or_more": True,
    }
    fields.update(overrides)
    return fields


def confirmation_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "issue_title": "Login returns 500",
        "issue_description": "POST /login raises KeyError in the session backend.",
        "issue_url": "https://gitlab.example.com/product/-/issues/42",
    }
    fields.update(overrides)
    return fields


def publication_fields(component_ids: list[int] | None = None, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "Users cannot log in to the Platform",
        "message": "Logging in to the Platform fails with an error for some users.",
        "workaround": "Use single sign-on from the organization page.",
        "workaround_url": "https://docs.example.com/sso",
        "component_ids": component_ids or [],
        "severity": "partial_outage",
    }
    fields.update(overrides)
    return fields


def publication(components: list[Component], **overrides: Any) -> dict[str, Any]:
    """Publication fields naming the first two components (unless `component_ids` says others)."""
    overrides.setdefault("component_ids", [components[0].pk, components[1].pk])
    return publication_fields(**overrides)


def update_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "status": "monitoring",
        "message": "A fix is deployed; we are watching the error rate.",
    }
    fields.update(overrides)
    return fields


def resolution_fields(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"message": "The incident is resolved.\nLogin works normally again."}
    fields.update(overrides)
    return fields


# --- states, through the services -------------------------------------------------------------


def a_report(actor: User, **overrides: Any) -> Report:
    return services.report_problem(actor=actor, **report_fields(**overrides))


def a_confirmed_incident(
    manager: User,
    *,
    at: datetime | None = None,
    report_at: datetime | None = None,
    **report: Any,
) -> Incident:
    filed = a_report(manager, at=report_at, **report)
    return services.confirm_incident(actor=manager, report=filed, at=at, **confirmation_fields())


def an_assigned_incident(manager: User, developer: User) -> Incident:
    incident = a_confirmed_incident(manager)
    return services.assign_developer(actor=manager, incident=incident, developer=developer.email)


def a_published_incident(
    manager: User, developer: User, components: list[Component], **overrides: Any
) -> Incident:
    incident = an_assigned_incident(manager, developer)
    return services.publish_incident(
        actor=manager, incident=incident, **publication(components, **overrides)
    )


def a_resolved_incident(
    manager: User, developer: User, components: list[Component], **overrides: Any
) -> Incident:
    incident = a_published_incident(manager, developer, components, **overrides)
    return services.resolve_incident(actor=manager, incident=incident, **resolution_fields())


def an_incident_assigned_in_the_past(manager: User, developer: User, *, hours: float) -> Incident:
    """Reported, confirmed and assigned `hours` ago (back-filled), so later steps may be too."""
    start = timezone.now() - timedelta(hours=hours)
    incident = a_confirmed_incident(manager, at=start, report_at=start)
    return services.assign_developer(
        actor=manager, incident=incident, developer=developer.email, at=start
    )


# --- subscribers (statusdesk.notifications) ---------------------------------------------------


def subscriber_fields(**overrides: Any) -> dict[str, Any]:
    """What an administrator sends to add a subscriber (POST /api/v1/subscribers)."""
    fields: dict[str, Any] = {"email": "ana@client.example", "confirmed": True}
    fields.update(overrides)
    return fields


def a_subscriber(admin: User, **overrides: Any) -> Subscriber:
    """A subscriber added by an administrator (confirmed unless `confirmed=False`)."""
    return notification_services.add_subscriber(actor=admin, **subscriber_fields(**overrides))


def many_confirmed_subscribers(count: int, *, domain: str = "subscribers.example") -> int:
    """`count` confirmed e-mail subscribers to every component, written in bulk: the volume the
    fault tests and the benchmark need, where one service call each would take minutes. Each is
    what `add_subscriber(confirmed=True)` makes, without its event. Returns the first id."""
    now = timezone.now()
    for start in range(0, count, 5000):
        rows = [
            Subscriber(
                kind=SubscriberKind.EMAIL,
                email=f"s{i}@{domain}",
                all_components=True,
                key=secrets.token_hex(16),
                created_at=now,
                confirmed_at=now,
            )
            for i in range(start, min(start + 5000, count))
        ]
        Subscriber.objects.bulk_create(rows, batch_size=1000)
    first = Subscriber.objects.filter(email=f"s0@{domain}").values_list("pk", flat=True).first()
    return int(first or 0)


def many_webhook_subscribers(count: int, *, base_url: str) -> None:
    """`count` confirmed webhook subscribers, `<base_url>/hook/<i>` each, written in bulk (see
    many_confirmed_subscribers), each with its own signing secret."""
    now = timezone.now()
    for start in range(0, count, 5000):
        rows = [
            Subscriber(
                kind=SubscriberKind.WEBHOOK,
                webhook_url=f"{base_url}/hook/{i}",
                all_components=True,
                secret=notification_services.new_webhook_secret(),
                key=secrets.token_hex(16),
                created_at=now,
                confirmed_at=now,
            )
            for i in range(start, min(start + 5000, count))
        ]
        Subscriber.objects.bulk_create(rows, batch_size=1000)


# Strings that exist only in the non-public parts of a scene: a public page must never show them.
SECRETS = {
    "report_title": "SECRET-report-title-7f3a",
    "report_description": "SECRET-report-description-91bc",
    "reporter": "secret.reporter@client.example",
    "issue_title": "SECRET-issue-title-44de",
    "issue_description": "SECRET-issue-description-0a1f",
    "issue_url": "https://gitlab.example.com/secret-issue-5521",
    "draft_title": "SECRET-unpublished-incident-2b77",
}


def a_secret_draft(
    manager: User, *, at: datetime | None = None, issue_title: str = SECRETS["issue_title"]
) -> Incident:
    """A confirmed incident, not published, whose report and issue carry the SECRETS."""
    report = a_report(
        manager,
        at=at,
        title=SECRETS["report_title"],
        description=SECRETS["report_description"],
        reporter=SECRETS["reporter"],
    )
    return services.confirm_incident(
        actor=manager,
        report=report,
        issue_title=issue_title,
        issue_description=SECRETS["issue_description"],
        issue_url=SECRETS["issue_url"],
        at=at,
    )


def a_past_incident(
    manager: User,
    developer: User,
    components: list[Component],
    *,
    days_ago: float,
    hours: float,
    name: str,
    severity: str = "partial_outage",
    updates: tuple[tuple[str, str], ...] = (),
    resolve: bool = True,
    **fields: Any,
) -> Incident:
    """Reported, confirmed, assigned and published `days_ago` (back-filled), with its updates
    spread over `hours`, and resolved at the end unless `resolve` is false. The report and the issue
    carry the SECRETS, which public pages must never show."""
    start = timezone.now() - timedelta(days=days_ago)
    incident = a_secret_draft(manager, at=start)
    services.assign_developer(actor=manager, incident=incident, developer=developer, at=start)
    services.publish_incident(
        actor=manager,
        incident=incident,
        at=start + timedelta(minutes=5),
        **publication(components, name=name, severity=severity, **fields),
    )
    step = timedelta(hours=hours) / (len(updates) + 1)
    for number, (status, message) in enumerate(updates, start=1):
        services.post_update(
            actor=manager,
            incident=incident,
            status=status,
            message=message,
            at=start + step * number,
        )
    if resolve:
        services.resolve_incident(
            actor=manager,
            incident=incident,
            message=f"{name}: resolved.\nIt works normally again.",
            at=start + timedelta(hours=hours),
        )
    incident.refresh_from_db()
    return incident


def a_status_page_history(
    manager: User, developer: User, components: list[Component]
) -> dict[str, Incident]:
    """What a status page looks like after a few months: resolved incidents across three months
    (one within the last 7 days), one active incident with updates, and an incident confirmed but
    never published (a draft, with a secret name)."""
    by_key = {c.key: c for c in components}
    platform = by_key.get("platform", components[0])
    web = by_key.get("web", components[1])
    scanning = by_key.get("scanning", components[2])
    docs = by_key.get("docs", components[3])
    scene = {
        "old": a_past_incident(
            manager,
            developer,
            components,
            days_ago=70,
            hours=5,
            name="Slow documentation search",
            severity="degraded_performance",
            component_ids=[docs.pk],
        ),
        "last_month": a_past_incident(
            manager,
            developer,
            components,
            days_ago=33,
            hours=3,
            name="Web console unavailable",
            severity="major_outage",
            component_ids=[web.pk, platform.pk],
            updates=(("monitoring", "A fix is deployed; we are watching the error rate."),),
        ),
        "recent": a_past_incident(
            manager,
            developer,
            components,
            days_ago=3,
            hours=2,
            name="Delayed e-mail notifications",
            severity="partial_outage",
            component_ids=[by_key.get("mailing", components[-1]).pk],
        ),
        "active": a_past_incident(
            manager,
            developer,
            components,
            days_ago=0.1,
            hours=2,
            resolve=False,
            name="Scans wait in the queue",
            severity="partial_outage",
            component_ids=[scanning.pk],
            workaround="Run the CLI scanner locally until the queue drains.",
            workaround_url="https://docs.example.com/machine/cli",
            updates=(("investigating", "Workers restarted; the queue is still not draining."),),
        ),
    }
    scene["draft"] = a_secret_draft(manager, issue_title=SECRETS["draft_title"])
    scene["assigned_draft"] = services.assign_developer(
        actor=manager, incident=a_secret_draft(manager), developer=developer
    )
    return scene


def a_dismissed_report(manager: User, *, reason: str, **report: Any) -> Report:
    filed = a_report(manager, **report)
    return services.dismiss_report(actor=manager, report=filed, reason=reason)


def an_update(manager: User, incident: Incident, **overrides: Any) -> Any:
    """A public update: monitoring, with a message, unless told otherwise."""
    return services.post_update(actor=manager, incident=incident, **update_fields(**overrides))


def components_from_before() -> list[Component]:
    """The default components as if added long before the 90-day window (made outside the
    services: no "added" event, so the uptime has data on every day of the window)."""
    from statusdesk.incidents.components import DEFAULT_COMPONENTS

    for position, (key, name, code_name, description) in enumerate(DEFAULT_COMPONENTS, start=1):
        Component.objects.create(
            key=key, name=name, code_name=code_name, description=description, position=position
        )
    return list(Component.objects.order_by("position"))


# --- postmortems (statusdesk.postmortems) -----------------------------------------------------


def postmortem_fields(**overrides: Any) -> dict[str, Any]:
    """Every field of a complete postmortem (R13–R19); `cause_merged_at` is left to the caller
    (it must come before the incident's report)."""
    fields: dict[str, Any] = {
        "impact": "Some customers could not log in for a while.",
        "cause": "A change to how sessions are stored forgot the customers who signed in "
        "before it.",
        "five_whys": [
            {"why": "Why did login fail?", "because": "The session store lost old sessions."},
            {"why": "Why were they lost?", "because": "The new store read another format."},
        ],
        "cause_merge_request_url": "https://gitlab.example.com/product/-/merge_requests/1234",
        "solution": "We taught the new store to read the old sessions.",
        "fix_merge_request_url": "https://github.com/example/product/pull/77",
        "conclusion": "Changes to stored data need a test with data from before the change.",
        "taxonomy": "DATA_QUALITY < FAILED_MIGRATION",
    }
    fields.update(overrides)
    return fields


def a_backfilled_resolved_incident(
    manager: User,
    developer: User,
    components: list[Component],
    *,
    reported_hours_ago: float = 6,
    resolved_after: timedelta = timedelta(minutes=45),
    updates: int = 1,
    **report: Any,
) -> Incident:
    """Reported `reported_hours_ago` (back-filled), published 5 minutes later, `updates`
    updates in between, and resolved `resolved_after` the report."""
    start = timezone.now() - timedelta(hours=reported_hours_ago)
    incident = a_confirmed_incident(manager, at=start, report_at=start, **report)
    services.assign_developer(actor=manager, incident=incident, developer=developer, at=start)
    services.publish_incident(
        actor=manager,
        incident=incident,
        at=start + timedelta(minutes=5),
        **publication(components),
    )
    step = (resolved_after - timedelta(minutes=5)) / (updates + 1)
    for number in range(1, updates + 1):
        services.post_update(
            actor=manager,
            incident=incident,
            at=start + timedelta(minutes=5) + step * number,
            **update_fields(),
        )
    services.resolve_incident(
        actor=manager, incident=incident, at=start + resolved_after, **resolution_fields()
    )
    incident.refresh_from_db()
    return incident


def a_postmortem(manager: User, incident: Incident, **overrides: Any) -> Postmortem:
    """A complete postmortem written by `manager`; the causing merge request merged 3.5 hours
    before the report unless `cause_merged_at` says otherwise."""
    overrides.setdefault(
        "cause_merged_at", incident.report.reported_at - timedelta(hours=3, minutes=30)
    )
    return postmortem_services.write_postmortem(
        actor=manager, incident=incident, **postmortem_fields(**overrides)
    )


def a_published_postmortem(manager: User, incident: Incident, **overrides: Any) -> Postmortem:
    a_postmortem(manager, incident, **overrides)
    return postmortem_services.publish_postmortem(actor=manager, incident=incident)


def a_follow_up_action(
    manager: User,
    incident: Incident,
    *,
    owner: User,
    description: str = "Add a test with sessions from before the change",
    due_on: Any = None,
) -> Any:
    return postmortem_services.add_follow_up_action(
        actor=manager,
        incident=incident,
        description=description,
        owner=owner.email,
        due_on=due_on or timezone.localdate() + timedelta(days=7),
    )


# --- the Incident Desk (statusdesk.desk) -------------------------------------------------------


def a_desk_of(admin: User, count: int = 4, *, domain: str = "desk.example") -> list[User]:
    """`count` standing members of the Incident Desk (desk members, added by `admin`)."""
    from statusdesk.accounts.roles import Role
    from statusdesk.accounts.services import ensure_user
    from statusdesk.desk import services as desk_services

    people = []
    for n in range(1, count + 1):
        person, _ = ensure_user(
            f"member{n}@{domain}", role=Role.DESK_MEMBER, full_name=f"Member {n}"
        )
        if not desk_services.standing_members().filter(user=person).exists():
            desk_services.add_standing_member(actor=admin, user=person, why="knows the business")
        people.append(person)
    return people


def another_developer(email: str = "developer2@example.com") -> User:
    from statusdesk.accounts.roles import Role
    from statusdesk.accounts.services import ensure_user

    person, _ = ensure_user(email, role=Role.DEVELOPER, full_name="Second Developer")
    return person
