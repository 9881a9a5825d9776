"""OpenAPI says what the server accepts: the choices (enum), the length of every text (maxLength,
from incidents/limits.py) and `at` as an ISO 8601 date-time string; the server refuses the rest
with 422 naming the field and, where there is one, the process rule."""

from __future__ import annotations

from typing import Any

import pytest

from statusdesk.accounts.models import User
from statusdesk.incidents.limits import EMAIL_MAX, REPORTER_MAX, TEXT_MAX, TITLE_MAX, URL_MAX
from statusdesk.incidents.models import (
    UPDATE_STATUSES,
    Component,
    ComponentStatus,
    Detection,
    IncidentStatus,
    Medium,
    ReportStatus,
    Severity,
)
from tests.factories import (
    a_confirmed_incident,
    a_published_incident,
    a_report,
    an_assigned_incident,
)

from .support import (
    ApiClient,
    assert_error,
    confirm_body,
    nothing_changes,
    publish_body,
    report_body,
    resolve_body,
    update_body,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def spec() -> dict[str, Any]:
    response = ApiClient().get("/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def _request_schema(spec: dict[str, Any], path: str) -> dict[str, Any]:
    body = spec["paths"][f"/api/v1{path}"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    result: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return result


def _string_schema(prop: dict[str, Any]) -> dict[str, Any]:
    """The string branch of a property (an optional one is anyOf [string, null])."""
    for option in prop.get("anyOf", [prop]):
        if option.get("type") == "string":
            return option
    raise AssertionError(f"no string in {prop}")


WRITE_PATHS = [
    "/reports",
    "/reports/{report_id}/confirm",
    "/reports/{report_id}/dismiss",
    "/incidents/{incident_id}/assign",
    "/incidents/{incident_id}/publish",
    "/incidents/{incident_id}/updates",
    "/incidents/{incident_id}/resolve",
]


@pytest.mark.parametrize("path", WRITE_PATHS)
def test_every_text_field_has_a_length_limit_or_a_set_of_choices(
    spec: dict[str, Any], path: str
) -> None:
    schema = _request_schema(spec, path)
    assert schema["additionalProperties"] is False
    for name, prop in schema["properties"].items():
        options = prop.get("anyOf", [prop])
        for option in options:
            if option.get("type") == "string" and option.get("format") != "date-time":
                assert "maxLength" in option or "enum" in option, (path, name)
            if option.get("type") == "object":  # component_statuses: id -> status
                assert option["additionalProperties"]["enum"], (path, name)


@pytest.mark.parametrize(
    ("path", "field", "limit"),
    [
        ("/reports", "title", TITLE_MAX),
        ("/reports", "description", TEXT_MAX),
        ("/reports", "reporter", REPORTER_MAX),
        ("/reports/{report_id}/confirm", "issue_title", TITLE_MAX),
        ("/reports/{report_id}/confirm", "issue_description", TEXT_MAX),
        ("/reports/{report_id}/confirm", "issue_url", URL_MAX),
        ("/reports/{report_id}/dismiss", "reason", TEXT_MAX),
        ("/incidents/{incident_id}/assign", "developer", EMAIL_MAX),
        ("/incidents/{incident_id}/publish", "name", TITLE_MAX),
        ("/incidents/{incident_id}/publish", "message", TEXT_MAX),
        ("/incidents/{incident_id}/publish", "workaround", TEXT_MAX),
        ("/incidents/{incident_id}/publish", "workaround_url", URL_MAX),
        ("/incidents/{incident_id}/updates", "message", TEXT_MAX),
        ("/incidents/{incident_id}/resolve", "message", TEXT_MAX),
    ],
)
def test_openapi_states_each_length_limit(
    spec: dict[str, Any], path: str, field: str, limit: int
) -> None:
    prop = _request_schema(spec, path)["properties"][field]
    assert _string_schema(prop)["maxLength"] == limit


@pytest.mark.parametrize(
    ("path", "field", "choices"),
    [
        ("/reports", "medium", Medium.values),
        ("/reports", "detection", Detection.values),
        ("/incidents/{incident_id}/publish", "severity", Severity.values),
        ("/incidents/{incident_id}/updates", "status", [s.value for s in UPDATE_STATUSES]),
    ],
)
def test_openapi_states_each_choice(
    spec: dict[str, Any], path: str, field: str, choices: list[str]
) -> None:
    prop = _request_schema(spec, path)["properties"][field]
    assert prop["enum"] == choices


def test_openapi_states_the_component_statuses(spec: dict[str, Any]) -> None:
    prop = _request_schema(spec, "/incidents/{incident_id}/updates")["properties"]
    statuses = prop["component_statuses"]["anyOf"][0]["additionalProperties"]
    assert statuses["enum"] == ComponentStatus.values


@pytest.mark.parametrize(
    ("path", "choices"),
    [
        ("/reports", ReportStatus.values),
        ("/incidents", ["open", *IncidentStatus.values]),
    ],
)
def test_openapi_states_the_status_filters(
    spec: dict[str, Any], path: str, choices: list[str]
) -> None:
    params = {p["name"]: p for p in spec["paths"][f"/api/v1{path}"]["get"]["parameters"]}
    assert set(params) == {"status", "limit", "cursor"}
    param = params["status"]
    assert param["in"] == "query"
    assert _string_schema(param["schema"])["enum"] == choices


@pytest.mark.parametrize("path", WRITE_PATHS)
def test_openapi_states_at_as_a_date_time_string(spec: dict[str, Any], path: str) -> None:
    at = _request_schema(spec, path)["properties"]["at"]
    assert {"type": "string", "format": "date-time"} in at["anyOf"]
    assert {"type": "integer"} not in at["anyOf"]


# --- and the server refuses what OpenAPI does not allow -------------------------------------


@pytest.mark.parametrize("at", [1700000000, 1700000000.5, "1700000000", "2024-03-01", True, []])
def test_at_that_is_not_an_iso_8601_string_answers_422(as_manager: ApiClient, at: Any) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", report_body(at=at))
    result = assert_error(response, 422, field="at", contains="ISO 8601 date-time string")
    assert result["detail"].startswith("at: ")


def test_at_that_is_a_number_is_refused_on_every_step(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    report = a_report(manager)
    confirmed = a_confirmed_incident(manager)
    assigned = an_assigned_incident(manager, developer)
    published = a_published_incident(manager, developer, components)
    steps = [
        (f"/reports/{report.pk}/confirm", confirm_body()),
        (f"/reports/{report.pk}/dismiss", {"reason": "duplicate"}),
        (f"/incidents/{confirmed.pk}/assign", {"developer": developer.email}),
        (f"/incidents/{assigned.pk}/publish", publish_body([components[0].pk])),
        (f"/incidents/{published.pk}/updates", update_body()),
        (f"/incidents/{published.pk}/resolve", resolve_body()),
    ]
    for path, body in steps:
        with nothing_changes():
            response = as_manager.post(path, {**body, "at": 1700000000})
        assert_error(response, 422, field="at")


@pytest.mark.parametrize(
    ("field", "limit", "rule"),
    [
        ("title", TITLE_MAX, None),
        ("description", TEXT_MAX, None),
        ("reporter", REPORTER_MAX, "R3"),
    ],
)
def test_report_text_over_its_limit_answers_422_with_its_rule(
    as_manager: ApiClient, field: str, limit: int, rule: str | None
) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", report_body(**{field: "x" * (limit + 1)}))
    result = assert_error(response, 422, field=field, rule=rule)
    assert result["detail"] == f"{field} must be at most {limit} characters"


def test_texts_over_their_limits_name_their_rules_on_every_step(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    report = a_report(manager)
    confirmed = a_confirmed_incident(manager)
    assigned = an_assigned_incident(manager, developer)
    published = a_published_incident(manager, developer, components)
    long_email = "d" * EMAIL_MAX + "@example.com"
    cases: list[tuple[str, dict[str, Any], str, str | None]] = [
        (f"/reports/{report.pk}/confirm", confirm_body(issue_title="t" * 201), "issue_title", "R4"),
        (f"/reports/{report.pk}/dismiss", {"reason": "r" * (TEXT_MAX + 1)}, "reason", None),
        (f"/incidents/{confirmed.pk}/assign", {"developer": long_email}, "developer", "R4"),
        (
            f"/incidents/{assigned.pk}/publish",
            publish_body([components[0].pk], workaround="w" * (TEXT_MAX + 1)),
            "workaround",
            "R5",
        ),
        (
            f"/incidents/{published.pk}/updates",
            update_body(message="m" * (TEXT_MAX + 1)),
            "message",
            None,
        ),
        (
            f"/incidents/{published.pk}/resolve",
            resolve_body(message="m" * (TEXT_MAX + 1)),
            "message",
            "R11",
        ),
    ]
    for path, body, field, rule in cases:
        with nothing_changes():
            response = as_manager.post(path, body)
        assert_error(response, 422, field=field, rule=rule, contains="must be at most")


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [("medium", "fax", "R3"), ("detection", "luck", "R3"), ("medium", "EMAIL", "R3")],
)
def test_report_choice_outside_the_enum_names_the_rule_and_the_choices(
    as_manager: ApiClient, field: str, value: str, rule: str
) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", report_body(**{field: value}))
    result = assert_error(response, 422, field=field, rule=rule)
    assert result["detail"].startswith(f"{field} must be one of ")
    assert f"; got {value!r} (the values are " in result["detail"]


def test_list_reports_status_filter_lists_the_choices_in_words(as_manager: ApiClient) -> None:
    response = as_manager.get("/reports", status="lost")
    assert_error(
        response,
        422,
        field="status",
        contains="status must be one of Awaiting triage, Confirmed as an incident or Dismissed; "
        "got 'lost' (the values are open, confirmed, dismissed)",
    )


@pytest.mark.parametrize("path", ["/reports", "/incidents"])
def test_list_with_an_unknown_query_parameter_answers_422(as_manager: ApiClient, path: str) -> None:
    """A typo (?stauts=open) is refused, not ignored (which would list everything)."""
    response = as_manager.get(path, stauts="open")
    result = assert_error(response, 422, field="stauts")
    assert result["detail"] == "stauts is not a known query parameter"
    assert as_manager.get(path, status="open").status_code == 200
