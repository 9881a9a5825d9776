"""Subscribing: double opt-in, no enumeration, rate limits, signed links, preferences,
unsubscribing, and the webhook address check (server-side request forgery)."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.core.errors import NotFound, RuleViolation
from statusdesk.core.models import Event
from statusdesk.incidents.models import Component
from statusdesk.notifications import services
from statusdesk.notifications.models import Subscriber
from tests.factories import a_subscriber

pytestmark = pytest.mark.django_db(transaction=True)


def _payload(value: Any) -> str:
    """The first part of a signed token, as django.core.signing writes it."""
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _link(message: Any, kind: str) -> str:
    found = re.search(rf"https?://\S+/subscriptions/{kind}/(\S+?)/", message.body)
    assert found, message.body
    return found.group(1)


def test_subscribing_sends_only_a_confirmation_and_notifies_nothing_before_it(
    components: list[Component],
) -> None:
    services.subscribe(email="ana@client.example", client_address="198.51.100.7")
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed_at is None
    assert [m.subject for m in mail.outbox] == ["Confirm your subscription to statusdesk"]
    assert not Subscriber.objects.active().exists()
    confirmed = services.confirm(_link(mail.outbox[0], "confirm"))
    assert confirmed.confirmed_at is not None
    assert list(Subscriber.objects.active()) == [subscriber]
    assert Event.objects.filter(kind="subscriber.confirmed").count() == 1


def test_the_answer_is_the_same_whether_or_not_the_address_is_subscribed(
    components: list[Component],
) -> None:
    """No enumeration: the same page for a new, an unconfirmed and a confirmed address; each
    owner learns what they need by e-mail, nobody else learns anything."""
    client = Client()
    answers = []
    for _ in range(2):
        response = client.post("/subscribe/", {"email": "ana@client.example", "scope": "all"})
        answers.append((response.status_code, response.content))
    services.confirm(_link(mail.outbox[0], "confirm"))
    response = client.post("/subscribe/", {"email": "ana@client.example", "scope": "all"})
    answers.append((response.status_code, response.content))
    fresh = client.post("/subscribe/", {"email": "bo@client.example", "scope": "all"})
    answers.append((fresh.status_code, fresh.content))
    strip = [(s, re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", c)) for s, c in answers]
    assert len(set(strip)) == 1
    assert strip[0][0] == 200
    assert Subscriber.objects.filter(email="ana@client.example").count() == 1
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        "Confirm your subscription to statusdesk",
        "Confirm your subscription to statusdesk",
        "Your subscription to statusdesk",
        "Confirm your subscription to statusdesk",
    ]


def test_subscriptions_are_rate_limited_per_client_address(
    components: list[Component], settings: Any
) -> None:
    settings.STATUSDESK_SUBSCRIBE_LIMIT = 3
    for i in range(3):
        services.subscribe(email=f"p{i}@client.example", client_address="203.0.113.9")
    with pytest.raises(services.TooManyRequests) as refused:
        services.subscribe(email="p9@client.example", client_address="203.0.113.9")
    assert refused.value.status_code == 429
    # Another address is not held back.
    services.subscribe(email="other@client.example", client_address="203.0.113.10")
    assert Subscriber.objects.count() == 4


def test_a_tampered_or_misused_link_is_refused(admin_user: User, components: Any) -> None:
    subscriber = a_subscriber(admin_user)
    unsubscribe = services.token_for(subscriber, services.Purpose.UNSUBSCRIBE)
    pk, key = signing.loads(unsubscribe, salt="statusdesk.notifications.unsubscribe")
    forged = [
        unsubscribe[:-2] + ("AA" if not unsubscribe.endswith("AA") else "BB"),
        # Another subscriber's id under this one's signature.
        ":".join([_payload([pk + 1, key]), *unsubscribe.split(":")[1:]]),
        # A preferences link used to unsubscribe (each purpose signs with its own salt).
        services.token_for(subscriber, services.Purpose.MANAGE),
        "not-a-token",
    ]
    for token in forged:
        with pytest.raises(NotFound):
            services.unsubscribe(token)
        assert Client().post(f"/subscriptions/unsubscribe/{token}/").status_code == 404
    assert Subscriber.objects.active().count() == 1
    services.unsubscribe(unsubscribe)
    assert not Subscriber.objects.active().exists()
    # Once used, the subscription's links stop working.
    with pytest.raises(NotFound):
        services.subscriber_for(unsubscribe, services.Purpose.UNSUBSCRIBE)


def test_one_click_unsubscribe_is_a_post_without_a_session(admin_user: User, components: Any):
    """RFC 8058: the mail program POSTs List-Unsubscribe=One-Click; no cookie, no CSRF token."""
    subscriber = a_subscriber(admin_user)
    url = services.unsubscribe_url(subscriber).removeprefix("http://127.0.0.1:8000")
    client = Client(enforce_csrf_checks=True)
    assert client.get(url).status_code == 200
    assert Subscriber.objects.active().exists()  # a GET (a link scanner) changes nothing
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not Subscriber.objects.active().exists()


def test_preferences_choose_the_components(admin_user: User, components: list[Component]):
    subscriber = a_subscriber(admin_user)
    token = services.token_for(subscriber, services.Purpose.MANAGE)
    client = Client()
    page = client.get(f"/subscriptions/manage/{token}/")
    assert page.status_code == 200 and b"ana@client.example" in page.content
    client.post(
        f"/subscriptions/manage/{token}/",
        {"scope": "some", "component_ids": [str(components[2].pk)]},
    )
    subscriber.refresh_from_db()
    assert not subscriber.all_components
    assert list(subscriber.components.all()) == [components[2]]


def test_an_unknown_component_is_refused(components: list[Component]) -> None:
    with pytest.raises(RuleViolation) as refused:
        services.subscribe(email="ana@client.example", component_ids=[999_999])
    assert refused.value.field == "component_ids"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "http://user:pw@example.com/hook",
    ],
)
def test_webhook_addresses_on_private_networks_are_refused(url: str, components: Any) -> None:
    with pytest.raises(RuleViolation) as refused:
        services.subscribe(email="ana@client.example", webhook_url=url)
    assert refused.value.field == "webhook_url"
    assert not Subscriber.objects.exists()


def test_a_private_webhook_address_is_allowed_when_the_setting_says_so(
    admin_user: User, components: Any, settings: Any
) -> None:
    settings.STATUSDESK_WEBHOOK_ALLOW_PRIVATE = True
    subscriber = a_subscriber(admin_user, email=None, webhook_url="http://127.0.0.1:9/hook")
    assert subscriber.kind == "webhook" and subscriber.secret.startswith("whsec_")


def test_a_webhook_subscription_is_confirmed_by_its_email_and_shows_its_secret(
    components: Any, settings: Any
) -> None:
    settings.STATUSDESK_WEBHOOK_ALLOW_PRIVATE = True
    services.subscribe(email="ops@client.example", webhook_url="http://127.0.0.1:9/hook")
    subscriber = Subscriber.objects.get()
    assert subscriber.kind == "webhook" and subscriber.confirmed_at is None
    token = _link(mail.outbox[0], "confirm")
    page = Client().post(f"/subscriptions/confirm/{token}/")
    assert page.status_code == 200
    assert subscriber.secret.encode() in page.content


class _SignedLongAgo(signing.TimestampSigner):
    """Signs as if it were eight days ago (a link older than the confirmation's seven)."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - 8 * 24 * 3600)


def test_an_expired_confirmation_link_is_refused_and_subscribing_again_sends_one_that_works(
    components: list[Component],
) -> None:
    services.subscribe(email="late@client.example")
    subscriber = Subscriber.objects.get(email="late@client.example")
    old = _SignedLongAgo(salt="statusdesk.notifications.confirm").sign_object(
        [subscriber.pk, subscriber.key], compress=False
    )
    with pytest.raises(RuleViolation, match="expired"):
        services.confirm(old)
    page = Client().post(f"/subscriptions/confirm/{old}/")
    assert page.status_code == 422 and b"expired" in page.content
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None
    # The preferences and unsubscribe links never expire (they are in every message).
    for purpose in (services.Purpose.MANAGE, services.Purpose.UNSUBSCRIBE):
        salt = f"statusdesk.notifications.{purpose}"
        token = _SignedLongAgo(salt=salt).sign_object([subscriber.pk, subscriber.key])
        assert services.subscriber_for(token, purpose) == subscriber
    mail.outbox.clear()
    services.subscribe(email="late@client.example")
    services.confirm(_link(mail.outbox[-1], "confirm"))
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is not None


def test_retrying_an_unknown_delivery_names_it(admin_user: User) -> None:
    with pytest.raises(NotFound, match="no failed delivery with id 999"):
        services.retry_failed(actor=admin_user, delivery=999)
