"""The snapshot in the cache: ETag, Last-Modified, Cache-Control and 304; no database query on a
warm request; a cold or flushed cache builds it on demand, once; every change to public data
rebuilds it after its commit (the reaction); CORS on every public answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.core.models import ReactionRun
from statusdesk.core.reactions import registered_reactions
from statusdesk.incidents import components as component_services
from statusdesk.incidents import services
from statusdesk.incidents.models import Component
from statusdesk.statuspage import snapshot
from statusdesk.statuspage.reactions import PUBLIC_KINDS
from tests.factories import (
    a_published_incident,
    an_assigned_incident,
    an_incident_assigned_in_the_past,
    an_update,
    publication,
)
from tests.statuspage.conftest import PUBLIC_PATHS, get_json

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_answers_carry_validators_and_answer_304(
    client: Client, components: list[Component], path: str
) -> None:
    first = client.get(path)
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=0, must-revalidate"
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": "not a date"}).status_code == 200
    assert (
        client.get(path, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code
        == 200
    )
    # If-None-Match decides when both are sent.
    both = {"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    assert client.get(path, headers=both).status_code == 200


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_a_warm_request_runs_no_database_query_and_sets_no_cookie(
    client: Client,
    manager: User,
    developer: User,
    components: list[Component],
    path: str,
    django_assert_num_queries: Any,
) -> None:
    a_published_incident(manager, developer, components)
    client.get(path)  # warms the cache
    with django_assert_num_queries(0):
        response = client.get(path)
        not_modified = client.get(path, headers={"If-None-Match": response["ETag"]})
    assert response.status_code == 200
    assert not_modified.status_code == 304
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_a_signed_in_visitor_gets_the_same_answer_without_a_query(
    client: Client, manager: User, components: list[Component], django_assert_num_queries: Any
) -> None:
    client.get("/api/v2/summary.json")
    client.force_login(manager)
    with django_assert_num_queries(0):
        response = client.get("/api/v2/summary.json")
    assert response.status_code == 200


def test_a_cold_cache_builds_once_and_a_flushed_one_builds_again(
    client: Client, components: list[Component], django_assert_num_queries: Any
) -> None:
    first = client.get("/api/v2/summary.json")
    assert first.status_code == 200
    cache.clear()
    snapshot.forget_local()
    rebuilt = client.get("/api/v2/summary.json")
    assert rebuilt.status_code == 200
    assert rebuilt.content == first.content
    with django_assert_num_queries(0):
        assert client.get("/api/v2/summary.json").status_code == 200


def test_an_evicted_snapshot_is_rebuilt_even_when_its_pointer_is_left(
    client: Client, components: list[Component]
) -> None:
    client.get("/api/v2/status.json")
    cache.delete(snapshot.SNAPSHOT_KEY)
    snapshot.forget_local()
    assert client.get("/api/v2/status.json").status_code == 200
    assert isinstance(cache.get(snapshot.SNAPSHOT_KEY), snapshot.Snapshot)


def test_a_waiter_builds_itself_when_the_builder_never_finishes(
    client: Client, components: list[Component], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another process took the lock and died: the request waits its turn, then builds.
    monkeypatch.setattr(snapshot, "BUILD_WAIT_SECONDS", 0.2)
    cache.add(snapshot.LOCK_KEY, "1", timeout=60)
    assert client.get("/api/v2/summary.json").status_code == 200


def test_a_stale_snapshot_is_rebuilt_on_demand(client: Client, components: list[Component]) -> None:
    old = snapshot.build_snapshot(now=timezone.now() - snapshot.STALE_AFTER - timedelta(minutes=1))
    snapshot.store(old)
    assert client.get("/api/v2/status.json").status_code == 200
    current = snapshot.current_pointer(fresh=True)
    assert current is not None and not snapshot.is_stale(current)


def test_same_content_keeps_its_version_and_last_modified(components: list[Component]) -> None:
    first = snapshot.rebuild_snapshot()
    second = snapshot.rebuild_snapshot()
    assert first is not None and second is not None
    assert second.version == first.version
    assert second.last_modified == first.last_modified
    assert second.built_at > first.built_at


# --- CORS --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_cors_open_for_get_and_preflight(
    client: Client, components: list[Component], path: str
) -> None:
    response = client.get(path, headers={"Origin": "https://someone.example"})
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    preflight = client.options(
        path,
        headers={
            "Origin": "https://someone.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]


def test_only_reading_is_allowed(components: list[Component]) -> None:
    client = Client(enforce_csrf_checks=True)  # as a browser or a script meets it
    refused = client.post("/api/v2/summary.json")
    assert refused.status_code == 405
    assert json.loads(refused.content)["field"] == "method"
    missing = client.get("/api/v2/nothing.json")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/json")
    refusal = json.loads(missing.content)
    assert refusal["field"] is None  # as every unknown path under /api/
    assert "/api/v2/nothing.json" in refusal["detail"]
    assert "/api/v2/summary.json" in refusal["detail"]


# --- rebuilt after each committed change (the reaction) -------------------------------------


def test_the_rebuild_reacts_to_every_kind_that_changes_public_data() -> None:
    registered = registered_reactions()["statuspage.rebuild_snapshot"]
    assert registered.kinds == frozenset(str(kind) for kind in PUBLIC_KINDS)
    assert {
        "incident.published",
        "incident.updated",
        "incident.resolved",
        "component.added",
        "component.changed",
        "component.removed",
    } <= registered.kinds


def summary(client: Client) -> dict[str, Any]:
    result: dict[str, Any] = get_json(client, "/api/v2/summary.json")
    return result


def committed(capture: Any, step: Callable[[], Any]) -> Any:
    """Run a step and its reactions after commit, as the worker would."""
    with capture(execute=True):
        return step()


@pytest.fixture
def warm(client: Client, components: list[Component]) -> dict[str, Any]:
    return summary(client)


def test_publishing_rebuilds_once(
    client: Client,
    manager: User,
    developer: User,
    components: list[Component],
    warm: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = an_assigned_incident(manager, developer)
    assert summary(client) == warm  # nothing public changed
    committed(
        django_capture_on_commit_callbacks,
        lambda: services.publish_incident(
            actor=manager, incident=incident, **publication(components)
        ),
    )
    after = summary(client)
    assert [i["id"] for i in after["incidents"]] == [str(incident.pk)]
    assert after["components"][0]["status"] == "partial_outage"
    runs = ReactionRun.objects.filter(
        reaction="statuspage.rebuild_snapshot", event__subjects__key=f"incident:{incident.pk}"
    )
    # One publication, one rebuild (its component status events do not ask for another).
    assert [run.event.kind for run in runs] == ["incident.published"]
    assert runs.get().handled_at is not None


def test_an_update_and_a_resolution_rebuild(
    client: Client,
    manager: User,
    developer: User,
    components: list[Component],
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = committed(
        django_capture_on_commit_callbacks,
        lambda: a_published_incident(manager, developer, components),
    )
    summary(client)
    committed(django_capture_on_commit_callbacks, lambda: an_update(manager, incident))
    assert summary(client)["incidents"][0]["status"] == "monitoring"
    committed(
        django_capture_on_commit_callbacks,
        lambda: services.resolve_incident(actor=manager, incident=incident, message="Resolved."),
    )
    after = summary(client)
    assert after["incidents"] == []
    assert after["status"]["indicator"] == "none"
    assert get_json(client, "/api/v2/incidents.json")["incidents"][0]["status"] == "resolved"


def test_back_filled_steps_rebuild_with_their_own_times(
    client: Client,
    manager: User,
    developer: User,
    components: list[Component],
    warm: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    incident = an_incident_assigned_in_the_past(manager, developer, hours=5)
    now = timezone.now()
    committed(
        django_capture_on_commit_callbacks,
        lambda: services.publish_incident(
            actor=manager, incident=incident, at=now - timedelta(hours=4), **publication(components)
        ),
    )
    committed(
        django_capture_on_commit_callbacks,
        lambda: services.resolve_incident(
            actor=manager, incident=incident, message="Resolved.", at=now - timedelta(hours=3)
        ),
    )
    resolved = get_json(client, "/api/v2/incidents.json")["incidents"][0]
    assert resolved["status"] == "resolved"
    assert datetime.fromisoformat(resolved["resolved_at"]) == (now - timedelta(hours=3)).replace(
        microsecond=(now.microsecond // 1000) * 1000
    )
    assert datetime.fromisoformat(resolved["created_at"]) < now - timedelta(hours=3)


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (
            lambda c: component_services.add_component(actor=None, name="Billing"),
            lambda body, c: body["components"][-1]["name"] == "Billing",
        ),
        (
            lambda c: component_services.change_component(
                actor=None, component=c[0], name="Platform API"
            ),
            lambda body, c: body["components"][0]["name"] == "Platform API",
        ),
        (
            lambda c: component_services.change_component(actor=None, component=c[0], position=99),
            lambda body, c: body["components"][-1]["id"] == str(c[0].pk),
        ),
        (
            lambda c: component_services.change_component(
                actor=None, component=c[1], description="The public web site."
            ),
            lambda body, c: body["components"][1]["description"] == "The public web site.",
        ),
        (
            lambda c: component_services.remove_component(actor=None, component=c[-1]),
            lambda body, c: str(c[-1].pk) not in [x["id"] for x in body["components"]],
        ),
    ],
    ids=["added", "renamed", "reordered", "described", "removed"],
)
def test_administrators_component_changes_rebuild(
    client: Client,
    components: list[Component],
    warm: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    change: Callable[[list[Component]], Any],
    check: Callable[[dict[str, Any], list[Component]], bool],
) -> None:
    before = client.get("/api/v2/components.json")
    committed(django_capture_on_commit_callbacks, lambda: change(components))
    body = get_json(client, "/api/v2/components.json")
    assert check(body, components)
    assert client.get("/api/v2/components.json")["ETag"] != before["ETag"]
    stale = client.get("/api/v2/components.json", headers={"If-None-Match": before["ETag"]})
    assert stale.status_code == 200


def test_a_rolled_back_step_rebuilds_nothing(
    client: Client, manager: User, components: list[Component], warm: dict[str, Any]
) -> None:
    from statusdesk.core.errors import RuleViolation

    with pytest.raises(RuleViolation):
        component_services.add_component(actor=None, name="")
    assert summary(client) == warm


def test_a_cache_that_does_not_answer_still_gets_an_answer(
    client: Client, manager: User, developer: User, components: list[Component], settings: Any
) -> None:
    incident = a_published_incident(manager, developer, components)
    # Redis down: nothing listens on port 9.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    response = client.get("/api/v2/summary.json")
    assert response.status_code == 200
    assert [i["id"] for i in json.loads(response.content)["incidents"]] == [str(incident.pk)]
    assert client.get("/badge.svg").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_crowd_on_a_cold_cache_builds_the_snapshot_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from django.db import connection

    component_services.ensure_default_components()  # committed: its reactions built one
    cache.clear()
    snapshot.forget_local()
    builds: list[int] = []
    real_build = snapshot.build_snapshot

    def counted(**kwargs: Any) -> snapshot.Snapshot:
        builds.append(1)
        return real_build(**kwargs)

    monkeypatch.setattr(snapshot, "build_snapshot", counted)
    versions: list[str] = []
    start = threading.Barrier(8)

    def visitor() -> None:
        start.wait()
        try:
            versions.append(snapshot.current_snapshot().version)
        finally:
            connection.close()

    crowd = [threading.Thread(target=visitor) for _ in range(8)]
    for thread in crowd:
        thread.start()
    for thread in crowd:
        thread.join()
    assert len(versions) == 8 and len(set(versions)) == 1
    assert len(builds) == 1
