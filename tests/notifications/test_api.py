"""/api/v1/subscribers (administrators) and /api/v1/subscriptions (the status page's form), and
the notification counts in an incident's answer."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component
from statusdesk.notifications.models import Subscriber
from tests.api.support import ApiClient, assert_error, client_for
from tests.factories import a_published_incident, a_subscriber, subscriber_fields
from tests.notifications.receivers import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def as_admin(admin_user: User) -> ApiClient:
    return client_for(admin_user)


def test_an_administrator_adds_lists_and_removes_subscribers(
    as_admin: ApiClient, components: list[Component]
) -> None:
    sent = subscriber_fields(component_ids=[components[2].pk])
    created = as_admin.post("/subscribers", sent)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["email"] == sent["email"]
    assert body["component_ids"] == sent["component_ids"]
    assert body["confirmed"] is True and body["all_components"] is False
    assert body["secret"] is None
    for i in range(3):
        as_admin.post("/subscribers", subscriber_fields(email=f"p{i}@client.example"))
    first = as_admin.get("/subscribers", limit="3").json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = as_admin.get("/subscribers", limit="3", cursor=first["next_cursor"]).json()
    assert [s["id"] for s in first["items"] + rest["items"]] == sorted(
        Subscriber.objects.values_list("pk", flat=True), reverse=True
    )
    assert rest["next"] is None
    removed = as_admin.request("DELETE", f"/api/v1/subscribers/{body['id']}")
    assert removed.status_code == 204
    assert not Subscriber.objects.active().filter(pk=body["id"]).exists()
    assert_error(
        as_admin.request("DELETE", f"/api/v1/subscribers/{body['id']}"), 404, field="subscriber_id"
    )


def test_a_webhook_subscriber_gets_its_signing_secret_once_added(
    as_admin: ApiClient, components: list[Component], settings: Any
) -> None:
    settings.STATUSDESK_WEBHOOK_ALLOW_PRIVATE = True
    answer = as_admin.post(
        "/subscribers", {"webhook_url": "http://127.0.0.1:9/hook", "confirmed": True}
    ).json()
    assert answer["kind"] == "webhook" and answer["secret"].startswith("whsec_")


def test_refusals_name_their_field(as_admin: ApiClient, components: list[Component]) -> None:
    assert_error(as_admin.post("/subscribers", {"confirmed": True}), 422, field="email")
    assert_error(as_admin.post("/subscribers", {"email": "not an address"}), 422, field="email")
    assert_error(
        as_admin.post("/subscribers", {"webhook_url": "http://169.254.169.254/latest"}),
        422,
        field="webhook_url",
    )
    assert_error(
        as_admin.post("/subscribers", subscriber_fields(component_ids=[987654])),
        422,
        field="component_ids",
    )
    assert_error(
        as_admin.post("/subscribers", subscriber_fields(nickname="x")), 422, field="nickname"
    )
    as_admin.post("/subscribers", subscriber_fields())
    assert_error(as_admin.post("/subscribers", subscriber_fields()), 409, field="email")


def test_only_administrators_manage_subscribers(manager: User, components: Any) -> None:
    as_manager = client_for(manager)
    assert_error(as_manager.get("/subscribers"), 403, rule="R2")
    assert_error(as_manager.post("/subscribers", subscriber_fields()), 403, rule="R2")
    assert_error(ApiClient().get("/subscribers"), 401, field="Authorization")


def test_the_public_subscription_answers_the_same_for_any_address(
    admin_user: User, components: list[Component], settings: Any
) -> None:
    a_subscriber(admin_user, email="known@client.example")
    anyone = ApiClient()
    known = anyone.post("/subscriptions", {"email": "known@client.example"})
    new = anyone.post("/subscriptions", {"email": "new@client.example"})
    assert known.status_code == new.status_code == 202
    assert known.json() == new.json()
    assert sorted(m.to[0] for m in mail.outbox) == ["known@client.example", "new@client.example"]
    settings.STATUSDESK_SUBSCRIBE_LIMIT = 2
    assert_error(anyone.post("/subscriptions", {"email": "third@client.example"}), 429)


def test_the_incident_answer_counts_the_notifications_of_each_update(
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    smtp: SmtpSink,
) -> None:
    a_subscriber(admin_user, email="a@client.example")
    a_subscriber(admin_user, email="b@client.example")
    incident = a_published_incident(manager, developer, components)
    answer = client_for(manager).get(f"/incidents/{incident.pk}").json()
    [update] = answer["updates"]
    assert answer["notifications"] == [
        {"update_id": update["id"], "queued": 0, "sent": 2, "retrying": 0, "failed": 0}
    ]
