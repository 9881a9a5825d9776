"""The one set of test factories: reports and incidents in every state, built step by step
through the real services (no shortcuts past the rules).

Every suite (rules, services, API, console, browser, public pages) builds its data here; the
fixtures in tests/conftest.py are thin wrappers around these functions.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component, Incident, Report


def a_report(actor: User, **overrides: Any) -> Report:
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
    return services.report_problem(actor=actor, **fields)


def a_confirmed_incident(
    manager: User,
    *,
    at: datetime | None = None,
    report_at: datetime | None = None,
    **report: Any,
) -> Incident:
    filed = a_report(manager, at=report_at, **report)
    return services.confirm_incident(
        actor=manager,
        report=filed,
        issue_title="Login returns 500",
        issue_description="POST /login raises KeyError in the session backend.",
        issue_url="https://gitlab.example.com/product/-/issues/42",
        at=at,
    )


def an_assigned_incident(manager: User, developer: User) -> Incident:
    incident = a_confirmed_incident(manager)
    return services.assign_developer(actor=manager, incident=incident, developer=developer.email)


def publication(components: list[Component], **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": "Users cannot log in to the Platform",
        "message": "Logging in to the Platform fails with an error for some users.",
        "workaround": "Use single sign-on from the organization page.",
        "workaround_url": "https://docs.example.com/sso",
        "component_ids": [components[0].pk, components[1].pk],
        "severity": "partial_outage",
    }
    fields.update(overrides)
    return fields


def a_published_incident(
    manager: User, developer: User, components: list[Component], **overrides: Any
) -> Incident:
    incident = an_assigned_incident(manager, developer)
    return services.publish_incident(
        actor=manager, incident=incident, **publication(components, **overrides)
    )


def an_incident_assigned_in_the_past(manager: User, developer: User, *, hours: float) -> Incident:
    """Reported, confirmed and assigned `hours` ago (back-filled), so later steps may be too."""
    start = timezone.now() - timedelta(hours=hours)
    incident = a_confirmed_incident(manager, at=start, report_at=start)
    return services.assign_developer(
        actor=manager, incident=incident, developer=developer.email, at=start
    )


def a_resolved_incident(
    manager: User, developer: User, components: list[Component], **overrides: Any
) -> Incident:
    incident = a_published_incident(manager, developer, components, **overrides)
    return services.resolve_incident(
        actor=manager,
        incident=incident,
        message="The incident is resolved.\nLogin works normally again.",
    )


def a_dismissed_report(manager: User, *, reason: str, **report: Any) -> Report:
    filed = a_report(manager, **report)
    return services.dismiss_report(actor=manager, report=filed, reason=reason)


def an_update(manager: User, incident: Incident, **overrides: Any) -> Any:
    """A public update: monitoring, with a message, unless told otherwise."""
    fields: dict[str, Any] = {"status": "monitoring", "message": "A fix is deployed; watching."}
    fields.update(overrides)
    return services.post_update(actor=manager, incident=incident, **fields)
