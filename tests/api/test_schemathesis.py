"""Schemathesis over /api/v1/openapi.json against the real application (Django's whole middleware
stack and the test database, SQLite or PostgreSQL): generated requests, valid and invalid, from the
published schema; every answer must be no server error and must match the schema (status code,
content type, body).

The budget is fixed (MAX_EXAMPLES) and the run deterministic (derandomized, no example database),
so that every run takes about the same time and tries the same requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from statusdesk.accounts.models import User
from statusdesk.accounts.services import create_api_token
from statusdesk.incidents.models import Component
from tests.factories import a_published_incident, a_report, an_assigned_incident

# The budget: 50 generated examples for each of the 13 operations (schemathesis adds its own
# deterministic cases for each field's edges). Measured on the 2-core CI machine: 20-40 s on
# SQLite and as much on PostgreSQL, depending on the machine's load; 100 examples took 65-100 s.
MAX_EXAMPLES = 50


# Loaded once, at collection, through the application itself (the schema needs no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
# Every check of schemathesis runs (no server error, status code, content type, headers and body
# as documented, schema-invalid requests refused, unsupported methods, missing auth, ...). One is
# told what the process allows: a request that is valid for the schema may still break a process
# rule that no schema can state (R1's threshold, a back-filled time before the previous step, a
# component id that names nothing, R11's two lines), and then the answer is 422, documented.
schema.config.checks.positive_data_acceptance.expected_statuses = [
    "2xx",
    "401",
    "403",
    "404",
    "409",
    "422",
]


@pytest.fixture
def kept_connection() -> Iterator[None]:
    """Requests go through Django's real WSGI handler, which closes the database connection
    around each request; the test's transaction lives on that connection, so keep it open (as
    Django's own test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(
    kept_connection: None, manager: User, developer: User, components: list[Component]
) -> dict[str, str]:
    """An incident manager's token, and ids that exist (a report, an assigned and a published
    incident, the seeded components), so that generated requests reach the services."""
    a_report(manager)
    an_assigned_incident(manager, developer)
    a_published_incident(manager, developer, components)
    _, token = create_api_token(manager.email)
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_answers_match_the_schema_and_are_never_server_errors(
    case: Any, bearer: dict[str, str]
) -> None:
    case.call_and_validate(headers=bearer)
