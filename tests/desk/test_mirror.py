"""The mirror of the desk's posts to an external chat room, through Apprise's json:// to a real
HTTP receiver on 127.0.0.1 (tests/notifications/receivers.py): one mirrored post per desk post, in
order; a receiver that is down: retried, then failed, shown to the administrator, the desk post
itself unaffected; the URL a secret throughout."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from statusdesk.core.errors import NotAllowed, RuleViolation
from statusdesk.core.models import Event
from statusdesk.desk import services as desk
from statusdesk.desk.events import DeskEvent
from statusdesk.desk.models import Message, MirrorPost, MirrorState
from statusdesk.incidents import services
from tests.factories import (
    a_desk_of,
    a_published_incident,
    resolution_fields,
    update_fields,
)
from tests.notifications.receivers import WebhookReceiver, free_port

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "room-token-7f3a9c21"


@pytest.fixture
def room() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def _json_url(port: int) -> str:
    return f"json://127.0.0.1:{port}/{SECRET}"


def _posts(room: WebhookReceiver) -> list[dict[str, str]]:
    return [json.loads(body) for _, body in room.delivered(f"/{SECRET}")]


def test_every_desk_post_is_mirrored_once_in_order(
    room, admin_user, manager, developer, components
) -> None:
    a_desk_of(admin_user, 4)
    desk.set_mirror(actor=admin_user, url=_json_url(room.server.server_address[1]), active=True)
    incident = a_published_incident(manager, developer, components)  # kickoff, publication
    desk.post_message(actor=developer, incident=incident, text="Found it: the **cache** key.")
    services.post_update(actor=manager, incident=incident, **update_fields())
    desk.post_message(actor=manager, incident=incident, text="Thanks, watching.")
    services.resolve_incident(actor=manager, incident=incident, **resolution_fields())
    messages = list(Message.objects.order_by("id"))
    kinds = [m.kind for m in messages]
    assert kinds == [
        "kickoff", "publication", "member", "update", "member", "resolution", "closing"
    ]  # fmt: skip
    posts = _posts(room)
    assert len(posts) == len(messages)  # exactly one mirrored post per desk post
    for post, message in zip(posts, messages, strict=True):  # in the thread's order
        assert post["title"] == f"INC-{incident.pk} · {message.get_kind_display()}"
        assert message.text in post["message"]
        assert f"/manage/incidents/{incident.pk}/thread/" in post["message"]
    assert developer.email in posts[2]["message"]
    assert set(MirrorPost.objects.values_list("state", flat=True)) == {MirrorState.SENT}
    # A re-run of a reaction (or a second sweep) sends nothing more.
    for message in messages:
        desk.owe_mirror_post(message.pk)
    assert desk.send_mirror_posts() == 0
    assert len(_posts(room)) == len(messages)


def test_without_a_mirror_nothing_is_owed(admin_user, manager, developer, components) -> None:
    a_desk_of(admin_user, 4)
    a_published_incident(manager, developer, components)
    assert Message.objects.count() == 2
    assert not MirrorPost.objects.exists()


def test_a_receiver_down_is_retried_then_failed_and_shown(
    room, admin_user, manager, developer, components, caplog
) -> None:
    caplog.set_level(logging.INFO)
    a_desk_of(admin_user, 4)
    incident = a_published_incident(manager, developer, components)
    down = free_port()  # nothing listens there
    desk.set_mirror(actor=admin_user, url=_json_url(down), active=True)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        message = desk.post_message(actor=developer, incident=incident, text="Deploying the fix.")
        post = MirrorPost.objects.get(message=message)
        assert post.state == MirrorState.QUEUED and post.attempts == 1  # tried at once, failed
        # A later post waits behind it (order), untried.
        later = desk.post_message(actor=manager, incident=incident, text="Noted.")
        assert MirrorPost.objects.get(message=later).attempts == 0
        for _ in range(desk.MIRROR_ATTEMPTS + 2):
            post.refresh_from_db()
            if post.state != MirrorState.QUEUED:
                break
            assert post.next_attempt_at > timezone.now()  # backing off
            clock.move_to(post.next_attempt_at + timedelta(seconds=1))
            desk.send_mirror_posts()
        post.refresh_from_db()
    assert post.state == MirrorState.FAILED
    assert post.attempts == desk.MIRROR_ATTEMPTS
    assert post.last_error and SECRET not in post.last_error
    assert MirrorPost.objects.get(message=later).state == MirrorState.FAILED
    # The desk posts themselves are there, as posted.
    assert Message.objects.filter(pk__in=[message.pk, later.pk]).count() == 2
    # The administrator sees it, never the URL.
    console = Client()
    console.force_login(admin_user)
    page = console.get("/manage/desk/mirror/").content.decode()
    assert "2 failed" in page and 'data-testid="mirror-failed"' in page
    assert SECRET not in page and "json://…" in page
    assert SECRET not in caplog.text
    # Pointed at a room that answers, a retry sends both, in order.
    desk.set_mirror(actor=admin_user, url=_json_url(room.server.server_address[1]), active=True)
    answer = console.post("/manage/desk/mirror/", {"action": "retry"}, follow=True)
    assert "2 failed post(s) will be sent again" in answer.content.decode()
    assert [p["message"].split("\n")[1] for p in _posts(room)] == ["Deploying the fix.", "Noted."]
    assert SECRET not in json.dumps([e.data for e in Event.objects.all()])


def test_the_test_message_and_who_sets_the_mirror(room, admin_user, manager, desk_member) -> None:
    console = Client()
    console.force_login(admin_user)
    url = _json_url(room.server.server_address[1])
    answer = console.post(
        "/manage/desk/mirror/", {"action": "save", "url": url, "active": "on"}, follow=True
    )
    assert "The mirror is saved." in answer.content.decode()
    assert SECRET not in answer.content.decode()
    # Saving without a URL keeps the secret one (it is never sent back to the browser).
    console.post("/manage/desk/mirror/", {"action": "save", "url": "", "active": "on"})
    assert desk.mirror().url == url  # type: ignore[union-attr]
    answer = console.post("/manage/desk/mirror/", {"action": "test"}, follow=True)
    assert "The test message was sent." in answer.content.decode()
    [test] = _posts(room)
    assert test["title"].startswith("Test message from the Incident Desk")
    changed = Event.objects.filter(kind=DeskEvent.MIRROR_CHANGED).first()
    assert changed is not None and changed.data["scheme"] == "json://…"
    for outsider in (manager, desk_member):
        other = Client()
        other.force_login(outsider)
        assert other.get("/manage/desk/mirror/").status_code == 403
        with pytest.raises(NotAllowed):
            desk.set_mirror(actor=outsider, url=url, active=True)


def test_a_bad_url_and_a_test_to_a_room_that_is_down_say_why(admin_user) -> None:
    with pytest.raises(RuleViolation) as refused:
        desk.set_mirror(actor=admin_user, url="not a url", active=True)
    assert refused.value.field == "url"
    desk.set_mirror(actor=admin_user, url=_json_url(free_port()), active=True)
    with pytest.raises(RuleViolation) as failed:
        desk.send_mirror_test(actor=admin_user)
    assert "the test message was not sent" in failed.value.message
    assert SECRET not in failed.value.message


def test_one_sender_at_a_time(room, admin_user, manager, developer, components) -> None:
    """Claims, not locks: while one worker holds the mirror, another sends nothing (order)."""
    a_desk_of(admin_user, 4)
    desk.set_mirror(actor=admin_user, url=_json_url(room.server.server_address[1]), active=True)
    held = desk._claim_mirror(timezone.now())
    assert held is not None
    incident = a_published_incident(manager, developer, components)
    assert MirrorPost.objects.filter(state=MirrorState.QUEUED).count() == 2
    assert desk.send_mirror_posts() == 0 and _posts(room) == []
    # The holder's claim lapses (a killed worker): the next sender takes it and sends in order.
    with time_machine.travel(timezone.now() + desk.MIRROR_LEASE + timedelta(seconds=1)):
        assert desk.send_mirror_posts() == 2
    assert [p["title"] for p in _posts(room)] == [
        f"INC-{incident.pk} · Kickoff",
        f"INC-{incident.pk} · Published",
    ]
