"""The live thread over a websocket (Channels' communicator against statusdesk's own ASGI
application): the same access rule as the console and the API, news as it is posted, and a
reconnect with `since` that brings what was missed. Also with the Redis channel layer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import Role
from statusdesk.accounts.services import ensure_user
from statusdesk.desk import services as desk
from statusdesk.desk.models import Message
from tests.desk.socket import Socket
from tests.factories import a_desk_of, an_assigned_incident

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 10  # seconds: the deadline for each expected frame


def _run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run an async test body on a loop of its own thread (Playwright's sync API may hold this
    thread's loop when the browser tests ran first)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, test()).result()


def _cookie(user: User) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return [
        (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={session}".encode()),
        (b"origin", b"http://127.0.0.1:8000"),
        (b"host", b"127.0.0.1:8000"),
    ]


def _socket(user: User, incident_id: int, since: int = 0) -> Socket:
    from statusdesk.asgi import application

    return Socket(
        application, f"/ws/desk/incidents/{incident_id}/?since={since}", headers=_cookie(user)
    )


@pytest.fixture
def scene(admin_user, manager, developer) -> dict[str, Any]:
    a_desk_of(admin_user, 4)
    incident = an_assigned_incident(manager, developer)
    outsider, _ = ensure_user("dev3@example.com", role=Role.DEVELOPER)
    return {"incident": incident, "manager": manager, "developer": developer, "outsider": outsider}


def _live_exchange(scene: dict[str, Any]) -> None:
    incident = scene["incident"]

    async def run() -> None:
        socket = _socket(scene["developer"], incident.pk)
        connected, _ = await socket.connect(timeout=WAIT)
        assert connected
        kickoff = await socket.receive_json_from(timeout=WAIT)
        assert kickoff["type"] == "message" and kickoff["kind"] == "kickoff"
        await _post(scene["manager"], incident.pk, "Any news? @developer")
        news = await socket.receive_json_from(timeout=WAIT)
        assert "Any news?" in news["html"] and news["id"] > kickoff["id"]
        await socket.disconnect()
        # Missed while disconnected, then brought by the reconnect.
        await _post(scene["manager"], incident.pk, "missed one")
        again = _socket(scene["developer"], incident.pk, since=news["id"])
        connected, _ = await again.connect(timeout=WAIT)
        assert connected
        missed = await again.receive_json_from(timeout=WAIT)
        assert "missed one" in missed["html"]
        assert await again.receive_nothing(timeout=0.3)
        await again.disconnect()

    _run(run)


async def _post(user: User, incident_id: int, text: str) -> Message:
    from channels.db import database_sync_to_async

    return await database_sync_to_async(desk.post_message)(
        actor=user, incident=incident_id, text=text
    )


@pytest.fixture
def no_safety_poll(monkeypatch) -> None:
    """The consumer's safety look at the database pushed out of reach: what arrives was pushed."""
    from statusdesk.desk import consumers

    monkeypatch.setattr(consumers, "SAFETY_POLL_SECONDS", 3600.0)
    monkeypatch.setattr(consumers, "IN_MEMORY_POLL_SECONDS", 3600.0)


@pytest.fixture
def redis_layer(settings, redis_url) -> Iterator[None]:
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": "statusdesk-test:channels:"},
        }
    }
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def test_messages_are_pushed_and_a_reconnect_gets_what_it_missed(scene, no_safety_poll) -> None:
    _live_exchange(scene)


def test_pushed_with_the_redis_channel_layer(scene, no_safety_poll, redis_layer) -> None:
    _live_exchange(scene)


def _lost_nudge_exchange(scene: dict[str, Any]) -> None:
    """A post whose nudge is lost: not delivered until the consumer's safety look."""
    incident = scene["incident"]

    async def run() -> None:
        socket = _socket(scene["developer"], incident.pk)
        connected, _ = await socket.connect(timeout=WAIT)
        assert connected
        assert (await socket.receive_json_from(timeout=WAIT))["kind"] == "kickoff"
        await _post(scene["manager"], incident.pk, "nudge lost")
        news = await socket.receive_json_from(timeout=WAIT)
        assert "nudge lost" in news["html"]
        await socket.disconnect()

    _run(run)


@pytest.mark.parametrize("layer", ["memory", "redis"])
def test_a_lost_nudge_is_caught_by_the_safety_poll(scene, monkeypatch, request, layer) -> None:
    from statusdesk.desk import consumers, live

    if layer == "redis":
        request.getfixturevalue("redis_layer")
    monkeypatch.setattr(live, "_nudge", lambda incident_id: None)  # every nudge lost
    monkeypatch.setattr(consumers, "SAFETY_POLL_SECONDS", 0.2)
    monkeypatch.setattr(consumers, "IN_MEMORY_POLL_SECONDS", 0.2)
    _lost_nudge_exchange(scene)


def test_without_a_nudge_or_a_poll_nothing_arrives(scene, monkeypatch, no_safety_poll) -> None:
    """The counterpart: the push tests above cannot pass by polling."""
    from statusdesk.desk import live

    monkeypatch.setattr(live, "_nudge", lambda incident_id: None)
    incident = scene["incident"]

    async def run() -> None:
        socket = _socket(scene["developer"], incident.pk)
        connected, _ = await socket.connect(timeout=WAIT)
        assert connected
        assert (await socket.receive_json_from(timeout=WAIT))["kind"] == "kickoff"
        await _post(scene["manager"], incident.pk, "never nudged")
        assert await socket.receive_nothing(timeout=1.0)
        await socket.disconnect()

    _run(run)


def test_the_safety_poll_is_slow_and_quicker_only_on_the_in_memory_layer() -> None:
    from channels.layers import InMemoryChannelLayer

    from statusdesk.desk.consumers import safety_poll_seconds

    assert safety_poll_seconds(object()) == 30.0
    assert safety_poll_seconds(InMemoryChannelLayer()) == 5.0


def test_outsiders_and_anonymous_visitors_are_refused(scene) -> None:
    incident = scene["incident"]

    async def run() -> None:
        from statusdesk.asgi import application

        for socket in (
            _socket(scene["outsider"], incident.pk),
            _socket(scene["outsider"], 999999),
            Socket(
                application,
                f"/ws/desk/incidents/{incident.pk}/",
                headers=[(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")],
            ),
        ):
            connected, code = await socket.connect(timeout=WAIT)
            assert not connected and code == 4404
        foreign = Socket(
            application,
            f"/ws/desk/incidents/{incident.pk}/",
            headers=[*_cookie(scene["manager"])[:1], (b"origin", b"https://evil.example")],
        )
        connected, _ = await foreign.connect(timeout=WAIT)
        assert not connected

    _run(run)


def test_a_bad_since_is_named(scene) -> None:
    async def run() -> None:
        socket = _socket(scene["manager"], scene["incident"].pk)
        socket.scope["query_string"] = b"since=abc"
        connected, _ = await socket.connect(timeout=WAIT)
        assert connected
        error = await socket.receive_json_from(timeout=WAIT)
        assert error == {"type": "error", "message": "since must be a message id"}
        assert (await socket.receive_output(timeout=WAIT))["type"] == "websocket.close"

    _run(run)
