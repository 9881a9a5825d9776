"""Fixtures for the console tests: signed-in clients per role and incidents in each state."""

from __future__ import annotations

import pytest
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component, Incident, Report


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager_client(manager: User) -> Client:
    return _client(manager)


@pytest.fixture
def developer_client(developer: User) -> Client:
    return _client(developer)


@pytest.fixture
def reporter_client(reporter: User) -> Client:
    return _client(reporter)


@pytest.fixture
def desk_client(desk_member: User) -> Client:
    return _client(desk_member)


def file_report(actor: User, **overrides: object) -> Report:
    values: dict[str, object] = {
        "title": "Scanning jobs stay queued",
        "description": "Machine executions wait in the queue for over an hour.",
        "reporter": "help@example.com",
        "medium": "email",
        "detection": "reactive",
        "users_affected": 3,
        "could_affect_two_or_more": False,
    }
    values.update(overrides)
    return services.report_problem(actor=actor, **values)  # type: ignore[arg-type]


@pytest.fixture
def open_report(manager: User, components: list[Component]) -> Report:
    return file_report(manager)


@pytest.fixture
def single_user_report(reporter: User, components: list[Component]) -> Report:
    return file_report(
        reporter, title="Extension shows an old version", users_affected=1, reporter="rita"
    )


@pytest.fixture
def confirmed(manager: User, open_report: Report) -> Incident:
    return services.confirm_incident(
        actor=manager,
        report=open_report,
        issue_title="Machine queue stalled",
        issue_description="The batch queue has not drained since 06:10.",
        issue_url="https://gitlab.com/example/universe/-/issues/42",
    )


@pytest.fixture
def assigned(manager: User, developer: User, confirmed: Incident) -> Incident:
    return services.assign_developer(actor=manager, incident=confirmed, developer=developer)


@pytest.fixture
def published(manager: User, assigned: Incident, components: list[Component]) -> Incident:
    return services.publish_incident(
        actor=manager,
        incident=assigned,
        name="Scanning delayed for some groups",
        message="New scans wait in the queue; results arrive late.",
        workaround="Run the CLI scanner locally.",
        workaround_url="https://docs.example.com/machine/cli",
        component_ids=[components[5].pk, components[3].pk],
        severity="partial_outage",
    )


@pytest.fixture
def resolved(manager: User, published: Incident) -> Incident:
    return services.resolve_incident(
        actor=manager,
        incident=published,
        message="Scanning is resolved.\nIt works normally again.",
    )
