"""The fan-out and what is sent, in process: a step commits, its reaction writes one delivery per
matching subscriber, and the deliveries reach a real SMTP server and a real webhook receiver."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from statusdesk.accounts.models import User
from statusdesk.incidents import services as incident_services
from statusdesk.incidents.models import Component, Incident
from statusdesk.notifications import services
from statusdesk.notifications.messages import MessageBuilder
from statusdesk.notifications.models import Delivery, Fanout, Subscriber
from statusdesk.statuspage.snapshot import published_incident
from tests.factories import (
    a_published_incident,
    a_subscriber,
    an_assigned_incident,
    publication,
    update_fields,
)
from tests.notifications.receivers import SmtpSink, WebhookReceiver

pytestmark = pytest.mark.django_db(transaction=True)


def _publish(manager: User, developer: User, components: list[Component]) -> Incident:
    # The incident affects components 0 and 1.
    return a_published_incident(manager, developer, components)


def test_publication_reaches_each_matching_subscriber_once(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    smtp: SmtpSink,
) -> None:
    everything = a_subscriber(admin_user, email="all@client.example")
    matching = a_subscriber(
        admin_user, email="one@client.example", component_ids=[components[1].pk]
    )
    a_subscriber(admin_user, email="other@client.example", component_ids=[components[4].pk])
    a_subscriber(admin_user, email="unconfirmed@client.example", confirmed=False)
    smtp.messages.clear()  # the unconfirmed one's confirmation
    incident = _publish(manager, developer, components)
    assert sorted(rcpt for rcpt, _, _ in smtp.messages) == [everything.email, matching.email]
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    _, message_id, message = smtp.messages[0]
    delivery = Delivery.objects.get(subscriber__email=smtp.messages[0][0])
    assert message_id == f"<statusdesk.{delivery.idempotency_key}@localhost>"
    assert message["Subject"].strip() == f"[Identified] {incident.name} — statusdesk"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/subscriptions/unsubscribe/" in message["List-Unsubscribe"]
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert set(parts) == {"text/plain", "text/html"}
    for body in parts.values():
        assert incident.message in body
        assert incident.workaround_url in body
        assert f"http://127.0.0.1:8000/incidents/{incident.pk}" in body
        assert "/subscriptions/manage/" in body


def test_expanding_again_adds_nothing(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    smtp: SmtpSink,
    settings: Any,
) -> None:
    """A fan-out written again from the start (as after a crash that lost its cursor) adds no
    delivery and sends nothing more."""
    for i in range(5):
        a_subscriber(admin_user, email=f"s{i}@client.example")
    batch = services.FANOUT_BATCH
    services.FANOUT_BATCH = 2  # three batches of subscribers, then the chat channels
    try:
        _publish(manager, developer, components)
        fanout = Fanout.objects.get(event__kind="incident.published")
        assert fanout.done_at is not None
        Fanout.objects.filter(pk=fanout.pk).update(after_subscriber=0, done_at=None)
        services.expand_fanout(fanout.pk)
    finally:
        services.FANOUT_BATCH = batch
    assert Delivery.objects.count() == 5
    assert smtp.count() == 5
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_a_step_without_notify_sends_nothing(
    admin_user: User, manager: User, developer: User, components: list[Component], smtp: SmtpSink
) -> None:
    a_subscriber(admin_user)
    incident = an_assigned_incident(manager, developer)
    incident_services.publish_incident(
        actor=manager, incident=incident, **publication(components, notify=False)
    )
    assert not Delivery.objects.exists()
    assert smtp.count() == 0


def test_each_update_and_the_resolution_notify_and_are_counted_per_update(
    admin_user: User, manager: User, developer: User, components: list[Component], smtp: SmtpSink
) -> None:
    a_subscriber(admin_user)
    incident = _publish(manager, developer, components)
    incident_services.post_update(actor=manager, incident=incident, **update_fields())
    incident_services.resolve_incident(
        actor=manager, incident=incident, message="Resolved.\nAll good."
    )
    subjects = [m["Subject"].strip() for _, _, m in smtp.messages]
    assert [s.split("]")[0] for s in subjects] == ["[Identified", "[Monitoring", "[Resolved"]
    updates = list(incident.updates.values_list("pk", flat=True))
    counts = services.counts_by_update(updates)
    assert [counts[pk] for pk in updates] == [
        {"queued": 0, "sent": 1, "retrying": 0, "failed": 0}
    ] * 3


def test_the_workaround_is_shown_until_the_incident_is_resolved(
    admin_user: User, manager: User, developer: User, components: list[Component], smtp: SmtpSink
) -> None:
    """One rule (the step's status, not its English label) for both parts of the e-mail and the
    chat message."""
    a_subscriber(admin_user)
    incident = _publish(manager, developer, components)
    incident_services.resolve_incident(
        actor=manager, incident=incident, message="Resolved.\nAll good."
    )
    published, resolved = (
        {
            part.get_content_type(): part.get_payload(decode=True).decode()
            for part in message.walk()
            if not part.is_multipart()
        }
        for _, _, message in smtp.messages
    )
    for kind in ("text/plain", "text/html"):
        assert incident.workaround in published[kind]
        assert incident.workaround not in resolved[kind]
    builder = MessageBuilder()
    chats = [builder.chat(d)[1] for d in Delivery.objects.select_related("event").order_by("pk")]
    assert incident.workaround in chats[0] and incident.workaround not in chats[1]


def test_webhooks_are_signed_and_shaped_like_statuspage(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    receiver: WebhookReceiver,
) -> None:
    subscriber = a_subscriber(admin_user, email=None, webhook_url=receiver.url("/hook"))
    incident = _publish(manager, developer, components)
    # One incident payload, and one component update payload per component it changed
    # (test_component_updates.py).
    [(headers, body)] = [(h, b) for h, b in receiver.delivered("/hook") if b'"incident":' in b]
    # The receiver verifies the signature with a Standard Webhooks implementation.
    payload = Webhook(subscriber.secret).verify(body, headers)
    delivery = Delivery.objects.get(event__kind="incident.published")
    assert headers["webhook-id"] == delivery.idempotency_key
    assert set(payload) == {"meta", "page", "incident"}
    assert payload["incident"]["name"] == incident.name
    assert payload["incident"]["status"] == "identified"
    assert payload["incident"]["impact"] == "major"
    [update] = payload["incident"]["incident_updates"]
    assert update["body"] == incident.message
    assert {c["code"] for c in update["affected_components"]} == {
        str(components[0].pk),
        str(components[1].pk),
    }
    assert {c["new_status"] for c in update["affected_components"]} == {"partial_outage"}
    assert {c["old_status"] for c in update["affected_components"]} == {"operational"}
    assert "/subscriptions/unsubscribe/" in payload["meta"]["unsubscribe"]
    # A forged body fails the receiver's check.
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook(subscriber.secret).verify(body.replace(b"identified", b"resolved"), headers)
    assert json.loads(body)["page"]["status_indicator"] == "major"


def test_an_unsubscribed_subscriber_gets_nothing_more(
    admin_user: User, manager: User, developer: User, components: list[Component], smtp: SmtpSink
) -> None:
    subscriber = a_subscriber(admin_user)
    services.unsubscribe(services.token_for(subscriber, services.Purpose.UNSUBSCRIBE))
    _publish(manager, developer, components)
    assert smtp.count() == 0
    assert not Subscriber.objects.active().exists()


def test_a_delivery_held_by_a_dead_worker_is_not_sent_after_its_subscriber_left(
    admin_user: User, manager: User, developer: User, components: list[Component], smtp: SmtpSink
) -> None:
    """Unsubscribing fails what is still queued or retrying; a delivery a worker had claimed
    when it died (state sending, claim lapsed) is taken again later: it is failed then, not
    sent."""
    subscriber = a_subscriber(admin_user)
    _publish(manager, developer, components)
    delivery = Delivery.objects.get()
    smtp.messages.clear()
    Delivery.objects.filter(pk=delivery.pk).update(
        state="sending", claim="dead-worker", next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    services.unsubscribe(services.token_for(subscriber, services.Purpose.UNSUBSCRIBE))
    assert services.deliver([delivery.pk]) == 0
    assert smtp.count() == 0
    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert delivery.last_error == "unsubscribed before it was sent"


def test_without_smtp_each_email_is_a_file_under_var_mail(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.EMAIL_BACKEND = "statusdesk.notifications.mailfiles.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    a_subscriber(admin_user)
    _publish(manager, developer, components)
    [path] = list((tmp_path / "mail").glob("*.eml"))
    text = path.read_text()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in text
    assert path.name.startswith("statusdesk.e")


def test_a_message_with_a_very_long_line_still_carries_each_subscribers_links(
    admin_user: User, manager: User, developer: User, components: list[Component], smtp: SmtpSink
) -> None:
    """A line over SMTP's 998 characters makes the part quoted-printable, which could cut the
    prepared message's stand-ins: such e-mails are built one by one."""
    subscriber = a_subscriber(admin_user)
    incident = _publish(manager, developer, components)
    incident_services.post_update(
        actor=manager, incident=incident, **update_fields(message="word " * 300)
    )
    _, _, message = smtp.messages[-1]
    # The subscriber's own manage link, whole, in each part (the signature's time is the
    # moment the message was built: the link is read back rather than built again here).
    manage = re.escape(services.link("/subscriptions/manage/")) + r"([^/\s]+)/"
    for part in message.walk():
        if not part.is_multipart():
            found = re.search(manage, part.get_content())
            assert found, part.get_content()
            assert services.subscriber_for(found.group(1), services.Purpose.MANAGE) == subscriber
    assert "@@statusdesk" not in message.as_string()


def test_the_sweep_finishes_a_fan_out_whose_task_was_lost(
    admin_user: User, manager: User, developer: User, components: list[Component], smtp: SmtpSink
) -> None:
    """A worker died half-way through a fan-out (its cursor after the first subscriber): the
    sweep queues it again, and it goes on from there."""
    first, second = (a_subscriber(admin_user, email=f"s{i}@client.example") for i in range(2))
    _publish(manager, developer, components)
    fanout = Fanout.objects.get(event__kind="incident.published")
    Delivery.objects.filter(subscriber=second).delete()
    Fanout.objects.filter(pk=fanout.pk).update(after_subscriber=first.pk, done_at=None)
    smtp.messages.clear()
    services.sweep(grace=timedelta(0))
    assert [rcpt for rcpt, _, _ in smtp.messages] == [second.email]
    assert Fanout.objects.get(pk=fanout.pk).done_at is not None


def test_the_incident_payload_is_the_api_v2_incident_as_it_was_at_the_step(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    receiver: WebhookReceiver,
) -> None:
    """One rule for the incident object (statuspage/snapshot.py): an affected component's
    old_status reads as in /api/v2/ even when another incident already gave it a worse status
    (the payload used to derive it on its own, from the component events, and said
    partial_outage → partial_outage here); each step's payload lists the updates up to its own."""
    a_published_incident(manager, developer, components, severity="major_outage")
    subscriber = a_subscriber(
        admin_user, email=None, webhook_url=receiver.url("/hook"), component_ids=[components[0].pk]
    )
    second = _publish(manager, developer, components)
    update = incident_services.post_update(actor=manager, incident=second, **update_fields())
    webhook = Webhook(subscriber.secret)
    payloads = [webhook.verify(body, headers) for headers, body in receiver.delivered("/hook")]
    published_payload, updated_payload = (p["incident"] for p in payloads if "incident" in p)
    api = published_incident(second.pk)
    assert api is not None
    api_object = api[0]
    assert updated_payload == {**api_object, "backfilled": False}
    assert [u["id"] for u in updated_payload["incident_updates"]][0] == str(update.pk)
    assert published_payload["status"] == "identified"
    [publication_update] = published_payload["incident_updates"]
    assert publication_update == api_object["incident_updates"][-1]
    assert {
        (c["code"], c["old_status"], c["new_status"])
        for c in publication_update["affected_components"]
    } == {
        (str(components[0].pk), "operational", "partial_outage"),
        (str(components[1].pk), "operational", "partial_outage"),
    }
