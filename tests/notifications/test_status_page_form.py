"""The subscribe form on the public status page: e-mail, webhook and component choice, posted
without a CSRF token (the page is cached and the same for everyone)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from statusdesk.incidents.models import Component
from statusdesk.notifications.models import Subscriber

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_status_page_offers_the_subscribe_form(components: list[Component]) -> None:
    page = Client().get("/").content.decode()
    assert 'data-testid="subscribe-form"' in page
    assert 'action="/subscribe/"' in page
    for name in ("email", "webhook_url", "scope", "component_ids"):
        assert f'name="{name}"' in page
    for component in components:
        assert f'value="{component.pk}"> {component.name}' in page


def test_the_form_subscribes_without_a_csrf_token(components: list[Component]) -> None:
    browser = Client(enforce_csrf_checks=True)
    answer = browser.post(
        "/subscribe/",
        {"email": "ana@client.example", "scope": "some", "component_ids": [components[1].pk]},
    )
    assert answer.status_code == 200
    assert b"Check your inbox" in answer.content
    subscriber = Subscriber.objects.get()
    assert list(subscriber.components.all()) == [components[1]]
    assert [m.to for m in mail.outbox] == [["ana@client.example"]]


def test_a_refused_subscription_shows_the_form_again_with_the_problem(
    components: list[Component],
) -> None:
    answer = Client().post(
        "/subscribe/", {"email": "ana@client.example", "webhook_url": "http://10.1.2.3/hook"}
    )
    assert answer.status_code == 422
    assert b"private, loopback" in answer.content
    assert b'value="ana@client.example"' in answer.content
    assert not Subscriber.objects.exists()


def test_the_form_speaks_spanish_on_the_spanish_page(components: Any) -> None:
    page = Client().get("/", headers={"Accept-Language": "es"}).content.decode()
    assert "Recibe avisos" in page and "Suscribirme" in page
