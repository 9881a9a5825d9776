"""What administrators do: the failed deliveries with "retry" and "retry all", chat channels as
Apprise URLs with "send test message" (to a real HTTP receiver through Apprise's json://)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component
from statusdesk.notifications.models import ChatChannel, Delivery
from tests.factories import a_published_incident, a_subscriber
from tests.notifications.receivers import WebhookReceiver

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def gone_for_now(settings: Any) -> Any:
    """A receiver that answers 410 Gone (a permanent refusal) until `gone["now"]` is False."""
    settings.STATUSDESK_WEBHOOK_ALLOW_PRIVATE = True
    gone = {"now": True}
    server = WebhookReceiver(lambda path, nth: 410 if gone["now"] else 200).start()
    yield server, gone
    server.stop()


def test_failed_deliveries_are_listed_and_retried_by_an_administrator(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    gone_for_now: Any,
) -> None:
    receiver, gone = gone_for_now
    a_subscriber(admin_user, email=None, webhook_url=receiver.url("/a"))
    a_subscriber(admin_user, email=None, webhook_url=receiver.url("/b"))
    # Each webhook gets the incident payload and one per component changed (two).
    incident = a_published_incident(manager, developer, components)
    assert set(Delivery.objects.values_list("state", flat=True)) == {"failed"}
    assert Delivery.objects.count() == 6
    admin = _signed_in(admin_user)
    page = admin.get("/manage/notifications/failed/")
    assert page.status_code == 200
    assert receiver.url("/a").encode() in page.content and b"HTTP 410" in page.content
    # The incident page counts them (with the publication that caused them), and leads
    # administrators to the list.
    detail = admin.get(f"/manage/incidents/{incident.pk}/").content.decode()
    assert "0 sent · 0 queued · 0 retrying · 6 failed" in detail
    gone["now"] = False
    one = Delivery.objects.get(
        subscriber__webhook_url=receiver.url("/a"), event__kind="incident.published"
    )
    admin.post("/manage/notifications/failed/", {"delivery": str(one.pk)})
    assert list(Delivery.objects.filter(state="sent").values_list("pk", flat=True)) == [one.pk]
    admin.post("/manage/notifications/failed/", {})
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert len(receiver.delivered("/a")) == len(receiver.delivered("/b")) == 3


@pytest.mark.parametrize("named", ["abc", "", "-1", "99999999999999999999", "999"])
def test_retrying_a_delivery_that_is_not_one_retries_nothing(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    gone_for_now: Any,
    named: str,
) -> None:
    """A "Retry" naming no failed delivery is a 404; it used to fall through to "retry all"."""
    receiver, gone = gone_for_now
    a_subscriber(admin_user, email=None, webhook_url=receiver.url("/a"))
    a_published_incident(manager, developer, components)
    gone["now"] = False
    answer = _signed_in(admin_user).post("/manage/notifications/failed/", {"delivery": named})
    assert answer.status_code == 404
    assert set(Delivery.objects.values_list("state", flat=True)) == {"failed"}
    assert receiver.delivered("/a") == []


def test_only_administrators_see_failed_deliveries(manager: User) -> None:
    assert _signed_in(manager).get("/manage/notifications/failed/").status_code == 403
    assert Client().get("/manage/notifications/failed/").status_code == 302  # to the sign-in page


def test_a_chat_channel_gets_a_test_message_and_incident_notifications(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    receiver: WebhookReceiver,
) -> None:
    port = receiver.server.server_address[1]
    admin = _signed_in(admin_user)
    added = admin.post(
        "/admin/notifications/chatchannel/add/",
        {
            "name": "Ops room",
            "url": f"json://127.0.0.1:{port}/chat",
            "all_components": "on",
            "active": "on",
        },
    )
    assert added.status_code == 302, added.content
    channel = ChatChannel.objects.get()
    admin.post(
        "/admin/notifications/chatchannel/",
        {"action": "send_test_message", "_selected_action": [str(channel.pk)]},
    )
    [(_, first)] = receiver.delivered("/chat")
    assert "Test message" in json.loads(first)["title"]
    incident = a_published_incident(manager, developer, components)
    _, second = receiver.delivered("/chat")[1]
    assert json.loads(second)["title"] == f"[Identified] {incident.name}"
    assert Delivery.objects.get().channel == "chat"


def test_a_chat_channel_needs_an_apprise_url(admin_user: User) -> None:
    refused = _signed_in(admin_user).post(
        "/admin/notifications/chatchannel/add/",
        {"name": "Nowhere", "url": "nonsense://x", "all_components": "on", "active": "on"},
    )
    assert refused.status_code == 200
    assert b"not an Apprise URL" in refused.content
    assert not ChatChannel.objects.exists()


def test_a_chat_channel_url_is_never_shown_back_nor_in_a_failure(admin_user: User) -> None:
    """The URL holds the room's token: the admin shows its scheme only, keeps it when the field is
    left empty, and a failed test message (nothing listens on the port) names no part of it."""
    secret = "json://127.0.0.1:9/T0KENs3cr3tvalue"
    admin = _signed_in(admin_user)
    admin.post(
        "/admin/notifications/chatchannel/add/",
        {"name": "Ops room", "url": secret, "all_components": "on", "active": "on"},
    )
    channel = ChatChannel.objects.get()
    for page in (
        "/admin/notifications/chatchannel/",
        f"/admin/notifications/chatchannel/{channel.pk}/change/",
    ):
        shown = admin.get(page)
        assert shown.status_code == 200
        assert b"T0KENs3cr3tvalue" not in shown.content
        assert "json://…".encode() in shown.content
    kept = admin.post(
        f"/admin/notifications/chatchannel/{channel.pk}/change/",
        {"name": "Ops room 2", "url": "", "all_components": "on", "active": "on"},
    )
    assert kept.status_code == 302, kept.content
    channel.refresh_from_db()
    assert (channel.name, channel.url) == ("Ops room 2", secret)
    failed = admin.post(
        "/admin/notifications/chatchannel/",
        {"action": "send_test_message", "_selected_action": [str(channel.pk)]},
        follow=True,
    )
    assert b"test message was not sent" in failed.content
    assert b"T0KENs3cr3tvalue" not in failed.content
