"""The postmortem in the console: the button, the editor, the preview, publishing, export."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component, Incident
from statusdesk.postmortems.models import Postmortem
from tests.factories import (
    a_backfilled_resolved_incident,
    a_postmortem,
    a_published_incident,
    postmortem_fields,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(manager: User, developer: User, components: list[Component]) -> Incident:
    return a_backfilled_resolved_incident(manager, developer, components)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_write_postmortem_is_absent_before_resolution(
    manager: User, developer: User, components: list[Component]
) -> None:
    open_incident = a_published_incident(manager, developer, components)
    client = signed_in(manager)
    html = client.get(f"/manage/incidents/{open_incident.pk}/").content.decode()
    assert "write-postmortem" not in html
    assert client.get(f"/manage/incidents/{open_incident.pk}/postmortem/").status_code == 409


def test_write_postmortem_shows_after_resolution_for_the_manager_only(
    manager: User, developer: User, incident: Incident
) -> None:
    html = signed_in(manager).get(f"/manage/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="write-postmortem"' in html and "Write postmortem" in html
    html = signed_in(developer).get(f"/manage/incidents/{incident.pk}/").content.decode()
    assert "write-postmortem" not in html
    assert (
        signed_in(developer).get(f"/manage/incidents/{incident.pk}/postmortem/").status_code == 403
    )


def test_editor_starts_with_the_drafted_impact_and_saves(manager: User, incident: Incident) -> None:
    client = signed_in(manager)
    page = client.get(f"/manage/incidents/{incident.pk}/postmortem/").content.decode()
    assert "Time to fix was 45 minutes." in page
    assert "COMMUNICATION_FAILURE" in page and "Occurs when it was an expected behavior" in page
    fields = postmortem_fields()
    form = {k: v for k, v in fields.items() if k != "five_whys"}
    merged = (incident.report.reported_at - timedelta(hours=3, minutes=30)).astimezone(
        settings.DISPLAY_ZONE
    )
    form["cause_merged_at"] = merged.strftime("%Y-%m-%dT%H:%M")
    form["why_1"], form["because_1"] = "Why did it fail?", "The store changed."
    response = client.post(f"/manage/incidents/{incident.pk}/postmortem/", form)
    assert response.status_code == 302
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.five_whys == [{"why": "Why did it fail?", "because": "The store changed."}]
    assert postmortem.taxonomy == "DATA_QUALITY < FAILED_MIGRATION"
    page = client.get(f"/manage/incidents/{incident.pk}/postmortem/").content.decode()
    assert "Time to recover was 4.3 hours" in page


def test_a_commit_link_is_shown_next_to_its_field(manager: User, incident: Incident) -> None:
    response = signed_in(manager).post(
        f"/manage/incidents/{incident.pk}/postmortem/",
        {"fix_merge_request_url": "https://github.com/o/r/commit/0123456789abcdef"},
    )
    assert response.status_code == 422
    assert "never the commit" in response.content.decode()


def test_preview_renders_markdown_with_advice(manager: User, incident: Incident) -> None:
    response = signed_in(manager).post(
        f"/manage/incidents/{incident.pk}/postmortem/preview/",
        {"cause": "The **deploy** hit a timeout in the backend cache cluster during rollback."},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "<strong>deploy</strong>" in html
    assert "Readability:" in html
    assert "Jargon a general reader may not know: backend, cache, cluster, deploy" in html


def test_publish_export_and_print(manager: User, incident: Incident) -> None:
    a_postmortem(manager, incident)
    client = signed_in(manager)
    response = client.post(f"/manage/incidents/{incident.pk}/postmortem/publish/")
    assert response.status_code == 302
    assert Postmortem.objects.get(incident=incident).is_published
    export = client.get(f"/manage/incidents/{incident.pk}/postmortem/export.md")
    assert export["Content-Type"] == "text/markdown"
    text = export.content.decode()
    assert text.startswith("# Postmortem: ")
    for heading in ("## Impact", "## Cause", "## Solution", "## Conclusion"):
        assert heading in text
    assert "Taxonomy: `DATA_QUALITY < FAILED_MIGRATION`" in text
    printable = client.get(f"/manage/incidents/{incident.pk}/postmortem/print/").content.decode()
    assert "postmortems/print.css" in printable


def test_publishing_an_incomplete_postmortem_says_what_is_missing(
    manager: User, incident: Incident
) -> None:
    a_postmortem(manager, incident, solution="")
    response = signed_in(manager).post(f"/manage/incidents/{incident.pk}/postmortem/publish/")
    assert response.status_code == 422
    assert "the Solution section is empty" in response.content.decode()
