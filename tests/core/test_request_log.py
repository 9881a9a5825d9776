"""A log line per request and per background job (statusdesk.core.request_record, core.logs):
the request's id (from a sane X-Request-ID, else made, echoed either way), route, path, status,
duration, user and incident, and never a token, a query string or a header's value."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.asgi import get_asgi_application
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.accounts.services import create_api_token
from statusdesk.core.logs import JsonFormatter, TextFormatter, log_format, logging_config
from statusdesk.core.request_record import RequestRecord
from statusdesk.incidents.models import Component, Incident
from statusdesk.notifications import services as notification_services
from statusdesk.statuspage.fastpath import SnapshotFastPath
from statusdesk.statuspage.snapshot import rebuild_snapshot
from tests.factories import a_published_incident, a_subscriber

pytestmark = pytest.mark.django_db

Answer = tuple[int, dict[str, str], bytes]


@pytest.fixture(autouse=True)
def _connections_kept() -> Iterator[None]:
    """As Django's test client does: a request's start and end do not close the test's database
    connection (it holds the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Made once: making it sets Django up again, which configures logging anew (and would take the
# log capture's handler away from a test that already set it).
DJANGO = get_asgi_application()


def statusdesk_http() -> RequestRecord:
    """The HTTP side of statusdesk.asgi.application: the record, the fast path, Django."""
    return RequestRecord(SnapshotFastPath(DJANGO))


async def _request(
    app: Any, path: str, method: str, query: bytes, headers: dict[str, str]
) -> Answer:
    raw = [(b"host", b"testserver")] + [
        (k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    messages: list[dict[str, Any]] = []
    sent = False
    answered = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()  # as a client does: it leaves once it has the answer
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            answered.set()

    await app(scope, receive, send)
    start = messages[0]
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return (
        start["status"],
        {k.decode().lower(): v.decode() for k, v in start["headers"]},
        body,
    )


def asgi_get(
    path: str,
    *,
    app: Any = None,
    query: bytes = b"",
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> Answer:
    """One request through statusdesk's ASGI application, from this (the test's) thread, so the
    views run in it and see the test's data."""
    return async_to_sync(_request)(app or statusdesk_http(), path, method, query, headers or {})


def request_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The request lines logged, as JSON objects (the formatter STATUSDESK_LOG_FORMAT=json uses)."""
    formatter = JsonFormatter()
    return [
        json.loads(formatter.format(record))
        for record in caplog.records
        if record.name == "statusdesk.requests"
    ]


def every_line(caplog: pytest.LogCaptureFixture) -> str:
    """Every line logged, in both formats."""
    return "\n".join(
        f"{JsonFormatter().format(r)}\n{TextFormatter().format(r)}" for r in caplog.records
    )


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_a_request_logs_one_json_line_with_its_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="statusdesk.requests")
    status, headers, _ = asgi_get("/healthz", query=b"probe=1")
    assert status == 200
    [line] = request_lines(caplog)
    assert line["logger"] == "statusdesk.requests"
    assert line["method"] == "GET"
    assert line["route"] == "/healthz"
    assert line["path"] == "/healthz"  # never the query string
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user_id"] is None and line["incident_id"] is None
    # A request id was made (none came from a proxy), and the answer says it.
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert headers["x-request-id"] == line["request_id"]


def test_a_sane_request_id_from_the_proxy_is_kept_and_echoed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="statusdesk.requests")
    nginx_id = "0123456789abcdef0123456789abcdef"
    _, headers, _ = asgi_get("/healthz", headers={"X-Request-ID": nginx_id})
    assert headers["x-request-id"] == nginx_id
    assert request_lines(caplog)[-1]["request_id"] == nginx_id


@pytest.mark.parametrize(
    "sent", ["short", "x" * 65, "two words here", 'quote"injected', "line\u00e9break-aaaaaaaa"]
)
def test_a_request_id_that_is_not_sane_is_replaced(
    caplog: pytest.LogCaptureFixture, sent: str
) -> None:
    caplog.set_level(logging.INFO, logger="statusdesk.requests")
    _, headers, _ = asgi_get("/healthz", headers={"X-Request-ID": sent})
    made = request_lines(caplog)[-1]["request_id"]
    assert made != sent and re.fullmatch(r"[0-9a-f]{32}", made)
    assert headers["x-request-id"] == made


def test_a_signed_in_page_logs_the_user_the_route_and_the_incident(
    caplog: pytest.LogCaptureFixture,
    manager: User,
    developer: User,
    components: list[Component],
) -> None:
    incident = a_published_incident(manager, developer, components)
    caplog.set_level(logging.INFO, logger="statusdesk.requests")
    status, _, _ = asgi_get(
        f"/manage/incidents/{incident.pk}/", headers={"Cookie": session_cookie(manager)}
    )
    assert status == 200
    line = request_lines(caplog)[-1]
    assert line["route"] == "/manage/incidents/<int:pk>/"
    assert line["path"] == f"/manage/incidents/{incident.pk}/"
    assert line["user_id"] == manager.pk
    assert line["incident_id"] == incident.pk
    # A line logged while the request was answered carries its id too.
    assert all(
        getattr(r, "request_id", None) == line["request_id"]
        for r in caplog.records
        if r.name == "statusdesk.requests"
    )


def test_an_api_request_logs_the_tokens_user_never_the_token(
    caplog: pytest.LogCaptureFixture, manager: User, published: Incident
) -> None:
    _, secret = create_api_token(manager.email)
    caplog.set_level(logging.DEBUG)
    status, _, _ = asgi_get(
        f"/api/v1/incidents/{published.pk}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert status == 200
    line = request_lines(caplog)[-1]
    assert line["user_id"] == manager.pk
    assert line["incident_id"] == published.pk
    assert line["route"].startswith("/api/v1/incidents/")
    assert secret not in every_line(caplog)
    assert secret[:12] not in every_line(caplog)


def test_a_subscription_link_logs_its_route_never_its_token(
    caplog: pytest.LogCaptureFixture, admin_user: User
) -> None:
    subscriber = a_subscriber(admin_user)
    token = notification_services.token_for(subscriber, notification_services.Purpose.UNSUBSCRIBE)
    caplog.set_level(logging.DEBUG)
    status, _, _ = asgi_get(f"/subscriptions/unsubscribe/{token}/")
    assert status == 200
    line = request_lines(caplog)[-1]
    assert line["path"] == line["route"] == "/subscriptions/unsubscribe/<str:token>/"
    # Without its slash the link matches no route (Django redirects): still no token logged.
    status, _, _ = asgi_get(f"/subscriptions/unsubscribe/{token}")
    assert status == 301
    line = request_lines(caplog)[-1]
    assert line["route"] == "unmatched"
    assert line["path"] == "/subscriptions/unsubscribe/[redacted]"
    # Nor as a query parameter.
    asgi_get("/incidents", query=f"token={token}".encode())
    assert request_lines(caplog)[-1]["path"] == "/incidents"
    for part in token.split(":"):
        assert part not in every_line(caplog)


def test_djangos_own_line_about_a_refused_link_does_not_show_its_token(
    caplog: pytest.LogCaptureFixture, admin_user: User
) -> None:
    """Django logs "Not Found: <path>" for every 4xx answer: a link used after unsubscribing
    answers 404, and its path names the token."""
    subscriber = a_subscriber(admin_user)
    token = notification_services.token_for(subscriber, notification_services.Purpose.UNSUBSCRIBE)
    notification_services.unsubscribe(token)  # a new key: the old link no longer acts
    caplog.set_level(logging.DEBUG)
    status, _, _ = asgi_get(f"/subscriptions/manage/{token}/")
    assert status >= 400
    django_lines = [r for r in caplog.records if r.name == "django.request"]
    assert django_lines and "/subscriptions/manage/<str:token>/" in django_lines[-1].getMessage()
    for part in token.split(":"):
        assert part not in every_line(caplog)


def test_an_answer_from_memory_is_logged_under_its_route_with_an_id_of_its_own(
    caplog: pytest.LogCaptureFixture, components: list[Component]
) -> None:
    rebuild_snapshot()
    app = statusdesk_http()
    caplog.set_level(logging.INFO, logger="statusdesk.requests")
    first = asgi_get("/api/v2/summary.json", app=app)
    second = asgi_get("/api/v2/summary.json", app=app)  # from the fast path's memory
    assert first[0] == second[0] == 200 and first[2] == second[2]
    one, two = request_lines(caplog)[-2:]
    assert one["route"] == two["route"] != "unmatched"
    assert one["request_id"] != two["request_id"]
    assert first[1]["x-request-id"] == one["request_id"]
    assert second[1]["x-request-id"] == two["request_id"]


def test_the_text_format_has_the_same_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="statusdesk.requests")
    _, headers, _ = asgi_get("/healthz")
    record = next(r for r in caplog.records if r.name == "statusdesk.requests")
    text = TextFormatter().format(record)
    assert " INFO statusdesk.requests GET /healthz 200 " in text
    assert f"request_id={headers['x-request-id']}" in text
    assert "route=/healthz" in text and "status=200" in text and "duration_ms=" in text
    assert "{" not in text


def test_the_log_format_setting_is_text_or_json() -> None:
    assert log_format(None) == "text"
    assert log_format(" JSON ") == "json"
    with pytest.raises(ValueError, match="STATUSDESK_LOG_FORMAT must be text or json"):
        log_format("xml")
    json_config = logging_config("json", "INFO")
    assert json_config["handlers"]["console"]["formatter"] == "json"
    assert logging_config("text", "INFO")["handlers"]["console"]["formatter"] == "text"


# --- background jobs ---------------------------------------------------------------------------


def test_a_task_and_its_reactions_log_their_lines(
    caplog: pytest.LogCaptureFixture,
    manager: User,
    developer: User,
    components: list[Component],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Publishing queues core.react (run at once in the tests' immediate mode): one line for the
    task, one per reaction it ran, naming the event and the incident."""
    caplog.set_level(logging.INFO, logger="statusdesk.jobs")
    with django_capture_on_commit_callbacks(execute=True):
        incident = a_published_incident(manager, developer, components)
    jobs = [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "statusdesk.jobs"
    ]
    tasks = [j for j in jobs if j["job"] == "task"]
    runs = [j for j in jobs if j["job"] == "reaction"]
    react = [t for t in tasks if t["task"] == "core.react"]
    assert react and all(t["outcome"] == "done" and t["task_id"] for t in react)
    assert all(isinstance(t["duration_ms"], float) for t in react)
    published_runs = [r for r in runs if r["incident_id"] == incident.pk]
    assert published_runs, runs
    assert {r["outcome"] for r in published_runs} == {"handled"}
    assert "statuspage.rebuild_snapshot" in {r["reaction"] for r in runs}
    assert all(isinstance(r["event_id"], int) for r in runs)


def test_a_failing_task_logs_its_outcome_and_error_kind_not_its_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from huey.contrib.djhuey import HUEY

    def fails() -> None:
        raise RuntimeError("smtp://user:hunter2@mail.example failed")  # a message may hold secrets

    task = HUEY.task(name="tests.fails")(fails)
    try:
        caplog.set_level(logging.INFO, logger="statusdesk.jobs")
        task()  # immediate mode: runs now; Huey keeps the error as the task's result
    finally:
        HUEY._registry.unregister(task.task_class)
    [line] = [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "statusdesk.jobs"
    ]
    assert line["task"] == "tests.fails"
    assert line["outcome"] == "failed"
    assert line["error"] == "RuntimeError"
    assert line["level"] == "WARNING"
    assert "hunter2" not in json.dumps(line)


def test_request_lines_can_be_left_out_and_requests_are_still_counted(
    caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    from statusdesk.core.metrics import process_registry

    def count() -> float:
        labels = {"route": "/healthz", "method": "GET", "status": "2xx"}
        name = "statusdesk_http_request_duration_seconds_count"
        return process_registry.get_sample_value(name, labels) or 0.0

    settings.STATUSDESK_LOG_REQUESTS = False
    caplog.set_level(logging.INFO, logger="statusdesk.requests")
    before = count()
    _, headers, _ = asgi_get("/healthz")
    assert request_lines(caplog) == []
    assert count() == before + 1
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])
