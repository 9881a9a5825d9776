"""POST/GET /reports, /reports/{id}, /reports/{id}/confirm and /reports/{id}/dismiss."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.core.models import Event
from statusdesk.incidents.events import IncidentEvent
from statusdesk.incidents.models import Incident, Report, ReportStatus
from tests.factories import a_confirmed_incident, a_report

from .support import (
    ApiClient,
    ago,
    assert_error,
    confirm_body,
    in_display_zone,
    iso,
    nothing_changes,
    report_body,
    utc_z,
)

# --- POST /reports -------------------------------------------------------------------------


def test_report_a_problem_answers_201_with_the_report(manager: User, as_manager: ApiClient) -> None:
    before = timezone.now()
    sent = report_body()
    response = as_manager.post("/reports", sent)
    assert response.status_code == 201, response.content
    body = response.json()
    report = Report.objects.get()
    assert body == {
        "id": report.pk,
        **sent,
        "filed_by": "manager@example.com",
        "reported_at": utc_z(report.reported_at),
        "status": "open",
        "dismissed_reason": "",
        "closed_at": None,
        "incident_id": None,
        "meets_incident_threshold": True,
    }
    assert body["reported_at"].endswith("Z")
    assert report.filed_by == manager
    assert report.reported_at >= before
    event = Event.objects.get()
    assert event.kind == IncidentEvent.REPORT_FILED
    assert event.subject == f"report:{report.pk}"
    assert event.actor == manager


def test_api_records_reporter_medium_and_detection(as_desk_member: ApiClient) -> None:
    body = report_body(
        reporter="a colleague in the internal chat",
        medium="chat",
        detection="proactive",
        users_affected=0,
        could_affect_two_or_more=True,
    )
    response = as_desk_member.post("/reports", body)
    assert response.status_code == 201
    report = Report.objects.get(pk=response.json()["id"])
    assert (report.reporter, report.medium, report.detection) == (
        "a colleague in the internal chat",
        "chat",
        "proactive",
    )
    assert report.filed_by.email == "desk1@example.com"
    event = Event.objects.about(f"report:{report.pk}").get()
    assert event.data["medium"] == "chat"
    assert event.data["detection"] == "proactive"


def test_report_below_the_r1_threshold_is_filed_but_flagged(as_reporter: ApiClient) -> None:
    body = report_body(users_affected=1, could_affect_two_or_more=False)
    response = as_reporter.post("/reports", body)
    assert response.status_code == 201
    assert response.json()["meets_incident_threshold"] is False
    assert response.json()["status"] == "open"


def test_manager_backfills_a_report_with_at(as_manager: ApiClient) -> None:
    when = in_display_zone(ago(hours=5))
    response = as_manager.post("/reports", report_body(at=iso(when)))
    assert response.status_code == 201
    assert response.json()["reported_at"] == utc_z(when)
    report = Report.objects.get()
    assert report.reported_at == when
    assert Event.objects.get().at == when


REPORT_FIELDS = [
    "title",
    "description",
    "reporter",
    "medium",
    "detection",
    "users_affected",
    "could_affect_two_or_more",
]


@pytest.mark.parametrize("field", REPORT_FIELDS)
def test_report_missing_field_answers_422_naming_it(as_manager: ApiClient, field: str) -> None:
    body = report_body()
    del body[field]
    with nothing_changes():
        response = as_manager.post("/reports", body)
    result = assert_error(response, 422, field=field)
    assert result["detail"] == f"{field} is required"
    assert result["errors"] == [{"field": field, "rule": None, "message": f"{field} is required"}]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", 42),
        ("description", ["a", "list"]),
        ("reporter", None),
        ("medium", 1),
        ("users_affected", "12"),
        ("users_affected", 2.5),
        ("users_affected", True),
        ("could_affect_two_or_more", "yes"),
        ("could_affect_two_or_more", 1),
        ("at", "yesterday"),
        ("at", {"date": "2026-01-01"}),
    ],
)
def test_report_wrong_type_answers_422_naming_the_field(
    as_manager: ApiClient, field: str, value: Any
) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", report_body(**{field: value}))
    result = assert_error(response, 422, field=field)
    assert result["detail"].startswith(f"{field}: ")


def test_report_lists_every_problem_at_once(as_manager: ApiClient) -> None:
    body = report_body(users_affected="many", could_affect_two_or_more="no")
    del body["title"]
    response = as_manager.post("/reports", body)
    result = assert_error(response, 422, field="title")
    assert [e["field"] for e in result["errors"]] == [
        "title",
        "users_affected",
        "could_affect_two_or_more",
    ]
    for field in ("title", "users_affected", "could_affect_two_or_more"):
        assert field in result["detail"]


def test_report_unknown_field_is_refused_not_dropped(as_manager: ApiClient) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", report_body(users_afected=3))
    result = assert_error(response, 422, field="users_afected")
    assert result["detail"] == "users_afected is not a known field"


@pytest.mark.parametrize(
    "raw",
    ['{"title": "x",', "not json at all", "{'title': 'single quotes'}", b"\xff\xfe{}"],
)
def test_report_malformed_json_answers_400(as_manager: ApiClient, raw: str | bytes) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", raw=raw)
    assert_error(response, 400, field="body", contains="not valid JSON")


@pytest.mark.parametrize("raw", ["[1, 2]", '"a string"', "42", "null"])
def test_report_body_that_is_not_an_object_answers_422(as_manager: ApiClient, raw: str) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", raw=raw)
    assert_error(response, 422, field="body", contains="JSON object")


def test_report_empty_body_answers_422(as_manager: ApiClient) -> None:
    response = as_manager.post("/reports", raw="")
    assert_error(response, 422, field="body", contains="JSON object")


@pytest.mark.parametrize(
    ("field", "value", "contains"),
    [
        ("medium", "carrier pigeon", "the values are email, issue, chat"),
        ("detection", "by accident", "the values are proactive, reactive"),
        ("users_affected", -3, "cannot be negative"),
        ("reporter", "   ", "reporter"),
    ],
)
def test_api_refuses_bad_detection_record(
    as_manager: ApiClient, field: str, value: Any, contains: str
) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", report_body(**{field: value}))
    assert_error(response, 422, field=field, rule="R3", contains=contains)


def test_report_title_is_required_and_bounded(as_manager: ApiClient) -> None:
    assert_error(as_manager.post("/reports", report_body(title="  ")), 422, field="title")
    response = as_manager.post("/reports", report_body(title="x" * 201))
    assert_error(response, 422, field="title", contains="at most 200")


def test_report_absurd_user_count_answers_422_not_500(as_manager: ApiClient) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", report_body(users_affected=10**12))
    assert_error(response, 422, field="users_affected", rule="R3")
    with nothing_changes():
        response = as_manager.post("/reports", report_body(users_affected=10**30))
    assert_error(response, 422, field="users_affected", rule="R3")


def test_report_text_with_nul_character_answers_422(as_manager: ApiClient) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", report_body(description="bad\u0000byte"))
    assert_error(response, 422, field="description", contains="NUL")


def test_report_at_in_the_future_answers_422(as_manager: ApiClient) -> None:
    future = timezone.now() + timedelta(hours=1)
    with nothing_changes():
        response = as_manager.post("/reports", report_body(at=iso(future)))
    assert_error(response, 422, field="at", contains="future")


def test_report_at_without_time_zone_answers_422(as_manager: ApiClient) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", report_body(at="2024-03-01T10:00:00"))
    assert_error(response, 422, field="at", contains="time zone")


@pytest.mark.parametrize("at", ["1969-12-31T23:59:00Z", "0001-01-01T00:00:00+05:00"])
def test_report_at_before_1970_answers_422(as_manager: ApiClient, at: str) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", report_body(at=at))
    assert_error(response, 422, field="at")


def test_reporter_sending_at_answers_403(as_reporter: ApiClient) -> None:
    with nothing_changes():
        response = as_reporter.post("/reports", report_body(at=iso(ago(hours=1))))
    assert_error(response, 403, field="at", contains="only incident managers")


# --- GET /reports, /reports/{id} -----------------------------------------------------------


def test_list_reports_newest_first(manager: User, as_manager: ApiClient) -> None:
    older = a_report(manager, title="older", at=ago(hours=3))
    newer = a_report(manager, title="newer", at=ago(hours=1))
    response = as_manager.get("/reports")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["items"]] == [newer.pk, older.pk]
    assert response.json()["items"][0]["title"] == "newer"
    assert response.json()["next"] is None


def test_list_reports_filters_by_status(manager: User, as_manager: ApiClient) -> None:
    open_report = a_report(manager)
    incident = a_confirmed_incident(manager)
    listed = as_manager.get("/reports", status="open").json()["items"]
    assert [r["id"] for r in listed] == [open_report.pk]
    confirmed = as_manager.get("/reports", status="confirmed").json()["items"]
    assert [(r["id"], r["incident_id"]) for r in confirmed] == [(incident.report_id, incident.pk)]
    assert as_manager.get("/reports", status="dismissed").json() == {
        "items": [],
        "next": None,
        "next_cursor": None,
    }


def test_list_reports_unknown_status_filter_answers_422(as_manager: ApiClient) -> None:
    assert_error(as_manager.get("/reports", status="lost"), 422, field="status", contains="lost")


def test_reporter_lists_only_their_own_reports(
    manager: User, reporter: User, as_reporter: ApiClient
) -> None:
    a_report(manager, title="someone else's")
    own = a_report(reporter, title="mine")
    response = as_reporter.get("/reports")
    assert response.status_code == 200
    listed = response.json()["items"]
    assert [(r["id"], r["filed_by"]) for r in listed] == [(own.pk, "reporter@example.com")]


@pytest.mark.parametrize("role", ["as_admin", "as_manager", "as_developer", "as_desk_member"])
def test_staff_roles_list_every_report(
    manager: User, reporter: User, role: str, request: pytest.FixtureRequest
) -> None:
    a_report(manager)
    a_report(reporter)
    client: ApiClient = request.getfixturevalue(role)
    assert len(client.get("/reports").json()["items"]) == 2


def test_get_a_report(manager: User, as_developer: ApiClient) -> None:
    report = a_report(manager)
    response = as_developer.get(f"/reports/{report.pk}")
    assert response.status_code == 200
    assert response.json()["id"] == report.pk
    assert response.json()["title"] == report.title


def test_reporter_gets_own_report_but_not_others(
    manager: User, reporter: User, as_reporter: ApiClient
) -> None:
    own = a_report(reporter)
    other = a_report(manager)
    assert as_reporter.get(f"/reports/{own.pk}").status_code == 200
    assert_error(as_reporter.get(f"/reports/{other.pk}"), 404, field="report")


def test_unknown_report_answers_404(as_manager: ApiClient) -> None:
    assert_error(as_manager.get("/reports/999999"), 404, field="report", contains="999999")


@pytest.mark.parametrize("report_id", ["abc", "1.5", str(10**30)])
def test_report_id_that_is_not_an_id_answers_422(as_manager: ApiClient, report_id: str) -> None:
    assert_error(as_manager.get(f"/reports/{report_id}"), 422, field="report_id")


# --- POST /reports/{id}/confirm ------------------------------------------------------------


def test_confirm_answers_201_with_the_new_incident(manager: User, as_manager: ApiClient) -> None:
    report = a_report(manager)
    response = as_manager.post(f"/reports/{report.pk}/confirm", confirm_body())
    assert response.status_code == 201, response.content
    body = response.json()
    incident = Incident.objects.get()
    assert body["id"] == incident.pk
    assert body["status"] == "confirmed"
    assert body["report_id"] == report.pk
    assert body["manager"] == "manager@example.com"
    assert body["developer"] is None
    sent = confirm_body()
    assert body["title"] == sent["issue_title"]
    assert body["issue"] == {
        "title": sent["issue_title"],
        "description": sent["issue_description"],
        "url": sent["issue_url"],
    }
    assert body["confirmed_at"] == utc_z(incident.confirmed_at)
    assert body["published_at"] is None
    assert body["components"] == []
    report.refresh_from_db()
    assert report.status == ReportStatus.CONFIRMED
    assert incident.issue.url == sent["issue_url"]
    kinds = list(Event.objects.about(f"incident:{incident.pk}").values_list("kind", flat=True))
    assert kinds == [IncidentEvent.INCIDENT_CONFIRMED, IncidentEvent.ISSUE_OPENED]
    assert as_manager.get(f"/reports/{report.pk}").json()["incident_id"] == incident.pk


@pytest.mark.parametrize("issue_url", [None, ""])
def test_api_issue_url_is_optional(
    manager: User, as_manager: ApiClient, issue_url: str | None
) -> None:
    report = a_report(manager)
    body = confirm_body(issue_url=issue_url)
    response = as_manager.post(f"/reports/{report.pk}/confirm", body)
    assert response.status_code == 201
    assert response.json()["issue"]["url"] == ""
    body = confirm_body()
    del body["issue_url"]
    response = as_manager.post(f"/reports/{a_report(manager).pk}/confirm", body)
    assert response.status_code == 201


def test_api_answers_an_r1_refusal_with_422_and_the_rule(
    manager: User, as_manager: ApiClient
) -> None:
    report = a_report(manager, users_affected=1, could_affect_two_or_more=False)
    with nothing_changes():
        response = as_manager.post(f"/reports/{report.pk}/confirm", confirm_body())
    result = assert_error(response, 422, field="users_affected", rule="R1", contains="two users")
    assert result["errors"][0]["rule"] == "R1"
    report.refresh_from_db()
    assert report.status == ReportStatus.OPEN
    assert not Incident.objects.exists()


@pytest.mark.parametrize("field", ["issue_title", "issue_description"])
def test_api_confirm_requires_the_issue(manager: User, as_manager: ApiClient, field: str) -> None:
    report = a_report(manager)
    body = confirm_body()
    del body[field]
    with nothing_changes():
        response = as_manager.post(f"/reports/{report.pk}/confirm", body)
    assert_error(response, 422, field=field)
    with nothing_changes():
        response = as_manager.post(f"/reports/{report.pk}/confirm", confirm_body(**{field: " "}))
    assert_error(response, 422, field=field, rule="R4")


@pytest.mark.parametrize(
    "issue_url",
    ["not a url", "ftp://example.com/issue/1", "javascript:alert(1)", "https://x.org/" + "a" * 600],
)
def test_api_confirm_refuses_invalid_issue_url(
    manager: User, as_manager: ApiClient, issue_url: str
) -> None:
    report = a_report(manager)
    with nothing_changes():
        response = as_manager.post(
            f"/reports/{report.pk}/confirm", confirm_body(issue_url=issue_url)
        )
    assert_error(response, 422, field="issue_url", rule="R4")


def test_confirm_a_confirmed_report_answers_409(manager: User, as_manager: ApiClient) -> None:
    incident = a_confirmed_incident(manager)
    with nothing_changes():
        response = as_manager.post(f"/reports/{incident.report_id}/confirm", confirm_body())
    assert_error(response, 409, field="status", contains="already confirmed")


def test_confirm_a_dismissed_report_answers_409(manager: User, as_manager: ApiClient) -> None:
    report = a_report(manager)
    as_manager.post(f"/reports/{report.pk}/dismiss", {"reason": "duplicate of R-1"})
    with nothing_changes():
        response = as_manager.post(f"/reports/{report.pk}/confirm", confirm_body())
    assert_error(response, 409, field="status", contains="dismissed")


def test_confirm_unknown_report_answers_404(as_manager: ApiClient) -> None:
    with nothing_changes():
        response = as_manager.post("/reports/424242/confirm", confirm_body())
    assert_error(response, 404, field="report")


def test_confirm_with_at_backfills_the_confirmation(manager: User, as_manager: ApiClient) -> None:
    report = a_report(manager, at=ago(hours=6))
    when = in_display_zone(ago(hours=5))
    response = as_manager.post(f"/reports/{report.pk}/confirm", confirm_body(at=iso(when)))
    assert response.status_code == 201
    assert response.json()["confirmed_at"] == utc_z(when)
    assert Incident.objects.get().confirmed_at == when


def test_confirm_at_before_the_report_answers_422(manager: User, as_manager: ApiClient) -> None:
    report = a_report(manager, at=ago(hours=2))
    with nothing_changes():
        response = as_manager.post(
            f"/reports/{report.pk}/confirm", confirm_body(at=iso(ago(hours=3)))
        )
    assert_error(response, 422, field="at", contains="cannot be before the report")


def test_confirm_at_in_the_future_answers_422(manager: User, as_manager: ApiClient) -> None:
    report = a_report(manager)
    future = timezone.now() + timedelta(days=1)
    with nothing_changes():
        response = as_manager.post(f"/reports/{report.pk}/confirm", confirm_body(at=iso(future)))
    assert_error(response, 422, field="at", contains="future")


# --- POST /reports/{id}/dismiss ------------------------------------------------------------


def test_dismiss_answers_200_with_the_closed_report(manager: User, as_manager: ApiClient) -> None:
    report = a_report(manager, users_affected=1, could_affect_two_or_more=False)
    response = as_manager.post(f"/reports/{report.pk}/dismiss", {"reason": "One user, R1 not met"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == report.pk
    assert body["status"] == "dismissed"
    assert body["dismissed_reason"] == "One user, R1 not met"
    assert body["closed_at"] is not None
    report.refresh_from_db()
    assert report.status == ReportStatus.DISMISSED
    assert (
        Event.objects.about(f"report:{report.pk}")
        .filter(kind=IncidentEvent.REPORT_DISMISSED)
        .count()
        == 1
    )
    assert not Incident.objects.exists()


def test_dismiss_requires_a_reason(manager: User, as_manager: ApiClient) -> None:
    report = a_report(manager)
    with nothing_changes():
        assert_error(as_manager.post(f"/reports/{report.pk}/dismiss", {}), 422, field="reason")
        response = as_manager.post(f"/reports/{report.pk}/dismiss", {"reason": "  "})
        assert_error(response, 422, field="reason")
        response = as_manager.post(f"/reports/{report.pk}/dismiss", {"reason": 3})
        assert_error(response, 422, field="reason")


def test_dismiss_a_confirmed_report_answers_409(manager: User, as_manager: ApiClient) -> None:
    incident = a_confirmed_incident(manager)
    with nothing_changes():
        response = as_manager.post(f"/reports/{incident.report_id}/dismiss", {"reason": "oops"})
    assert_error(response, 409, field="status")


def test_dismiss_unknown_report_answers_404(as_manager: ApiClient) -> None:
    assert_error(as_manager.post("/reports/31337/dismiss", {"reason": "x"}), 404, field="report")


def test_dismiss_at_before_the_report_answers_422(manager: User, as_manager: ApiClient) -> None:
    report = a_report(manager, at=ago(hours=1))
    body = {"reason": "duplicate", "at": iso(ago(hours=2))}
    with nothing_changes():
        response = as_manager.post(f"/reports/{report.pk}/dismiss", body)
    assert_error(response, 422, field="at")
