"""The published postmortem on the public incident page (served from the snapshot)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component, Incident
from statusdesk.postmortems import services
from tests.factories import a_backfilled_resolved_incident, a_postmortem

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(manager: User, developer: User, components: list[Component]) -> Incident:
    return a_backfilled_resolved_incident(manager, developer, components)


def test_publishing_shows_the_postmortem_on_the_public_page(
    client: Client, manager: User, incident: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    a_postmortem(manager, incident, cause="The session **store** changed. <script>x()</script>")
    page = f"/incidents/{incident.pk}"
    before = client.get(page)
    assert before.status_code == 200
    assert 'data-testid="postmortem"' not in before.content.decode()  # a draft is not public

    with django_capture_on_commit_callbacks(execute=True):  # the rebuild runs after the commit
        services.publish_postmortem(actor=manager, incident=incident)
    after = client.get(page, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    html = after.content.decode()
    assert 'data-testid="postmortem"' in html
    assert "The session <strong>store</strong> changed." in html
    assert "<script>x()" not in html
    assert "DATA_QUALITY &lt; FAILED_MIGRATION" in html
    assert "https://github.com/example/product/pull/77" in html
    # R20: the Incidents Page says which incidents have a published postmortem.
    assert 'data-testid="has-postmortem"' in client.get("/incidents").content.decode()


def test_a_draft_postmortem_changes_nothing_public(
    client: Client, manager: User, incident: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    page = f"/incidents/{incident.pk}"
    etag = client.get(page)["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        a_postmortem(manager, incident)
    assert client.get(page, headers={"If-None-Match": etag}).status_code == 304


def test_subscribers_hear_of_the_published_postmortem(
    manager: User, incident: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    from statusdesk.core.models import Event
    from statusdesk.notifications.messages import build_event_message
    from statusdesk.notifications.models import Fanout

    a_postmortem(manager, incident)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_postmortem(actor=manager, incident=incident)
    event = Event.objects.get(kind="postmortem.published")
    assert Fanout.objects.filter(event=event).exists()
    message = build_event_message(event)
    assert message.subject.startswith(f"[Postmortem] {incident.title}")
    assert f"/incidents/{incident.pk}" in message.text
