"""Analytics: MTTD/MTTF/MTTR and the breakdowns, from real incidents and postmortems."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from statusdesk.accounts.models import User
from statusdesk.analytics.queries import figures
from statusdesk.incidents.models import Component
from tests.api.support import client_for
from tests.factories import a_backfilled_resolved_incident, a_postmortem

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_incidents(
    manager: User,
    developer: User,
    components: list[Component],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The figures follow the events: their reaction runs after each commit.
    with django_capture_on_commit_callbacks(execute=True):
        _two_incidents(manager, developer, components)


def _two_incidents(manager: User, developer: User, components: list[Component]) -> None:
    first = a_backfilled_resolved_incident(
        manager, developer, components, reported_hours_ago=6, resolved_after=timedelta(minutes=45)
    )
    a_postmortem(manager, first, taxonomy="DATA_QUALITY < FAILED_MIGRATION")  # TTD 3.5 h
    second = a_backfilled_resolved_incident(
        manager,
        developer,
        components,
        reported_hours_ago=5,
        resolved_after=timedelta(minutes=75),
        detection="proactive",
    )
    a_postmortem(
        manager,
        second,
        taxonomy="MISSING_TEST < DATA_QUALITY",
        cause_merged_at=second.report.reported_at - timedelta(hours=1, minutes=30),
    )


def test_means_per_month_and_component(two_incidents: None) -> None:
    data = figures().as_dict()
    assert data["incidents"] == 2
    [month] = data["per_month"]
    assert month["incidents"] == 2
    assert month["mttd"] == {"seconds": 9000, "worded": "2.5 hours"}  # (3.5 h + 1.5 h) / 2
    assert month["mttf"] == {"seconds": 3600, "worded": "1 hour"}  # (45 + 75) / 2 minutes
    assert month["mttr"] == {"seconds": 12600, "worded": "3.5 hours"}
    platform = next(c for c in data["per_component"] if c["component"] == "Platform")
    assert platform["incidents"] == 2 and platform["mttf"]["seconds"] == 3600


def test_breakdowns(two_incidents: None) -> None:
    data = figures().as_dict()
    assert data["by_severity"] == [
        {"severity": "partial_outage", "label": "Partial outage", "incidents": 2}
    ]
    assert {d["detection"]: d["incidents"] for d in data["by_detection"]} == {
        "reactive": 1,
        "proactive": 1,
    }
    assert data["by_term"][0] == {"term": "DATA_QUALITY", "incidents": 2}
    assert {t["term"] for t in data["by_term"]} == {
        "DATA_QUALITY",
        "FAILED_MIGRATION",
        "MISSING_TEST",
    }
    assert data["by_principal"] == [
        {"term": "DATA_QUALITY", "incidents": 1},
        {"term": "MISSING_TEST", "incidents": 1},
    ]


def test_an_incident_without_a_merge_date_counts_for_ttf_only(
    manager: User,
    developer: User,
    components: list[Component],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        a_backfilled_resolved_incident(manager, developer, components)
    [month] = figures().per_month
    assert month["mttd"] == {"seconds": None, "worded": None}
    assert month["mttf"]["worded"] == "45 minutes"


def test_api_page_and_csv_give_the_same_numbers(
    two_incidents: None, manager: User, developer: User
) -> None:
    body = client_for(manager).get("/analytics").json()
    assert body == figures().as_dict()
    assert client_for(developer).get("/analytics").status_code == 403

    client = Client()
    client.force_login(manager)
    page = client.get("/manage/analytics")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="analytics-data"' in html and "analytics/vendor/chart.umd.min.js" in html
    assert "2.5 hours" in html  # MTTD of the month
    csv_text = client.get("/manage/analytics.csv").content.decode()
    lines = csv_text.splitlines()
    assert lines[0] == "section,key,incidents,mttd_seconds,mttf_seconds,mttr_seconds"
    month = figures().per_month[0]["month"]
    assert f"month,{month},2,9000,3600,12600" in lines
    assert "principal_failure,DATA_QUALITY,1,,," in lines

    other = Client()
    other.force_login(developer)
    assert other.get("/manage/analytics").status_code == 403


def test_figures_follow_every_change(
    two_incidents: None,
    manager: User,
    developer: User,
    components: list[Component],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from statusdesk.postmortems.models import Postmortem
    from statusdesk.postmortems.services import write_postmortem

    before = figures()
    assert figures() == before  # unchanged data: the kept figures
    postmortem = Postmortem.objects.order_by("pk").first()
    assert postmortem is not None
    with django_capture_on_commit_callbacks(execute=True):
        write_postmortem(actor=manager, incident=postmortem.incident, taxonomy="NO_SPECIFIED")
    after = figures()
    assert {"term": "NO_SPECIFIED", "incidents": 1} in after.by_term
    # A draft's new merge date moves the means as soon as its event's reaction has run.
    with django_capture_on_commit_callbacks(execute=True):
        write_postmortem(
            actor=manager,
            incident=postmortem.incident,
            cause_merged_at=postmortem.incident.report.reported_at - timedelta(hours=5, minutes=30),
        )
    assert figures().per_month[0]["mttd"]["seconds"] == 12600  # (5.5 h + 1.5 h) / 2
    with django_capture_on_commit_callbacks(execute=True):
        a_backfilled_resolved_incident(manager, developer, components)
    assert figures().incidents == 3
