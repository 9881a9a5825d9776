"""Every refusal of the API is JSON in its one error shape: bad Unicode (422), unknown paths under
/api/ (404), methods a path does not take (405), bodies that are too large (413) and faults of the
server (500, logged, without their details)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.core.handlers.exception import convert_exception_to_response
from django.db import connection
from django.http import HttpRequest
from django.test import Client, RequestFactory

from statusdesk.accounts.models import User
from statusdesk.core.middleware import ApiRefusalsMiddleware
from statusdesk.core.schemas import SERVER_FAULT
from statusdesk.incidents.models import Component, Report
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

LONE = "\ud800"


# --- a lone UTF-16 surrogate (valid JSON text, not valid Unicode) --------------------------


def _raw(body: dict[str, Any]) -> str:
    """JSON text as a client would send it: json.dumps writes a lone surrogate as \\ud800."""
    text = json.dumps(body)
    assert "\\ud800" in text or "\\udc00" in text
    return text


@pytest.mark.parametrize("field", ["title", "description", "reporter", "medium"])
def test_report_with_a_lone_surrogate_answers_422(as_manager: ApiClient, field: str) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", raw=_raw(report_body(**{field: f"a{LONE}b"})))
    result = assert_error(response, 422, field=field, contains="lone UTF-16 surrogate")
    assert result["errors"] == [
        {"field": field, "rule": None, "message": result["detail"]},
    ]


def test_a_lone_low_surrogate_answers_422_too(as_manager: ApiClient) -> None:
    with nothing_changes():
        response = as_manager.post("/reports", raw=_raw(report_body(title="\udc00")))
    assert_error(response, 422, field="title", contains="surrogate")


def test_a_surrogate_pair_is_text_and_is_kept(as_manager: ApiClient) -> None:
    response = as_manager.post("/reports", raw=_raw(report_body(title="Login fails \ud800\udc00")))
    assert response.status_code == 201, response.content
    assert Report.objects.get().title == "Login fails \U00010000"


def test_a_lone_surrogate_in_a_field_name_answers_422(as_manager: ApiClient) -> None:
    body = report_body()
    body[f"x{LONE}"] = 1
    with nothing_changes():
        response = as_manager.post("/reports", raw=_raw(body))
    assert_error(response, 422, field="body", contains="field name")


def test_each_write_endpoint_refuses_a_lone_surrogate(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    report = a_report(manager)
    confirmed = a_confirmed_incident(manager)
    assigned = an_assigned_incident(manager, developer)
    published = a_published_incident(manager, developer, components)
    cid = str(components[0].pk)
    cases: list[tuple[str, dict[str, Any], str]] = [
        (f"/reports/{report.pk}/confirm", confirm_body(issue_title=LONE), "issue_title"),
        (f"/reports/{report.pk}/confirm", confirm_body(issue_url=LONE), "issue_url"),
        (f"/reports/{report.pk}/dismiss", {"reason": f"dup {LONE}"}, "reason"),
        (f"/incidents/{confirmed.pk}/assign", {"developer": LONE}, "developer"),
        (f"/incidents/{assigned.pk}/publish", publish_body([1], name=LONE), "name"),
        (f"/incidents/{assigned.pk}/publish", publish_body([1], workaround=LONE), "workaround"),
        (f"/incidents/{assigned.pk}/publish", publish_body([1], severity=LONE), "severity"),
        (f"/incidents/{published.pk}/updates", update_body(message=LONE), "message"),
        (
            f"/incidents/{published.pk}/updates",
            update_body(component_statuses={cid: LONE}),
            f"component_statuses[{cid}]",
        ),
        (
            f"/incidents/{published.pk}/updates",
            update_body(component_statuses={LONE: "operational"}),
            "component_statuses",
        ),
        (f"/incidents/{published.pk}/resolve", resolve_body(message=f"ok\n{LONE}"), "message"),
    ]
    for path, body, field in cases:
        with nothing_changes():
            response = as_manager.post(path, raw=_raw(body))
        assert_error(response, 422, field=field, contains="surrogate")


# --- unknown paths and methods ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/api/v1/nope", "/api/v1/reports/1/x", "/api/", "/api/v2/reports", "/api/v1/me/"],
)
@pytest.mark.parametrize("signed_in", [True, False])
def test_unknown_path_under_api_answers_json_404(
    as_manager: ApiClient, url: str, signed_in: bool
) -> None:
    client = as_manager if signed_in else ApiClient()
    result = assert_error(client.request("GET", url), 404, contains=url)
    assert "<html" not in result["detail"]


def test_unknown_path_outside_api_still_answers_the_html_page(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("PUT", "/api/v1/reports", "GET, POST"),
        ("DELETE", "/api/v1/reports", "GET, POST"),
        ("PATCH", "/api/v1/incidents/1", "GET"),
        ("GET", "/api/v1/incidents/1/resolve", "POST"),
    ],
)
def test_method_a_path_does_not_take_answers_json_405(
    as_manager: ApiClient, method: str, url: str, allowed: str
) -> None:
    response = as_manager.request(method, url, "{}")
    result = assert_error(response, 405, field="method", contains=method)
    assert set(response["Allow"].split(", ")) == set(allowed.split(", "))
    assert response["Allow"] in result["detail"]


# --- too large -------------------------------------------------------------------------------


def test_body_over_the_upload_limit_answers_json_413(as_manager: ApiClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    body = report_body(description="x" * 5_000)
    with nothing_changes():
        response = as_manager.post("/reports", body)
    assert_error(response, 413, field="body", contains="too large")


# --- faults of the server ------------------------------------------------------------------


def test_server_fault_in_the_api_answers_json_500_and_logs_the_traceback(
    components: list[Component], as_manager: ApiClient, caplog: pytest.LogCaptureFixture
) -> None:
    # A real fault: the components' table is gone (the rename is undone with the test's
    # transaction).
    table = Component._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_gone")
    with caplog.at_level(logging.ERROR):
        response = as_manager.get("/components")
    result = assert_error(response, 500)
    assert result["detail"] == SERVER_FAULT
    assert table not in response.content.decode(), "the fault's details are not answered"
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert logged, "the fault is logged with its traceback"
    assert "/api/v1/components" in logged[0].getMessage()


def test_server_fault_before_the_api_answers_json_500_too(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Django's own path for a fault (logged by django.request, 500 page) under /api/."""

    def broken(request: HttpRequest) -> Any:
        raise RuntimeError("secret detail of the fault")

    handler = ApiRefusalsMiddleware(convert_exception_to_response(broken))
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = handler(RequestFactory().get("/api/v1/components"))
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content) == {
        "detail": SERVER_FAULT,
        "field": None,
        "rule": None,
        "errors": [{"field": None, "rule": None, "message": SERVER_FAULT}],
    }
    assert b"secret detail" not in response.content
    assert any(r.exc_info and "secret detail" in str(r.exc_info[1]) for r in caplog.records)
    page = convert_exception_to_response(broken)(RequestFactory().get("/dashboard/"))
    assert page["Content-Type"].startswith("text/html")


def test_bad_host_under_api_answers_json_400(as_manager: ApiClient) -> None:
    response = as_manager.request("GET", "/api/v1/me", HOST="evil.example")
    assert_error(response, 400)
