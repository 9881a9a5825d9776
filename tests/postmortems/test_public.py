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


def test_an_edit_after_publication_is_evented_and_shows_at_once(
    client: Client, manager: User, incident: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    """postmortem.revised names what changed, rebuilds the snapshot (the page's ETag and the fast
    path's answers change with its version), and the page says "revised <date>"."""
    from statusdesk.core.models import Event
    from statusdesk.statuspage.fastpath import SnapshotFastPath
    from tests.statuspage.test_fastpath import CountingDjango, call

    with django_capture_on_commit_callbacks(execute=True):
        a_postmortem(manager, incident)
        services.publish_postmortem(actor=manager, incident=incident)
    page = f"/incidents/{incident.pk}"
    before = client.get(page)
    assert 'data-testid="postmortem-revised"' not in before.content.decode()
    fast = SnapshotFastPath(CountingDjango())
    assert b"Old sessions were read in the new format" not in call(fast, page)[2]

    with django_capture_on_commit_callbacks(execute=True):
        postmortem = services.write_postmortem(
            actor=manager,
            incident=incident,
            cause="Old sessions were read in the new format.",
            solution="We taught the new store to read the old sessions.",  # unchanged
            taxonomy="DATA_QUALITY",
        )
    revised = Event.objects.get(kind="postmortem.revised")
    assert revised.data["fields"] == ["cause", "taxonomy"]
    assert revised.data["postmortem_id"] == postmortem.pk
    assert postmortem.revised_at == revised.at

    after = client.get(page, headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200
    html = after.content.decode()
    assert "Old sessions were read in the new format." in html
    assert 'data-testid="postmortem-revised"' in html and "revised" in html
    assert "DATA_QUALITY</code>" in html
    # The fast path in front of Django drops its answer with the old version.
    assert b"Old sessions were read in the new format." in call(fast, page)[2]

    # A save that changes nothing is no revision.
    with django_capture_on_commit_callbacks(execute=True):
        services.write_postmortem(actor=manager, incident=incident, taxonomy="DATA_QUALITY")
    assert Event.objects.filter(kind="postmortem.revised").count() == 1
    assert client.get(page, headers={"If-None-Match": after["ETag"]}).status_code == 304


def test_every_draft_save_is_an_event(manager: User, incident: Incident) -> None:
    from statusdesk.core.models import Event

    a_postmortem(manager, incident)
    services.write_postmortem(actor=manager, incident=incident, conclusion="Shorter.")
    written = list(Event.objects.filter(kind="postmortem.written").order_by("id"))
    assert len(written) == 2
    assert "impact" in written[0].data["fields"] and written[0].data["term_ids"]
    assert written[1].data["fields"] == ["conclusion"]
    assert not Event.objects.filter(kind="postmortem.revised").exists()


def test_the_public_postmortem_reads_in_spanish(
    client: Client, manager: User, incident: Incident, django_capture_on_commit_callbacks: Any
) -> None:
    """Headings, dates, "revised" and the times (R16's units, in Spanish with its plural forms
    and decimal comma) around the Incident Manager's own text."""
    with django_capture_on_commit_callbacks(execute=True):
        a_postmortem(manager, incident)
        services.publish_postmortem(actor=manager, incident=incident)
        services.write_postmortem(actor=manager, incident=incident, conclusion="Revisado.")
    html = client.get(f"/incidents/{incident.pk}", headers={"Accept-Language": "es"})
    text = html.content.decode()
    for spanish in (
        "Análisis posterior",
        "Impacto",
        "Causa",
        "Solución",
        "Conclusión",
        "Publicado",
        "revisado",
        "Tiempo de detección",
        "3,5 horas",
        "45 minutos",
        "4,3 horas",
    ):
        assert spanish in text, spanish
    english = client.get(f"/incidents/{incident.pk}", headers={"Accept-Language": "en"})
    assert "3.5 hours" in english.content.decode() and "Time to recover" in english.content.decode()
