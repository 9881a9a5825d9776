"""Helpers for the API tests: a token-carrying client, request bodies, and states built with the
services (the API's own success paths are tested on their own)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.accounts.services import create_api_token
from statusdesk.core.models import Event
from statusdesk.incidents import services
from statusdesk.incidents.models import (
    Component,
    Incident,
    IncidentUpdate,
    Issue,
    Report,
)

BASE = "/api/v1"


class ApiClient:
    """Django's test client speaking JSON with `Authorization: Bearer <token>`."""

    def __init__(self, token: str | None = None, *, authorization: str | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if authorization is not None:
            self.headers["Authorization"] = authorization
        elif token is not None:
            self.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: str) -> HttpResponse:
        return self.client.get(BASE + path, params, headers=self.headers)

    def post(self, path: str, body: Any = None, *, raw: str | bytes | None = None) -> HttpResponse:
        data = raw if raw is not None else json.dumps(body)
        return self.client.post(
            BASE + path, data=data, content_type="application/json", headers=self.headers
        )

    def request(self, method: str, url: str, body: str = "", **headers: str) -> HttpResponse:
        """Any method on any URL (not only under /api/v1)."""
        return self.client.generic(
            method,
            url,
            data=body,
            content_type="application/json",
            headers={**self.headers, **headers},
        )


def client_for(user: User) -> ApiClient:
    _, secret = create_api_token(user.email)
    return ApiClient(secret)


def iso(value: datetime) -> str:
    return value.isoformat()


def utc_z(value: datetime) -> str:
    """How the API writes a time: ISO 8601 in UTC with a Z (milliseconds when not whole)."""
    value = value.astimezone(UTC)
    text = value.isoformat(timespec="milliseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def ago(**delta: float) -> datetime:
    return timezone.now() - timedelta(**delta)


def in_display_zone(value: datetime) -> datetime:
    """The same moment written with a -05:00 offset, as a person in the display zone would."""
    return value.astimezone(timezone.get_fixed_timezone(-300)).replace(microsecond=0)


# --- request bodies ------------------------------------------------------------------------


def report_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Login fails with 500",
        "description": "Every login attempt on the Platform answers 500 since 09:10.",
        "reporter": "customer@example.org",
        "medium": "email",
        "detection": "reactive",
        "users_affected": 12,
        "could_affect_two_or_more": True,
    }
    body.update(overrides)
    return body


def confirm_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "issue_title": "Login answers 500",
        "issue_description": "The session service rejects every token after the deploy.",
        "issue_url": "https://gitlab.example.com/platform/-/issues/42",
    }
    body.update(overrides)
    return body


def publish_body(component_ids: list[int], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Users cannot log in",
        "message": "Logging in to the Platform fails for every user.",
        "workaround": "Use an existing session or the API token.",
        "workaround_url": "https://docs.example.com/platform/api-tokens",
        "component_ids": component_ids,
        "severity": "major_outage",
    }
    body.update(overrides)
    return body


def update_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "monitoring",
        "message": "A fix is deployed; we are watching the error rate.",
    }
    body.update(overrides)
    return body


def resolve_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message": "The incident is resolved.\nLogin works normally again.",
    }
    body.update(overrides)
    return body


# --- states, built with the services -------------------------------------------------------


def make_report(actor: User, **overrides: Any) -> Report:
    fields = report_body()
    fields.update(overrides)
    return services.report_problem(actor=actor, **fields)


def make_confirmed(manager: User, **report_overrides: Any) -> Incident:
    report = make_report(manager, **report_overrides)
    body = confirm_body()
    return services.confirm_incident(actor=manager, report=report, **body)


def make_assigned(manager: User, developer: User) -> Incident:
    incident = make_confirmed(manager)
    return services.assign_developer(actor=manager, incident=incident, developer=developer)


def make_published(manager: User, developer: User, components: list[Component]) -> Incident:
    incident = make_assigned(manager, developer)
    body = publish_body([components[0].pk, components[1].pk])
    return services.publish_incident(actor=manager, incident=incident, **body)


def make_resolved(manager: User, developer: User, components: list[Component]) -> Incident:
    incident = make_published(manager, developer, components)
    return services.resolve_incident(actor=manager, incident=incident, **resolve_body())


# --- "a refused request changed nothing" ---------------------------------------------------


def counts() -> dict[str, int]:
    return {
        "events": Event.objects.count(),
        "reports": Report.objects.count(),
        "issues": Issue.objects.count(),
        "incidents": Incident.objects.count(),
        "updates": IncidentUpdate.objects.count(),
    }


def states() -> list[tuple[Any, ...]]:
    """Every incident's, report's and component's current state, to compare before and after."""
    return [
        *Report.objects.order_by("pk").values_list("pk", "status", "closed_at"),
        *Incident.objects.order_by("pk").values_list(
            "pk", "status", "developer_id", "published_at", "last_update_at", "resolved_at"
        ),
        *Component.objects.order_by("pk").values_list("pk", "status"),
    ]


@contextmanager
def nothing_changes() -> Iterator[None]:
    before = (counts(), states())
    yield
    assert (counts(), states()) == before, "a refused request changed the database"


def assert_error(
    response: HttpResponse,
    status: int,
    *,
    field: str | None = None,
    rule: str | None = None,
    contains: str | None = None,
) -> dict[str, Any]:
    """The one error shape: detail, field, rule, errors (each with field, rule, message)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"detail", "field", "rule", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["errors"], "errors lists at least one problem"
    for item in body["errors"]:
        assert set(item) == {"field", "rule", "message"}
    assert body["field"] == field
    assert body["rule"] == rule
    if field is not None:
        assert field in body["detail"] or any(e["field"] == field for e in body["errors"])
    if contains is not None:
        assert contains in body["detail"], body["detail"]
    return body
