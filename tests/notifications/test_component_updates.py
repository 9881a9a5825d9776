"""Component update notifications: each component status change caused by a step that notifies
reaches the matching webhook subscribers, shaped like Statuspage's component update webhook, once
each, signed; e-mail subscribers get the incident's message only."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from statusdesk.accounts.models import User
from statusdesk.core.models import Event
from statusdesk.incidents import services as incident_services
from statusdesk.incidents.events import ComponentEvent
from statusdesk.incidents.models import Component
from statusdesk.notifications import services
from statusdesk.notifications.models import Delivery, Fanout, Subscriber
from statusdesk.statuspage import shapes
from statusdesk.statuspage.snapshot import live_component_objects
from tests.factories import (
    a_published_incident,
    a_subscriber,
    an_incident_assigned_in_the_past,
    publication,
    resolution_fields,
    update_fields,
)
from tests.notifications.receivers import SmtpSink, WebhookReceiver

pytestmark = pytest.mark.django_db(transaction=True)

# An ISO 8601 time with milliseconds and an explicit offset, as /api/v2/ writes them.
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")


def _payloads(
    receiver: WebhookReceiver, path: str, subscriber: Subscriber
) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """What arrived at `path`, each signature checked with a Standard Webhooks verifier."""
    webhook = Webhook(subscriber.secret)
    return [(headers, webhook.verify(body, headers)) for headers, body in receiver.delivered(path)]


def _component_updates(payloads: list[tuple[dict[str, str], dict[str, Any]]]) -> list[Any]:
    return [p for _, p in payloads if "component_update" in p]


def _incidents(payloads: list[tuple[dict[str, str], dict[str, Any]]]) -> list[Any]:
    return [p for _, p in payloads if "incident" in p]


def test_a_publication_sends_one_incident_and_one_component_payload_per_changed_component(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    receiver: WebhookReceiver,
    smtp: SmtpSink,
) -> None:
    everything = a_subscriber(admin_user, email=None, webhook_url=receiver.url("/all"))
    filtered = a_subscriber(
        admin_user,
        email=None,
        webhook_url=receiver.url("/one"),
        component_ids=[components[1].pk],
    )
    elsewhere = a_subscriber(
        admin_user,
        email=None,
        webhook_url=receiver.url("/other"),
        component_ids=[components[4].pk],
    )
    a_subscriber(admin_user, email="all@client.example")
    # The incident affects components 0 and 1, both going to partial_outage.
    a_published_incident(manager, developer, components)

    to_all = _payloads(receiver, "/all", everything)
    assert len(_incidents(to_all)) == 1
    changed = {p["component"]["id"]: p["component_update"] for p in _component_updates(to_all)}
    assert set(changed) == {str(components[0].pk), str(components[1].pk)}
    for pk, update in changed.items():
        assert update["component_id"] == pk
        assert (update["old_status"], update["new_status"]) == ("operational", "partial_outage")
    assert len(to_all) == 3

    to_one = _payloads(receiver, "/one", filtered)
    assert len(_incidents(to_one)) == 1
    [only] = _component_updates(to_one)
    assert only["component"]["id"] == str(components[1].pk)
    assert len(to_one) == 2

    # Not affected by the incident: neither payload.
    assert _payloads(receiver, "/other", elsewhere) == []
    # E-mail subscribers get the incident's message only, which lists the components.
    assert smtp.count() == 1

    # Each delivery's webhook-id is its idempotency key, one per (event, subscriber).
    ids = [headers["webhook-id"] for headers, _ in [*to_all, *to_one]]
    assert len(set(ids)) == 5
    assert set(ids) == set(
        Delivery.objects.filter(subscriber__kind="webhook").values_list(
            "idempotency_key", flat=True
        )
    )


def test_the_component_payload_has_statuspages_keys_and_the_api_v2_shapes(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    receiver: WebhookReceiver,
) -> None:
    subscriber = a_subscriber(
        admin_user, email=None, webhook_url=receiver.url("/hook"), component_ids=[components[0].pk]
    )
    incident = a_published_incident(manager, developer, components)
    payloads = _payloads(receiver, "/hook", subscriber)
    [incident_payload] = _incidents(payloads)
    [payload] = _component_updates(payloads)

    assert set(payload) == {"meta", "page", "component", "component_update"}
    assert set(payload["meta"]) == {"unsubscribe", "documentation", "generated_at"}
    assert set(payload["page"]) == {"id", "url", "status_indicator", "status_description"}
    assert set(payload["component"]) == {
        "id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "position",
        "description",
        "showcase",
        "start_date",
        "group_id",
        "page_id",
        "group",
        "only_show_if_degraded",
    }
    assert set(payload["component_update"]) == {
        "id",
        "component_id",
        "component_type",
        "old_status",
        "new_status",
        "created_at",
    }
    # The same envelope as the incident payload's.
    assert set(incident_payload) == {"meta", "page", "incident"}
    assert payload["page"] == incident_payload["page"]
    assert set(payload["meta"]) == set(incident_payload["meta"])

    component = components[0]
    component.refresh_from_db()
    event = Event.objects.get(kind=ComponentEvent.STATUS_CHANGED, data__component_id=component.pk)
    assert payload["component"] == live_component_objects()[component.pk]
    assert payload["component"]["status"] == "partial_outage"
    assert payload["component"]["name"] == component.name
    assert payload["component_update"] == {
        "id": str(event.pk),
        "component_id": str(component.pk),
        "component_type": "Component",
        "old_status": "operational",
        "new_status": "partial_outage",
        "created_at": payload["component_update"]["created_at"],
    }
    page_id = shapes.page_id("http://127.0.0.1:8000")
    assert payload["page"]["id"] == page_id
    assert payload["component"]["page_id"] == page_id
    assert incident_payload["incident"]["page_id"] == page_id
    assert payload["page"]["status_indicator"] == "major"
    assert payload["page"]["status_description"] == "Partial System Outage"
    # Times: ISO 8601 with milliseconds and an offset, in both payloads.
    times = [
        payload["meta"]["generated_at"],
        payload["component_update"]["created_at"],
        payload["component"]["created_at"],
        payload["component"]["updated_at"],
        incident_payload["meta"]["generated_at"],
        incident_payload["incident"]["created_at"],
        incident_payload["incident"]["incident_updates"][0]["created_at"],
    ]
    assert all(ISO_WITH_OFFSET.match(t) for t in times), times
    assert "/subscriptions/unsubscribe/" in payload["meta"]["unsubscribe"]
    assert incident_payload["incident"]["id"] == str(incident.pk)


def test_an_update_and_the_resolution_send_the_components_they_change(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    receiver: WebhookReceiver,
) -> None:
    subscriber = a_subscriber(admin_user, email=None, webhook_url=receiver.url("/hook"))
    incident = a_published_incident(manager, developer, components)
    incident_services.post_update(
        actor=manager,
        incident=incident,
        **update_fields(component_statuses={str(components[0].pk): "degraded_performance"}),
    )
    incident_services.resolve_incident(actor=manager, incident=incident, **resolution_fields())
    changes = [
        (
            p["component"]["id"],
            p["component_update"]["old_status"],
            p["component_update"]["new_status"],
        )
        for p in _component_updates(_payloads(receiver, "/hook", subscriber))
    ]
    first, second = str(components[0].pk), str(components[1].pk)
    assert sorted(changes) == sorted(
        [
            (first, "operational", "partial_outage"),
            (second, "operational", "partial_outage"),
            (first, "partial_outage", "degraded_performance"),
            (first, "degraded_performance", "operational"),
            (second, "partial_outage", "operational"),
        ]
    )
    # A component's deliveries count with the step that changed it.
    counts = services.counts_by_update(incident.updates.order_by("at").values_list("pk", flat=True))
    assert [c["sent"] for c in counts.values()] == [3, 2, 3]


def test_a_back_filled_step_without_notify_sends_no_component_payload(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    receiver: WebhookReceiver,
) -> None:
    a_subscriber(admin_user, email=None, webhook_url=receiver.url("/hook"))
    incident = an_incident_assigned_in_the_past(manager, developer, hours=3)
    incident_services.publish_incident(
        actor=manager,
        incident=incident,
        at=timezone.now() - timedelta(hours=2),
        **publication(components),
    )
    changes = Event.objects.filter(kind=ComponentEvent.STATUS_CHANGED)
    assert changes.count() == 2
    assert {e.data["notify"] for e in changes} == {False}
    assert not Fanout.objects.exists()
    assert not Delivery.objects.exists()
    assert receiver.tries("/hook") == 0


def test_a_back_filled_step_that_asks_to_notify_sends_its_component_payloads(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    receiver: WebhookReceiver,
) -> None:
    subscriber = a_subscriber(admin_user, email=None, webhook_url=receiver.url("/hook"))
    incident = an_incident_assigned_in_the_past(manager, developer, hours=3)
    incident_services.publish_incident(
        actor=manager,
        incident=incident,
        at=timezone.now() - timedelta(hours=2),
        **publication(components, notify=True),
    )
    payloads = _payloads(receiver, "/hook", subscriber)
    assert len(_incidents(payloads)) == 1
    assert len(_component_updates(payloads)) == 2


def test_running_the_component_fan_outs_again_adds_nothing(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    receiver: WebhookReceiver,
) -> None:
    for i in range(3):
        a_subscriber(admin_user, email=None, webhook_url=receiver.url(f"/hook{i}"))
    batch = services.FANOUT_BATCH
    services.FANOUT_BATCH = 2
    try:
        a_published_incident(manager, developer, components)
        assert Delivery.objects.count() == 9  # (1 incident + 2 components) × 3 webhooks
        fanouts = Fanout.objects.filter(event__kind=ComponentEvent.STATUS_CHANGED)
        assert fanouts.count() == 2
        assert all(f.done_at is not None for f in fanouts)
        # As after a crash that lost the cursors: expanded again from the start.
        Fanout.objects.update(after_subscriber=0, done_at=None)
        for fanout in Fanout.objects.all():
            services.expand_fanout(fanout.pk)
        services.sweep(grace=timedelta(0))
    finally:
        services.FANOUT_BATCH = batch
    assert Delivery.objects.count() == 9
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    for i in range(3):
        delivered = receiver.delivered(f"/hook{i}")
        assert len(delivered) == 3
        assert len({headers["webhook-id"] for headers, _ in delivered}) == 3
