"""Only published data is public: reports (open or dismissed), incidents not yet published, the
issue (title, description, link), and internal fields (who reported, the manager, the developer,
reminders) never appear in any public answer, checked on the raw bytes."""

from __future__ import annotations

import pytest
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component
from statusdesk.statuspage.snapshot import published_incident, rebuild_snapshot
from tests.factories import (
    a_confirmed_incident,
    a_dismissed_report,
    a_published_incident,
    a_report,
    an_assigned_incident,
)
from tests.statuspage.conftest import PUBLIC_PATHS

pytestmark = pytest.mark.django_db

SECRETS = {
    "open report title": "SECRET-open-report-title",
    "open report description": "SECRET-open-report-description",
    "dismissed report title": "SECRET-dismissed-title",
    "dismissal reason": "SECRET-dismissal-reason",
    "unpublished report title": "SECRET-unpublished-report",
    "reporter": "secret-reporter@client.example",
    "issue title": "SECRET-issue-title",
    "issue description": "SECRET-issue-description",
    "issue url": "https://tracker.example/SECRET-issue-42",
}


@pytest.fixture
def everything(manager: User, developer: User, components: list[Component]) -> dict[str, object]:
    a_report(
        manager,
        title=SECRETS["open report title"],
        description=SECRETS["open report description"],
        reporter=SECRETS["reporter"],
    )
    a_dismissed_report(
        manager, title=SECRETS["dismissed report title"], reason=SECRETS["dismissal reason"]
    )
    unpublished = a_confirmed_incident(manager, title=SECRETS["unpublished report title"])
    assigned = an_assigned_incident(manager, developer)
    published = a_published_incident(manager, developer, components)
    # The published incident's own report and issue carry secrets too.
    published.report.title = SECRETS["open report title"]
    published.report.reporter = SECRETS["reporter"]
    published.report.save()
    published.issue.title = SECRETS["issue title"]
    published.issue.description = SECRETS["issue description"]
    published.issue.url = SECRETS["issue url"]
    published.issue.save()
    return {"unpublished": unpublished, "assigned": assigned, "published": published}


def test_no_public_answer_carries_anything_unpublished(
    client: Client, everything: dict[str, object], manager: User, developer: User
) -> None:
    rebuild_snapshot()
    for path in PUBLIC_PATHS:
        body = client.get(path).content.decode()
        for what, secret in SECRETS.items():
            assert secret not in body, f"{what} leaked into {path}"
        for person in (manager.email, developer.email, manager.full_name, developer.full_name):
            assert person not in body, f"{person} leaked into {path}"
        for field in ("reminder", "next_update_due", "manager", "developer", "issue"):
            assert f'"{field}' not in body, f"{field} leaked into {path}"


def test_unpublished_incidents_are_not_listed_or_counted(
    client: Client, everything: dict[str, object]
) -> None:
    rebuild_snapshot()
    incidents = client.get("/api/v2/incidents.json").json()["incidents"]
    published = everything["published"]
    assert [i["id"] for i in incidents] == [str(published.pk)]  # type: ignore[attr-defined]
    unpublished = everything["unpublished"]
    assert published_incident(unpublished.pk) is None  # type: ignore[attr-defined]
    found = published_incident(published.pk)  # type: ignore[attr-defined]
    assert found is not None and found[0]["id"] == str(published.pk)  # type: ignore[attr-defined]


def test_the_snapshot_holds_no_secret_anywhere(everything: dict[str, object]) -> None:
    snapshot = rebuild_snapshot()
    assert snapshot is not None
    text = repr(snapshot) + "".join(b.decode() for b in snapshot.documents.values())
    for what, secret in SECRETS.items():
        assert secret not in text, what


def test_a_published_incident_keeps_its_issue_to_itself_after_resolution(
    client: Client, everything: dict[str, object], manager: User
) -> None:
    services.resolve_incident(actor=manager, incident=everything["published"], message="Fixed.")  # type: ignore[arg-type]
    rebuild_snapshot()
    for path in PUBLIC_PATHS:
        body = client.get(path).content.decode()
        assert SECRETS["issue title"] not in body
        assert SECRETS["issue url"] not in body
