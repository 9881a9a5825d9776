"""Helpers for the API tests: a token-carrying client, request bodies and the one error shape.
States (a report, an incident in each step) come from tests/factories.py."""

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
from statusdesk.incidents.models import (
    Component,
    Incident,
    IncidentUpdate,
    Issue,
    Report,
)
from tests.factories import (
    confirmation_fields,
    publication_fields,
    report_fields,
    resolution_fields,
    update_fields,
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


# --- request bodies: the factories' fields, sent as JSON ---------------------------------------

report_body = report_fields
confirm_body = confirmation_fields
publish_body = publication_fields
update_body = update_fields
resolve_body = resolution_fields


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
