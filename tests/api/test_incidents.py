"""/incidents (list, detail, assign, publish, updates, resolve) and /components."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from statusdesk.accounts.models import User
from statusdesk.core.models import Event
from statusdesk.incidents import services
from statusdesk.incidents.events import ComponentEvent, IncidentEvent
from statusdesk.incidents.models import (
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    IncidentUpdate,
)
from tests.factories import (
    a_confirmed_incident,
    a_published_incident,
    a_report,
    a_resolved_incident,
    an_assigned_incident,
)

from .support import (
    ApiClient,
    ago,
    assert_error,
    confirm_body,
    in_display_zone,
    iso,
    nothing_changes,
    publish_body,
    report_body,
    resolve_body,
    update_body,
    utc_z,
)

# --- POST /incidents/{id}/assign -----------------------------------------------------------


def test_api_assign_developer(manager: User, developer: User, as_manager: ApiClient) -> None:
    incident = a_confirmed_incident(manager)
    response = as_manager.post(f"/incidents/{incident.pk}/assign", {"developer": developer.email})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["developer"] == "developer@example.com"
    assert body["assigned_at"] is not None
    assert body["status"] == "confirmed"
    incident.refresh_from_db()
    assert incident.developer == developer
    event = Event.objects.about(f"incident:{incident.pk}").get(
        kind=IncidentEvent.DEVELOPER_ASSIGNED
    )
    assert event.data == {"developer_id": developer.pk, "previous_developer_id": None}
    assert event.actor == manager


def test_assign_accepts_the_email_in_any_case(
    manager: User, developer: User, as_manager: ApiClient
) -> None:
    incident = a_confirmed_incident(manager)
    response = as_manager.post(
        f"/incidents/{incident.pk}/assign", {"developer": " Developer@Example.COM "}
    )
    assert response.status_code == 200
    assert response.json()["developer"] == "developer@example.com"


@pytest.mark.parametrize(
    ("developer", "contains"),
    [
        ("nobody@example.com", "not an active user with the Developer role"),
        ("desk1@example.com", "only developers can be assigned"),
        ("", "required"),
    ],
)
def test_api_assign_refuses_someone_who_is_not_a_developer(
    manager: User, desk_member: User, as_manager: ApiClient, developer: str, contains: str
) -> None:
    incident = a_confirmed_incident(manager)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/assign", {"developer": developer})
    assert_error(response, 422, field="developer", rule="R4", contains=contains)


def test_assign_missing_or_mistyped_developer_answers_422(
    manager: User, as_manager: ApiClient
) -> None:
    incident = a_confirmed_incident(manager)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/assign", {})
        assert_error(response, 422, field="developer")
        response = as_manager.post(f"/incidents/{incident.pk}/assign", {"developer": ["a"]})
        assert_error(response, 422, field="developer")


def test_assign_the_same_developer_twice_answers_409(
    manager: User, developer: User, as_manager: ApiClient
) -> None:
    incident = an_assigned_incident(manager, developer)
    with nothing_changes():
        response = as_manager.post(
            f"/incidents/{incident.pk}/assign", {"developer": "developer@example.com"}
        )
    assert_error(response, 409, field="developer", contains="already the developer")


def test_assign_after_resolution_answers_409(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_resolved_incident(manager, developer, components)
    with nothing_changes():
        response = as_manager.post(
            f"/incidents/{incident.pk}/assign", {"developer": "developer@example.com"}
        )
    assert_error(response, 409, field="status", contains="resolved")


def test_assign_unknown_incident_answers_404(developer: User, as_manager: ApiClient) -> None:
    response = as_manager.post("/incidents/777/assign", {"developer": developer.email})
    assert_error(response, 404, field="incident", contains="777")


def test_assign_at_before_confirmation_answers_422(
    manager: User, developer: User, as_manager: ApiClient
) -> None:
    incident = a_confirmed_incident(manager)  # confirmed now
    body = {"developer": developer.email, "at": iso(ago(hours=1))}
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/assign", body)
    assert_error(response, 422, field="at", contains="before the confirmation")


# --- POST /incidents/{id}/publish ----------------------------------------------------------


def test_api_publish_sets_status_identified_and_component_severity(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = an_assigned_incident(manager, developer)
    platform, web = components[0], components[1]
    body = publish_body([platform.pk, web.pk], severity="partial_outage")
    response = as_manager.post(f"/incidents/{incident.pk}/publish", body)
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["status"] == "identified"
    assert result["name"] == body["name"]
    assert result["title"] == body["name"]
    assert result["message"] == body["message"]
    assert result["workaround"] == body["workaround"]
    assert result["workaround_url"] == body["workaround_url"]
    assert result["severity"] == "partial_outage"
    assert result["components"] == [
        {
            "id": platform.pk,
            "name": "Platform",
            "status": "partial_outage",
            "component_status": "partial_outage",
        },
        {
            "id": web.pk,
            "name": "Web",
            "status": "partial_outage",
            "component_status": "partial_outage",
        },
    ]
    assert result["notify_subscribers"] is True
    assert result["reminders_enabled"] is True
    assert result["reminder_interval_minutes"] == 60
    incident.refresh_from_db()
    assert incident.published_at is not None
    assert result["published_at"] == utc_z(incident.published_at)
    assert result["next_reminder_at"] == utc_z(incident.published_at + timedelta(minutes=60))
    assert result["next_update_due_at"] == result["next_reminder_at"]
    assert result["update_overdue"] is False
    platform.refresh_from_db()
    assert platform.status == ComponentStatus.PARTIAL_OUTAGE
    assert Component.objects.get(name="Docs").status == ComponentStatus.OPERATIONAL
    publication = IncidentUpdate.objects.get(incident=incident)
    assert publication.kind == IncidentUpdate.Kind.PUBLICATION
    assert publication.status == IncidentStatus.IDENTIFIED
    assert (
        Event.objects.about(f"incident:{incident.pk}")
        .filter(kind=IncidentEvent.INCIDENT_PUBLISHED)
        .count()
        == 1
    )
    changed = Event.objects.about(f"incident:{incident.pk}").filter(
        kind=ComponentEvent.STATUS_CHANGED
    )
    assert changed.count() == 2


def test_api_publish_without_notifications_or_reminders(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = an_assigned_incident(manager, developer)
    body = publish_body([components[2].pk], notify=False, reminders=False)
    result = as_manager.post(f"/incidents/{incident.pk}/publish", body).json()
    assert result["notify_subscribers"] is False
    assert result["reminders_enabled"] is False
    assert result["next_reminder_at"] is None


def test_api_publish_with_a_custom_reminder_interval(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = an_assigned_incident(manager, developer)
    body = publish_body([components[0].pk], reminder_interval_minutes=30)
    result = as_manager.post(f"/incidents/{incident.pk}/publish", body).json()
    assert result["reminder_interval_minutes"] == 30


PUBLISH_FIELDS = ["name", "message", "workaround", "workaround_url", "component_ids", "severity"]


@pytest.mark.parametrize("field", PUBLISH_FIELDS)
def test_api_publish_missing_field_answers_422(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    field: str,
) -> None:
    incident = an_assigned_incident(manager, developer)
    body = publish_body([components[0].pk])
    del body[field]
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/publish", body)
    assert_error(response, 422, field=field, contains=f"{field} is required")


@pytest.mark.parametrize("field", ["name", "message", "workaround", "workaround_url"])
def test_api_publish_blank_field_answers_422_with_rule(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    field: str,
) -> None:
    incident = an_assigned_incident(manager, developer)
    with nothing_changes():
        response = as_manager.post(
            f"/incidents/{incident.pk}/publish", publish_body([components[0].pk], **{field: " "})
        )
    assert_error(response, 422, field=field, rule="R5")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("component_ids", "1"),
        ("component_ids", ["1"]),
        ("component_ids", [1.5]),
        ("component_ids", {"1": True}),
        ("notify", "true"),
        ("notify", 0),
        ("reminders", "no"),
        ("reminder_interval_minutes", "60"),
        ("reminder_interval_minutes", 60.5),
        ("severity", 3),
        ("name", None),
    ],
)
def test_publish_wrong_type_answers_422_naming_the_field(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    field: str,
    value: Any,
) -> None:
    incident = an_assigned_incident(manager, developer)
    body = publish_body([components[0].pk])
    body[field] = value
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/publish", body)
    result = assert_error(response, 422, field=result_field(field, value))
    assert field in result["detail"]


def result_field(field: str, value: Any) -> str:
    """A wrong item inside a list is named by its position: component_ids[0]."""
    return f"{field}[0]" if isinstance(value, list) else field


@pytest.mark.parametrize("ids", [[9999], [1, 9999], [10**20], [0], [-4]])
def test_api_publish_refuses_unknown_component(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    ids: list[int],
) -> None:
    incident = an_assigned_incident(manager, developer)
    ids = [components[0].pk if i == 1 else i for i in ids]
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/publish", publish_body(ids))
    assert_error(response, 422, field="component_ids", rule="R6", contains="unknown component")


def test_api_publish_requires_at_least_one_component(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = an_assigned_incident(manager, developer)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/publish", publish_body([]))
    assert_error(response, 422, field="component_ids", rule="R5", contains="at least one")


@pytest.mark.parametrize(
    "url",
    [
        "docs/api-tokens",
        "not a url",
        "ftp://docs.example.com/x",
        "javascript:alert(1)",
        "https://docs.example.com/" + "a" * 600,
    ],
)
def test_api_publish_refuses_invalid_workaround_url(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    url: str,
) -> None:
    incident = an_assigned_incident(manager, developer)
    body = publish_body([components[0].pk], workaround_url=url)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/publish", body)
    assert_error(response, 422, field="workaround_url", rule="R5")


@pytest.mark.parametrize("severity", ["catastrophic", "under_maintenance", "", "MAJOR_OUTAGE"])
def test_api_publish_refuses_unknown_severity(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    severity: str,
) -> None:
    incident = an_assigned_incident(manager, developer)
    body = publish_body([components[0].pk], severity=severity)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/publish", body)
    assert_error(
        response, 422, field="severity", rule="R5", contains="Major outage, Partial outage"
    )


@pytest.mark.parametrize("minutes", [0, 4, 24 * 60 + 1, -60])
def test_api_publish_refuses_reminder_interval_out_of_range(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    minutes: int,
) -> None:
    incident = an_assigned_incident(manager, developer)
    body = publish_body([components[0].pk], reminder_interval_minutes=minutes)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/publish", body)
    assert_error(response, 422, field="reminder_interval_minutes", rule="R5")


def test_publish_lists_every_rule_problem_at_once(
    manager: User, developer: User, as_manager: ApiClient
) -> None:
    incident = an_assigned_incident(manager, developer)
    body = publish_body([], name="", workaround_url="nope")
    response = as_manager.post(f"/incidents/{incident.pk}/publish", body)
    result = assert_error(response, 422, field="name", rule="R5")
    assert {e["field"] for e in result["errors"]} == {"name", "workaround_url", "component_ids"}


def test_publish_lists_every_schema_problem_at_once_each_with_its_rule(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    """Lengths and choices are checked by the schema (so OpenAPI states them), all at once."""
    incident = an_assigned_incident(manager, developer)
    body = publish_body([components[0].pk], name="n" * 201, severity="bad", notify="yes")
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/publish", body)
    result = assert_error(response, 422, field="name", rule="R5")
    assert [(e["field"], e["rule"]) for e in result["errors"]] == [
        ("name", "R5"),
        ("severity", "R5"),
        ("notify", None),
    ]
    assert result["errors"][0]["message"] == "name must be at most 200 characters"
    assert result["errors"][1]["message"] == (
        "severity must be one of Major outage, Partial outage, Degraded performance or "
        "Operational; got 'bad' (the values are major_outage, partial_outage, "
        "degraded_performance, operational)"
    )


def test_publish_twice_answers_409(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    with nothing_changes():
        response = as_manager.post(
            f"/incidents/{incident.pk}/publish", publish_body([components[0].pk])
        )
    assert_error(response, 409, field="status", contains="already published")


def test_publish_before_assign_answers_409(
    manager: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_confirmed_incident(manager)
    with nothing_changes():
        response = as_manager.post(
            f"/incidents/{incident.pk}/publish", publish_body([components[0].pk])
        )
    assert_error(response, 409, field="developer", rule="R4", contains="assign a developer")


def test_publish_after_resolution_answers_409(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_resolved_incident(manager, developer, components)
    with nothing_changes():
        response = as_manager.post(
            f"/incidents/{incident.pk}/publish", publish_body([components[0].pk])
        )
    assert_error(response, 409, field="status")


def test_publish_unknown_incident_answers_404(
    components: list[Component], as_manager: ApiClient
) -> None:
    response = as_manager.post("/incidents/5150/publish", publish_body([components[0].pk]))
    assert_error(response, 404, field="incident")


def test_publish_at_before_assignment_answers_422(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = an_assigned_incident(manager, developer)
    body = publish_body([components[0].pk], at=iso(ago(minutes=30)))
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/publish", body)
    assert_error(response, 422, field="at", contains="before the assignment")


def test_publish_at_in_the_future_answers_422(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = an_assigned_incident(manager, developer)
    future = timezone.now() + timedelta(minutes=10)
    body = publish_body([components[0].pk], at=iso(future))
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/publish", body)
    assert_error(response, 422, field="at", contains="future")


# --- POST /incidents/{id}/updates ----------------------------------------------------------


def test_post_update_answers_201_with_the_update(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    platform = components[0]
    body = update_body(component_statuses={str(platform.pk): "degraded_performance"})
    response = as_manager.post(f"/incidents/{incident.pk}/updates", body)
    assert response.status_code == 201, response.content
    result = response.json()
    update = IncidentUpdate.objects.get(kind=IncidentUpdate.Kind.UPDATE)
    assert result == {
        "id": update.pk,
        "kind": "update",
        "status": "monitoring",
        "message": "A fix is deployed; we are watching the error rate.",
        "notify": True,
        "component_statuses": {str(platform.pk): "degraded_performance"},
        "author": "manager@example.com",
        "at": utc_z(update.at),
    }
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MONITORING
    assert incident.last_update_at == update.at
    platform.refresh_from_db()
    assert platform.status == ComponentStatus.DEGRADED_PERFORMANCE
    event = Event.objects.about(f"incident:{incident.pk}").get(kind=IncidentEvent.INCIDENT_UPDATED)
    assert event.data["status"] == "monitoring"
    assert event.data["previous_status"] == "identified"


def test_post_update_without_component_changes_or_notification(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    body = update_body(status="investigating", notify=False, component_statuses=None)
    response = as_manager.post(f"/incidents/{incident.pk}/updates", body)
    assert response.status_code == 201
    assert response.json()["notify"] is False
    assert response.json()["component_statuses"] == {}
    assert Component.objects.get(pk=components[0].pk).status == ComponentStatus.PARTIAL_OUTAGE


@pytest.mark.parametrize("status", ["resolved", "confirmed", "fixed", "", "MONITORING"])
def test_post_update_refuses_a_status_an_update_cannot_set(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    status: str,
) -> None:
    incident = a_published_incident(manager, developer, components)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/updates", update_body(status=status))
    assert_error(response, 422, field="status", contains="Investigating, Identified or Monitoring")


@pytest.mark.parametrize("field", ["status", "message"])
def test_post_update_missing_field_answers_422(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    field: str,
) -> None:
    incident = a_published_incident(manager, developer, components)
    body = update_body()
    del body[field]
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/updates", body)
    assert_error(response, 422, field=field, contains=f"{field} is required")


@pytest.mark.parametrize(
    ("component_statuses", "field"),
    [
        ("major_outage", "component_statuses"),
        (["major_outage"], "component_statuses"),
        ({"1": 3}, "component_statuses[1]"),
    ],
)
def test_post_update_wrong_component_statuses_type_answers_422(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    component_statuses: Any,
    field: str,
) -> None:
    incident = a_published_incident(manager, developer, components)
    body = update_body(component_statuses=component_statuses)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/updates", body)
    assert_error(response, 422, field=field)


@pytest.mark.parametrize("key", ["9999", "platform", str(10**20)])
def test_api_update_refuses_unknown_component(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    key: str,
) -> None:
    incident = a_published_incident(manager, developer, components)
    body = update_body(component_statuses={key: "operational"})
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/updates", body)
    assert_error(response, 422, field="component_statuses", rule="R6", contains=key)


def test_post_update_refuses_unknown_component_status(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    body = update_body(component_statuses={str(components[0].pk): "on fire"})
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/updates", body)
    assert_error(
        response,
        422,
        field=f"component_statuses[{components[0].pk}]",
        contains="or Under maintenance; got 'on fire' (the values are operational,",
    )


def test_update_before_publish_answers_409(
    manager: User, developer: User, as_manager: ApiClient
) -> None:
    incident = an_assigned_incident(manager, developer)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/updates", update_body())
    assert_error(response, 409, field="status", rule="R5", contains="not published")


def test_update_after_resolve_answers_409(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_resolved_incident(manager, developer, components)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/updates", update_body())
    assert_error(response, 409, field="status", contains="resolved")


def test_update_unknown_incident_answers_404(as_manager: ApiClient) -> None:
    assert_error(as_manager.post("/incidents/8080/updates", update_body()), 404, field="incident")


def test_update_at_before_the_last_update_answers_422(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)  # published now
    with nothing_changes():
        response = as_manager.post(
            f"/incidents/{incident.pk}/updates", update_body(at=iso(ago(minutes=5)))
        )
    assert_error(response, 422, field="at", contains="before the publication")


# --- POST /incidents/{id}/resolve ----------------------------------------------------------


def test_api_resolve_returns_components_to_operational(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    response = as_manager.post(f"/incidents/{incident.pk}/resolve", resolve_body())
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["status"] == "resolved"
    assert result["resolved_at"] is not None
    assert result["next_reminder_at"] is None
    # What this incident gave its components stays on it; the components are operational again.
    assert {c["status"] for c in result["components"]} == {"partial_outage"}
    assert {c["component_status"] for c in result["components"]} == {"operational"}
    assert result["next_update_due_at"] is None
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert result["resolved_at"] == utc_z(incident.resolved_at)
    assert set(Component.objects.values_list("status", flat=True)) == {"operational"}
    resolution = IncidentUpdate.objects.get(kind=IncidentUpdate.Kind.RESOLUTION)
    assert resolution.message == "The incident is resolved.\nLogin works normally again."
    assert (
        Event.objects.about(f"incident:{incident.pk}")
        .filter(kind=IncidentEvent.INCIDENT_RESOLVED)
        .count()
        == 1
    )


def test_api_refuses_three_line_resolution(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    body = resolve_body(message="Resolved.\nLogin works again.\nThanks for your patience.")
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/resolve", body)
    assert_error(response, 422, field="message", rule="R11", contains="at most 2 lines")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED


@pytest.mark.parametrize("message", ["", "   \n  "])
def test_api_refuses_empty_resolution(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    message: str,
) -> None:
    incident = a_published_incident(manager, developer, components)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/resolve", {"message": message})
    assert_error(response, 422, field="message", rule="R11", contains="required")


def test_resolve_missing_or_mistyped_message_answers_422(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/resolve", {})
        assert_error(response, 422, field="message")
        response = as_manager.post(f"/incidents/{incident.pk}/resolve", {"message": ["a", "b"]})
        assert_error(response, 422, field="message")
        response = as_manager.post(
            f"/incidents/{incident.pk}/resolve", resolve_body(notify="false")
        )
        assert_error(response, 422, field="notify")


def test_resolve_twice_answers_409(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_resolved_incident(manager, developer, components)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/resolve", resolve_body())
    assert_error(response, 409, field="status", contains="resolved")


def test_resolve_before_publish_answers_409(
    manager: User, developer: User, as_manager: ApiClient
) -> None:
    incident = an_assigned_incident(manager, developer)
    with nothing_changes():
        response = as_manager.post(f"/incidents/{incident.pk}/resolve", resolve_body())
    assert_error(response, 409, field="status", rule="R11", contains="not published")


def test_resolve_unknown_incident_answers_404(as_manager: ApiClient) -> None:
    response = as_manager.post("/incidents/404/resolve", resolve_body())
    assert_error(response, 404, field="incident")


def test_resolve_at_before_the_last_update_answers_422(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    with nothing_changes():
        response = as_manager.post(
            f"/incidents/{incident.pk}/resolve", resolve_body(at=iso(ago(hours=1)))
        )
    assert_error(response, 422, field="at", contains="before the publication")


def test_resolve_at_in_the_future_answers_422(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    future = timezone.now() + timedelta(hours=2)
    with nothing_changes():
        response = as_manager.post(
            f"/incidents/{incident.pk}/resolve", resolve_body(at=iso(future))
        )
    assert_error(response, 422, field="at", contains="future")


# --- malformed bodies on every write endpoint ----------------------------------------------

WRITE_PATHS = [
    "/reports",
    "/reports/{report}/confirm",
    "/reports/{report}/dismiss",
    "/incidents/{incident}/assign",
    "/incidents/{incident}/publish",
    "/incidents/{incident}/updates",
    "/incidents/{incident}/resolve",
]


@pytest.mark.parametrize("path", WRITE_PATHS)
def test_every_write_endpoint_answers_malformed_json_with_400(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient, path: str
) -> None:
    incident = a_published_incident(manager, developer, components)
    report = a_report(manager)
    url = path.format(report=report.pk, incident=incident.pk)
    with nothing_changes():
        response = as_manager.post(url, raw='{"message": "unterminated')
    assert_error(response, 400, field="body", contains="not valid JSON")


@pytest.mark.parametrize("path", WRITE_PATHS)
def test_every_write_endpoint_refuses_unknown_fields(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient, path: str
) -> None:
    incident = a_published_incident(manager, developer, components)
    report = a_report(manager)
    url = path.format(report=report.pk, incident=incident.pk)
    with nothing_changes():
        response = as_manager.post(url, {"surprise": True})
    assert response.status_code == 422
    result = response.json()
    assert "surprise is not a known field" in result["detail"]
    assert {"field": "surprise", "rule": None, "message": "surprise is not a known field"} in (
        result["errors"]
    )


# --- GET /incidents, /incidents/{id} -------------------------------------------------------


def test_list_incidents_newest_first(
    manager: User, developer: User, components: list[Component], as_developer: ApiClient
) -> None:
    first = a_resolved_incident(manager, developer, components)
    second = a_published_incident(manager, developer, components)
    third = a_confirmed_incident(manager)
    response = as_developer.get("/incidents")
    assert response.status_code == 200
    assert response.json()["next"] is None
    body = response.json()["items"]
    assert [i["id"] for i in body] == [third.pk, second.pk, first.pk]
    assert [i["status"] for i in body] == ["confirmed", "identified", "resolved"]
    assert "timeline" not in body[0]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("open", {"confirmed", "identified"}),
        ("resolved", {"resolved"}),
        ("identified", {"identified"}),
        ("confirmed", {"confirmed"}),
        ("monitoring", set()),
    ],
)
def test_list_incidents_filters_by_status(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    status: str,
    expected: set[str],
) -> None:
    a_resolved_incident(manager, developer, components)
    a_published_incident(manager, developer, components)
    a_confirmed_incident(manager)
    body = as_manager.get("/incidents", status=status).json()["items"]
    assert {i["status"] for i in body} == expected


def test_list_incidents_without_a_filter_lists_every_incident(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    a_resolved_incident(manager, developer, components)
    a_confirmed_incident(manager)
    listed = as_manager.get("/incidents").json()["items"]
    assert {i["status"] for i in listed} == {"confirmed", "resolved"}


@pytest.mark.parametrize("status", ["on_fire", "", "OPEN"])
def test_list_incidents_unknown_status_filter_answers_422(
    as_manager: ApiClient, status: str
) -> None:
    response = as_manager.get("/incidents", status=status)
    assert_error(
        response,
        422,
        field="status",
        contains="status must be one of Open (not resolved yet), Confirmed, not yet published, "
        "Investigating, Identified, Monitoring or Resolved; got",
    )


def test_get_incident_with_updates_and_timeline(
    manager: User, developer: User, components: list[Component], as_desk_member: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    services.post_update(actor=manager, incident=incident, **update_body())
    services.resolve_incident(actor=manager, incident=incident, **resolve_body())
    response = as_desk_member.get(f"/incidents/{incident.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == incident.pk
    assert body["status"] == "resolved"
    report = incident.report
    assert body["detection"] == {
        "reporter": report.reporter,
        "medium": report.medium,
        "detection": report.detection,
        "users_affected": report.users_affected,
        "could_affect_two_or_more": report.could_affect_two_or_more,
    } | {"reported_at": body["detection"]["reported_at"]}
    assert parse_datetime(body["detection"]["reported_at"]) == report.reported_at.replace(
        microsecond=report.reported_at.microsecond // 1000 * 1000
    )
    assert [(u["kind"], u["status"]) for u in body["updates"]] == [
        ("publication", "identified"),
        ("update", "monitoring"),
        ("resolution", "resolved"),
    ]
    kinds = [entry["kind"] for entry in body["timeline"]]
    assert kinds == [
        "report.filed",
        "incident.confirmed",
        "issue.opened",
        "developer.assigned",
        "incident.published",
        "component.status_changed",
        "component.status_changed",
        "incident.updated",
        "incident.resolved",
        "component.status_changed",
        "component.status_changed",
    ]
    first = body["timeline"][0]
    assert first["label"] == "Problem reported"
    assert first["actor"] == "manager@example.com"
    assert first["data"]["medium"] == "email"
    assert first["at"].endswith("Z")
    assigned = body["timeline"][3]
    assert assigned["label"] == "Developer assigned"
    assert assigned["data"] == {"developer_id": developer.pk, "previous_developer_id": None}
    assert assigned["detail"] == "Accountable developer: developer@example.com"
    resolved = body["timeline"][-3]
    assert resolved["detail"] == "The incident is resolved.\nLogin works normally again."
    assert body["allowed_actions"] == []
    assert (body["update_count"], body["timeline_count"]) == (3, 11)
    labels = {entry["label"] for entry in body["timeline"]}
    assert {"Published on the status page", "Update posted", "Resolved"} <= labels


def test_get_unknown_incident_answers_404(as_manager: ApiClient) -> None:
    assert_error(as_manager.get("/incidents/123456"), 404, field="incident", contains="123456")


@pytest.mark.parametrize("incident_id", ["x", str(2**63)])
def test_incident_id_that_is_not_an_id_answers_422(as_manager: ApiClient, incident_id: str) -> None:
    assert_error(as_manager.get(f"/incidents/{incident_id}"), 422, field="incident_id")


# --- GET /components -----------------------------------------------------------------------


def test_api_lists_the_default_components_in_order(
    components: list[Component], as_reporter: ApiClient
) -> None:
    response = as_reporter.get("/components")
    assert response.status_code == 200
    body = response.json()
    assert [(c["name"], c["code_name"]) for c in body] == [
        ("Platform", "Integrates"),
        ("Web", "Airs"),
        ("Docs", "Docs"),
        ("Agent", "Forces"),
        ("Cloning", "Melts"),
        ("Scanning", "Machine"),
        ("Extensions", "Retrieves"),
        ("Mailing", "Mailing"),
    ]
    assert body[0] == {
        "id": components[0].pk,
        "name": "Platform",
        "code_name": "Integrates",
        "description": components[0].description,
        "status": "operational",
        "position": 1,
    }


def test_components_show_their_current_status(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    a_published_incident(manager, developer, components)
    statuses = {c["name"]: c["status"] for c in as_manager.get("/components").json()}
    assert statuses["Platform"] == "partial_outage"
    assert statuses["Web"] == "partial_outage"
    assert statuses["Docs"] == "operational"


# --- the whole journey, back-filled --------------------------------------------------------


def test_backfilled_journey_records_every_time_in_utc(
    developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    """An incident manager records a past incident after the fact, times in UTC-5."""
    start = ago(days=2)
    t = [in_display_zone(start + timedelta(minutes=m)) for m in (0, 10, 20, 30, 90, 150)]
    report = as_manager.post("/reports", report_body(at=iso(t[0]))).json()
    incident = as_manager.post(
        f"/reports/{report['id']}/confirm", confirm_body(at=iso(t[1]))
    ).json()
    path = f"/incidents/{incident['id']}"
    assigned = as_manager.post(f"{path}/assign", {"developer": developer.email, "at": iso(t[2])})
    assert assigned.status_code == 200, assigned.content
    published = as_manager.post(f"{path}/publish", publish_body([components[0].pk], at=iso(t[3])))
    assert published.status_code == 200, published.content
    update = as_manager.post(f"{path}/updates", update_body(at=iso(t[4])))
    assert update.status_code == 201, update.content
    resolved = as_manager.post(f"{path}/resolve", resolve_body(at=iso(t[5])))
    assert resolved.status_code == 200, resolved.content

    body = as_manager.get(path).json()
    assert body["confirmed_at"] == utc_z(t[1])
    assert body["assigned_at"] == utc_z(t[2])
    assert body["published_at"] == utc_z(t[3])
    assert body["resolved_at"] == utc_z(t[5])
    assert [u["at"] for u in body["updates"]] == [utc_z(t[3]), utc_z(t[4]), utc_z(t[5])]
    assert body["timeline"][0]["at"] == utc_z(t[0])
    assert body["timeline"][-1]["at"] == utc_z(t[5])
    assert as_manager.get(f"/reports/{report['id']}").json()["reported_at"] == utc_z(t[0])
    stored = Incident.objects.get(pk=incident["id"])
    assert stored.resolved_at == t[5]


def test_incident_detail_says_which_steps_the_caller_may_take(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    as_desk_member: ApiClient,
) -> None:
    confirmed = a_confirmed_incident(manager)
    assert as_manager.get(f"/incidents/{confirmed.pk}").json()["allowed_actions"] == ["assign"]
    assigned = an_assigned_incident(manager, developer)
    body = as_manager.get(f"/incidents/{assigned.pk}").json()
    assert body["allowed_actions"] == ["assign", "publish"]
    published = a_published_incident(manager, developer, components)
    body = as_manager.get(f"/incidents/{published.pk}").json()
    assert body["allowed_actions"] == ["assign", "update", "resolve"]
    # The same incident, for a role that takes no step: no buttons to render.
    assert as_desk_member.get(f"/incidents/{published.pk}").json()["allowed_actions"] == []


def test_a_backfilled_api_step_notifies_only_when_asked(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    # `at` records history: even a time of a moment ago is a back-filled step.
    silent = as_manager.post(
        f"/incidents/{incident.pk}/updates", update_body(at=iso(timezone.now()))
    ).json()
    assert silent["notify"] is False
    loud = as_manager.post(
        f"/incidents/{incident.pk}/updates", update_body(at=iso(timezone.now()), notify=True)
    ).json()
    assert loud["notify"] is True
    now = as_manager.post(f"/incidents/{incident.pk}/updates", update_body()).json()
    assert now["notify"] is True
