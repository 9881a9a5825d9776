"""R2 over the API: the role matrix. The services and queries decide; the API only reports it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component, Incident, Report, ReportStatus
from tests.factories import (
    a_confirmed_incident,
    a_published_incident,
    a_report,
    an_assigned_incident,
)

from .support import (
    ApiClient,
    ago,
    assert_error,
    client_for,
    confirm_body,
    iso,
    nothing_changes,
    publish_body,
    report_body,
    resolve_body,
    update_body,
)

ROLES = ["admin_user", "manager", "developer", "desk_member", "reporter"]
MANAGERS = {"admin_user", "manager"}

# A write endpoint: how to reach the state it needs, its path, its body, its success status.
Setup = Callable[[User, User, list[Component]], tuple[str, dict[str, Any], int]]


def _report(
    manager: User, developer: User, components: list[Component]
) -> tuple[str, dict[str, Any], int]:
    return "/reports", report_body(), 201


def _confirm(
    manager: User, developer: User, components: list[Component]
) -> tuple[str, dict[str, Any], int]:
    return f"/reports/{a_report(manager).pk}/confirm", confirm_body(), 201


def _dismiss(
    manager: User, developer: User, components: list[Component]
) -> tuple[str, dict[str, Any], int]:
    return f"/reports/{a_report(manager).pk}/dismiss", {"reason": "duplicate"}, 200


def _assign(
    manager: User, developer: User, components: list[Component]
) -> tuple[str, dict[str, Any], int]:
    incident = a_confirmed_incident(manager)
    return f"/incidents/{incident.pk}/assign", {"developer": developer.email}, 200


def _publish(
    manager: User, developer: User, components: list[Component]
) -> tuple[str, dict[str, Any], int]:
    incident = an_assigned_incident(manager, developer)
    return f"/incidents/{incident.pk}/publish", publish_body([components[0].pk]), 200


def _update(
    manager: User, developer: User, components: list[Component]
) -> tuple[str, dict[str, Any], int]:
    incident = a_published_incident(manager, developer, components)
    return f"/incidents/{incident.pk}/updates", update_body(), 201


def _resolve(
    manager: User, developer: User, components: list[Component]
) -> tuple[str, dict[str, Any], int]:
    incident = a_published_incident(manager, developer, components)
    return f"/incidents/{incident.pk}/resolve", resolve_body(), 200


WRITES: dict[str, Setup] = {
    "report": _report,
    "confirm": _confirm,
    "dismiss": _dismiss,
    "assign": _assign,
    "publish": _publish,
    "update": _update,
    "resolve": _resolve,
}
MANAGER_ONLY = set(WRITES) - {"report"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(WRITES))
def test_api_role_matrix_for_write_endpoints(
    request: pytest.FixtureRequest,
    manager: User,
    developer: User,
    components: list[Component],
    endpoint: str,
    role: str,
) -> None:
    path, body, success = WRITES[endpoint](manager, developer, components)
    user: User = request.getfixturevalue(role)
    client = client_for(user)
    allowed = endpoint not in MANAGER_ONLY or role in MANAGERS
    if allowed:
        response = client.post(path, body)
        assert response.status_code == success, response.content
    else:
        with nothing_changes():
            response = client.post(path, body)
        assert_error(response, 403, rule="R2", contains="your role does not allow you")


def test_api_a_user_without_a_role_cannot_report(django_user_model: type[User]) -> None:
    nobody = django_user_model.objects.create_user("nobody@example.com", "x")
    with nothing_changes():
        response = client_for(nobody).post("/reports", report_body())
    assert_error(response, 403, rule="R2")


@pytest.mark.parametrize("role", ["developer", "desk_member", "reporter"])
def test_api_only_managers_backfill_a_report(request: pytest.FixtureRequest, role: str) -> None:
    client = client_for(request.getfixturevalue(role))
    with nothing_changes():
        response = client.post("/reports", report_body(at=iso(ago(hours=1))))
    assert_error(response, 403, field="at")


@pytest.mark.parametrize(("role", "status"), [("admin_user", 201), ("manager", 201)])
def test_api_managers_and_admins_backfill_a_report(
    request: pytest.FixtureRequest, role: str, status: int
) -> None:
    client = client_for(request.getfixturevalue(role))
    assert client.post("/reports", report_body(at=iso(ago(hours=1)))).status_code == status


def test_a_role_refusal_wins_over_bad_input(
    manager: User, developer: User, as_developer: ApiClient
) -> None:
    """A developer learns they may not publish, not which fields they got wrong."""
    incident = an_assigned_incident(manager, developer)
    with nothing_changes():
        response = as_developer.post(f"/incidents/{incident.pk}/publish", publish_body([]))
    assert_error(response, 403, rule="R2")


# --- reads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_api_who_may_list_incidents(
    request: pytest.FixtureRequest, manager: User, role: str
) -> None:
    incident = a_confirmed_incident(manager)
    client = client_for(request.getfixturevalue(role))
    list_response = client.get("/incidents")
    detail_response = client.get(f"/incidents/{incident.pk}")
    if role == "reporter":
        assert_error(list_response, 403, rule="R2", contains="see incidents")
        assert_error(detail_response, 403, rule="R2")
    else:
        assert list_response.status_code == 200
        assert [i["id"] for i in list_response.json()["items"]] == [incident.pk]
        assert detail_response.status_code == 200


def test_api_reporter_cannot_list_incidents_even_with_a_filter(
    as_reporter: ApiClient,
) -> None:
    assert_error(as_reporter.get("/incidents", status="open"), 403, rule="R2")


@pytest.mark.parametrize("role", ROLES)
def test_api_who_sees_which_reports(
    request: pytest.FixtureRequest, manager: User, reporter: User, role: str
) -> None:
    managers_report = a_report(manager)
    reporters_report = a_report(reporter)
    client = client_for(request.getfixturevalue(role))
    seen = {r["id"] for r in client.get("/reports").json()["items"]}
    if role == "reporter":
        assert seen == {reporters_report.pk}
        assert client.get(f"/reports/{managers_report.pk}").status_code == 404
    else:
        assert seen == {managers_report.pk, reporters_report.pk}
        assert client.get(f"/reports/{managers_report.pk}").status_code == 200


def test_reporter_follows_own_report_through_confirmation(
    manager: User, reporter: User, as_reporter: ApiClient, as_manager: ApiClient
) -> None:
    filed = as_reporter.post("/reports", report_body()).json()
    assert filed["filed_by"] == "reporter@example.com"
    confirmed = as_manager.post(f"/reports/{filed['id']}/confirm", confirm_body())
    assert confirmed.status_code == 201
    followed = as_reporter.get(f"/reports/{filed['id']}").json()
    assert followed["status"] == "confirmed"
    assert followed["incident_id"] == confirmed.json()["id"]
    assert Report.objects.get(pk=filed["id"]).status == ReportStatus.CONFIRMED
    assert Incident.objects.get().manager == manager


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_components(
    request: pytest.FixtureRequest, components: list[Component], role: str
) -> None:
    response = client_for(request.getfixturevalue(role)).get("/components")
    assert response.status_code == 200
    assert len(response.json()) == 8
