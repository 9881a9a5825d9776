"""The ASGI fast path in front of Django (statusdesk.statuspage.fastpath): once Django has made a
public answer from the snapshot, the same request gets the same status, headers (security headers
included) and bytes from memory, 304 too, until the snapshot's version changes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from django.core.asgi import get_asgi_application

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component
from statusdesk.statuspage.fastpath import SnapshotFastPath
from statusdesk.statuspage.snapshot import rebuild_snapshot
from tests.factories import a_published_incident
from tests.statuspage.conftest import PUBLIC_PATHS

pytestmark = pytest.mark.django_db

Answer = tuple[int, dict[str, str], bytes]


class CountingDjango:
    """Django's ASGI application, counting the requests that reach it."""

    def __init__(self) -> None:
        self.django = get_asgi_application()
        self.calls = 0
        self.gate: asyncio.Event | None = None  # when set: requests wait here before Django

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        await self.django(scope, receive, send)


def call(app: Any, path: str, **options: Any) -> Answer:
    return asyncio.run(request(app, path, **options))


async def request(
    app: Any,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    scheme: str = "http",
    host: str = "testserver",
) -> Answer:
    raw = [(b"host", host.encode())] + [
        (k.lower().encode(), v.encode()) for k, v in (headers or {}).items()
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": raw,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    messages: list[dict[str, Any]] = []
    received: list[bool] = []

    answered = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if not received:
            received.append(True)
            return {"type": "http.request", "body": b"", "more_body": False}
        await answered.wait()  # as a server: the client leaves once it has the answer
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


@pytest.fixture
def apps(components: list[Component]) -> tuple[SnapshotFastPath, CountingDjango]:
    rebuild_snapshot()
    django = CountingDjango()
    return SnapshotFastPath(django), django


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_the_fast_path_answers_what_django_answers(
    apps: tuple[SnapshotFastPath, CountingDjango], path: str
) -> None:
    fast, django = apps
    through_django = call(fast, path)
    assert django.calls == 1
    from_memory = call(fast, path)
    assert django.calls == 1  # not asked again
    assert from_memory == through_django
    status, headers, _ = from_memory
    assert status == 200
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["access-control-allow-origin"] == "*"
    # And Django alone answers the same again.
    assert call(django.django, path) == through_django


@pytest.mark.parametrize("condition", ["If-None-Match", "If-Modified-Since"])
def test_a_304_from_memory_is_the_304_django_gives(
    apps: tuple[SnapshotFastPath, CountingDjango], condition: str
) -> None:
    fast, django = apps
    _, headers, _ = call(fast, "/api/v2/summary.json")
    value = headers["etag"] if condition == "If-None-Match" else headers["last-modified"]
    from_memory = call(fast, "/api/v2/summary.json", headers={condition: value})
    assert django.calls == 1
    assert from_memory[0] == 304 and from_memory[2] == b""
    assert from_memory == call(django.django, "/api/v2/summary.json", headers={condition: value})
    assert call(fast, "/api/v2/summary.json", headers={"If-None-Match": '"old"'})[0] == 200


def test_a_new_version_goes_to_django_again(
    apps: tuple[SnapshotFastPath, CountingDjango],
    manager: User,
    developer: User,
    components: list[Component],
) -> None:
    fast, django = apps
    before = call(fast, "/api/v2/summary.json")
    a_published_incident(manager, developer, components)
    rebuild_snapshot()
    after = call(fast, "/api/v2/summary.json")
    assert django.calls == 2
    assert after[2] != before[2]
    assert b"Users cannot log in" in after[2]
    assert call(fast, "/api/v2/summary.json") == after
    assert django.calls == 2


def test_other_requests_always_reach_django(apps: tuple[SnapshotFastPath, CountingDjango]) -> None:
    fast, django = apps
    call(fast, "/api/v2/status.json")
    call(fast, "/api/v2/status.json", method="HEAD")
    call(fast, "/api/v2/status.json", method="OPTIONS")
    call(fast, "/healthz")
    call(fast, "/healthz")
    assert django.calls == 5


def test_an_unserved_host_is_refused_by_django_every_time(
    apps: tuple[SnapshotFastPath, CountingDjango],
) -> None:
    fast, django = apps
    assert call(fast, "/api/v2/status.json")[0] == 200
    assert call(fast, "/api/v2/status.json", host="evil.example")[0] == 400
    assert call(fast, "/api/v2/status.json", host="evil.example")[0] == 400
    assert django.calls == 3


def test_answers_over_https_keep_hsts_and_plain_ones_do_not(
    components: list[Component], settings: Any
) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000  # as STATUSDESK_SECURE=1 sets it
    rebuild_snapshot()
    fast = SnapshotFastPath(CountingDjango())
    for _ in range(2):  # through Django, then from memory
        assert "strict-transport-security" in call(fast, "/badge.svg", scheme="https")[1]
        assert "strict-transport-security" not in call(fast, "/badge.svg", scheme="http")[1]


def test_while_a_new_version_is_made_the_crowd_gets_the_previous_answer(
    apps: tuple[SnapshotFastPath, CountingDjango],
    manager: User,
    developer: User,
    components: list[Component],
) -> None:
    """Stale while revalidating: after a change, the first request makes the new answer through
    Django; the requests arriving meanwhile get the previous version's answer at once instead
    of queueing behind it (the tail latency a crowd would see at every update)."""
    fast, django = apps
    path = "/api/v2/summary.json"
    before = call(fast, path)
    a_published_incident(manager, developer, components)
    rebuild_snapshot()

    async def crowd() -> tuple[Answer, Answer]:
        django.gate = asyncio.Event()
        first = asyncio.create_task(request(fast, path))
        for _ in range(1000):  # until the first request is with Django (held at the gate)
            if fast.inflight:
                break
            await asyncio.sleep(0)
        assert fast.inflight, "the first request never reached Django"
        try:  # answered while the first is still held (a deadline, so a regression fails)
            meanwhile = await asyncio.wait_for(request(fast, path), timeout=5)
        finally:
            django.gate.set()
        return await first, meanwhile

    first, meanwhile = asyncio.run(crowd())
    assert meanwhile == before
    assert b"Users cannot log in" in first[2]
    assert django.calls == 2
    django.gate = None
    assert call(fast, path) == first  # once made, the new answer for everyone
    assert django.calls == 2
