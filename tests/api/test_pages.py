"""API lists a page at a time: limit + cursor, `next` to follow, the limits in OpenAPI, and as
many queries for 50 rows as for 5."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.core.paging import DEFAULT_LIMIT, MAX_LIMIT, encode_cursor
from statusdesk.incidents import schemas, services
from statusdesk.incidents.models import Component
from tests.factories import (
    a_confirmed_incident,
    a_published_incident,
    a_report,
    a_resolved_incident,
)

from .support import ApiClient, assert_error, update_body

pytestmark = pytest.mark.django_db


def follow(client: ApiClient, path: str, **params: str) -> list[dict[str, Any]]:
    """Every page of a list, following `next` until it is null."""
    pages = [client.get(path, **params)]
    while True:
        assert pages[-1].status_code == 200, pages[-1].content
        body = pages[-1].json()
        assert set(body) == {"items", "next", "next_cursor"}
        if body["next"] is None:
            assert body["next_cursor"] is None
            return [page.json() for page in pages]
        assert body["next"].startswith("/api/v1" + path + "?")
        pages.append(client.client.get(body["next"], headers=client.headers))


def test_reports_page_by_page_newest_first_to_the_last_page(
    manager: User, as_manager: ApiClient
) -> None:
    now = timezone.now()
    reports = [a_report(manager, title=f"r{i}", at=now - timedelta(hours=9 - i)) for i in range(5)]
    pages = follow(as_manager, "/reports", limit="2")
    assert [[r["id"] for r in page["items"]] for page in pages] == [
        [reports[4].pk, reports[3].pk],
        [reports[2].pk, reports[1].pk],
        [reports[0].pk],
    ]


def test_the_next_page_keeps_the_filter_and_the_limit(manager: User, as_manager: ApiClient) -> None:
    waiting = [a_report(manager, title=f"w{i}") for i in range(3)]
    a_confirmed_incident(manager)
    first = as_manager.get("/reports", status="open", limit="2").json()
    assert "status=open" in first["next"] and "limit=2" in first["next"]
    pages = follow(as_manager, "/reports", status="open", limit="2")
    listed = [r["id"] for page in pages for r in page["items"]]
    assert listed == [r.pk for r in reversed(waiting)]


def test_rows_at_the_same_time_are_each_listed_once(manager: User, as_manager: ApiClient) -> None:
    same = timezone.now() - timedelta(hours=1)
    reports = [a_report(manager, title=f"tie{i}", at=same) for i in range(5)]
    pages = follow(as_manager, "/reports", limit="2")
    assert [r["id"] for page in pages for r in page["items"]] == [r.pk for r in reversed(reports)]


def test_a_row_added_meanwhile_never_shifts_the_next_page(
    manager: User, as_manager: ApiClient
) -> None:
    now = timezone.now()
    reports = [a_report(manager, title=f"r{i}", at=now - timedelta(hours=9 - i)) for i in range(4)]
    first = as_manager.get("/reports", limit="2").json()
    a_report(manager, title="newer than everything")
    second = as_manager.get("/reports", limit="2", cursor=first["next_cursor"]).json()
    assert [r["id"] for r in second["items"]] == [reports[1].pk, reports[0].pk]


def test_incidents_page_by_page_with_each_filter(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    resolved = [a_resolved_incident(manager, developer, components) for _ in range(3)]
    published = [a_published_incident(manager, developer, components) for _ in range(2)]
    confirmed = a_confirmed_incident(manager)

    def ids(**params: str) -> list[int]:
        pages = follow(as_manager, "/incidents", limit="2", **params)
        return [i["id"] for page in pages for i in page["items"]]

    everything = [*resolved, *published, confirmed]
    assert ids() == [i.pk for i in reversed(everything)]
    assert ids(status="open") == [confirmed.pk, *(i.pk for i in reversed(published))]
    assert ids(status="resolved") == [i.pk for i in reversed(resolved)]  # latest resolution first
    assert ids(status="identified") == [i.pk for i in reversed(published)]


def test_the_default_limit_and_the_largest(manager: User, as_manager: ApiClient) -> None:
    assert (DEFAULT_LIMIT, MAX_LIMIT) == (50, 200)
    for i in range(DEFAULT_LIMIT + 1):
        a_report(manager, title=f"r{i}")
    body = as_manager.get("/reports").json()
    assert len(body["items"]) == DEFAULT_LIMIT and body["next"] is not None
    body = as_manager.get("/reports", limit=str(MAX_LIMIT)).json()
    assert len(body["items"]) == DEFAULT_LIMIT + 1 and body["next"] is None


@pytest.mark.parametrize("path", ["/reports", "/incidents"])
@pytest.mark.parametrize(
    ("limit", "contains"),
    [("201", "less than or equal to 200"), ("0", "greater than or equal to 1"), ("ten", "integer")],
)
def test_a_limit_out_of_bounds_answers_422_naming_it(
    as_manager: ApiClient, path: str, limit: str, contains: str
) -> None:
    assert_error(as_manager.get(path, limit=limit), 422, field="limit", contains=contains)


@pytest.mark.parametrize(
    "cursor", ["nonsense", "e30", encode_cursor(timezone.now(), 1)[:-3] + "!!!", "W10", "x" * 201]
)
@pytest.mark.parametrize("path", ["/reports", "/incidents"])
def test_a_cursor_the_api_did_not_give_answers_422(
    as_manager: ApiClient, path: str, cursor: str
) -> None:
    assert_error(as_manager.get(path, cursor=cursor), 422, field="cursor")


def test_openapi_documents_the_default_and_the_largest_limit(as_manager: ApiClient) -> None:
    spec = as_manager.client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/reports", "/api/v1/incidents", "/api/v1/incidents/{incident_id}/updates"):
        params = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        limit = params["limit"]["schema"]
        assert (limit["default"], limit["maximum"], limit["minimum"]) == (50, 200, 1)
        assert "cursor" in params


# --- an incident's long history -------------------------------------------------------------


def long_incident(manager: User, developer: User, components: list[Component], updates: int):
    incident = a_published_incident(manager, developer, components)
    for _ in range(updates):
        services.post_update(actor=manager, incident=incident, **update_body())
    return incident


def test_an_incident_answers_with_its_latest_history_and_the_counts(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(schemas, "DETAIL_HISTORY", 3)
    incident = long_incident(manager, developer, components, 5)
    body = as_manager.get(f"/incidents/{incident.pk}").json()
    assert body["update_count"] == 6 and body["timeline_count"] == 12
    assert [u["kind"] for u in body["updates"]] == ["update"] * 3
    every = follow(as_manager, f"/incidents/{incident.pk}/updates", limit="4")
    ids = [u["id"] for page in every for u in page["items"]]
    assert [u["id"] for u in body["updates"]] == ids[-3:]  # the latest, oldest first
    assert len(ids) == 6 and every[0]["items"][0]["kind"] == "publication"


def test_an_incidents_timeline_page_by_page(
    manager: User, developer: User, components: list[Component], as_desk_member: ApiClient
) -> None:
    incident = long_incident(manager, developer, components, 2)
    pages = follow(as_desk_member, f"/incidents/{incident.pk}/timeline", limit="5")
    entries = [e for page in pages for e in page["items"]]
    assert [len(page["items"]) for page in pages] == [5, 4]
    assert entries[0]["kind"] == "report.filed" and entries[0]["label"] == "Problem reported"
    assert [e["kind"] for e in entries[-2:]] == ["incident.updated", "incident.updated"]
    detail = as_desk_member.get(f"/incidents/{incident.pk}").json()
    assert [e["kind"] for e in detail["timeline"]] == [e["kind"] for e in entries]


def test_an_unknown_incidents_history_answers_404(as_manager: ApiClient) -> None:
    for path in ("/incidents/999999/updates", "/incidents/999999/timeline"):
        assert_error(as_manager.get(path), 404, field="incident")


def test_a_reporter_cannot_read_an_incidents_history(
    manager: User, developer: User, components: list[Component], as_reporter: ApiClient
) -> None:
    incident = a_published_incident(manager, developer, components)
    assert_error(as_reporter.get(f"/incidents/{incident.pk}/timeline"), 403, rule="R2")


# --- as many queries for 50 rows as for 5 ------------------------------------------------


def queries_for(client: ApiClient, path: str, **params: str) -> int:
    client.get(path, **params)  # the token's first use of the minute records it: not counted
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def grow(manager: User, developer: User, components: list[Component], count: int) -> None:
    for _ in range(count // 5):
        a_confirmed_incident(manager)
        a_published_incident(manager, developer, components)
        a_resolved_incident(manager, developer, components)
        a_report(manager)
        a_report(manager)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/incidents", {}),
        ("/incidents", {"status": "open"}),
        ("/incidents", {"status": "resolved"}),
        ("/reports", {}),
        ("/reports", {"status": "open"}),
    ],
)
def test_lists_ask_as_many_queries_for_50_rows_as_for_5(
    manager: User,
    developer: User,
    components: list[Component],
    as_manager: ApiClient,
    path: str,
    params: dict[str, str],
) -> None:
    grow(manager, developer, components, 5)
    few = queries_for(as_manager, path, **params)
    grow(manager, developer, components, 45)
    assert queries_for(as_manager, path, **params) == few


def test_an_incident_asks_no_more_queries_for_50_updates_than_for_5(
    manager: User, developer: User, components: list[Component], as_manager: ApiClient
) -> None:
    incident = long_incident(manager, developer, components, 5)
    few = queries_for(as_manager, f"/incidents/{incident.pk}")
    for _ in range(45):
        services.post_update(actor=manager, incident=incident, **update_body())
    # The names the timeline shows are looked up once per kind (users, components, updates,
    # issues): fewer kinds among the latest entries, fewer look-ups, never one per entry.
    assert queries_for(as_manager, f"/incidents/{incident.pk}") <= few
    for path in ("updates", "timeline"):
        few = queries_for(as_manager, f"/incidents/{incident.pk}/{path}", limit="5")
        assert queries_for(as_manager, f"/incidents/{incident.pk}/{path}", limit="50") <= few
