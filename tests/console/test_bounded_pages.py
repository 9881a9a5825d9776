"""Pages that stay small when the history grows: the lists a page at a time, the dashboard's
counts, the incident page's latest history, and as many queries for 50 rows as for 5."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.core import paging
from statusdesk.incidents import queries, services
from statusdesk.incidents.models import Component, Incident, Report
from tests.factories import a_published_incident, a_report

pytestmark = pytest.mark.django_db


def confirmed_incidents(manager: User, count: int, *, start_hours: int = 400) -> list[Incident]:
    """`count` confirmed incidents, one an hour apart, the oldest first."""
    made = []
    for i in range(count):
        at = timezone.now() - timedelta(hours=start_hours - i)
        report = a_report(manager, title=f"Problem {i}", at=at)
        made.append(
            services.confirm_incident(
                actor=manager, report=report, issue_title=f"Issue {i}", issue_description="d", at=at
            )
        )
    return made


def ids_on(html: str, prefix: str) -> list[int]:
    return [int(n) for n in re.findall(rf'<span class="id">{prefix}-(\d+)</span>', html)]


@pytest.fixture
def page_size(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(paging, "CONSOLE_PAGE_SIZE", 3)
    return 3


# --- the lists, a page at a time ----------------------------------------------------------


def test_incident_list_pages_newest_first_first_next_and_last(
    manager_client: Client, manager: User, components: list[Component], page_size: int
) -> None:
    made = confirmed_incidents(manager, 7)
    newest_first = [i.pk for i in reversed(made)]
    url = reverse("incident_list") + "?status=all"
    first = manager_client.get(url).content.decode()
    assert ids_on(first, "INC") == newest_first[:3]
    assert "Page 1 of 3" in first and "of 7 incidents" in first
    assert 'href="?status=all&amp;page=2" rel="next"' in first  # the filter is kept
    second = manager_client.get(url + "&page=2").content.decode()
    assert ids_on(second, "INC") == newest_first[3:6]
    assert 'href="?status=all&amp;page=1" rel="prev"' in second
    last = manager_client.get(url + "&page=3").content.decode()
    assert ids_on(last, "INC") == newest_first[6:]
    assert 'rel="next"' not in last
    # Past the end: the last page; nonsense: the first.
    assert ids_on(manager_client.get(url + "&page=99").content.decode(), "INC") == newest_first[6:]
    assert ids_on(manager_client.get(url + "&page=x").content.decode(), "INC") == newest_first[:3]


def test_incident_list_keeps_its_filter_across_pages(
    manager_client: Client,
    manager: User,
    developer: User,
    components: list[Component],
    page_size: int,
) -> None:
    open_ones = confirmed_incidents(manager, 4)
    resolved = a_published_incident(manager, developer, components)
    services.resolve_incident(actor=manager, incident=resolved, message="Resolved.\nAll good.")
    url = reverse("incident_list") + "?status=open"
    pages = [manager_client.get(url + f"&page={n}").content.decode() for n in (1, 2)]
    listed = ids_on(pages[0], "INC") + ids_on(pages[1], "INC")
    assert listed == [i.pk for i in reversed(open_ones)]
    assert 'href="?status=open&amp;page=2"' in pages[0]


def test_one_page_lists_show_no_page_links(
    manager_client: Client, manager: User, components: list[Component], page_size: int
) -> None:
    confirmed_incidents(manager, 2)
    html = manager_client.get(reverse("incident_list")).content.decode()
    assert 'data-testid="pages"' not in html


def test_report_list_pages_newest_first_with_its_filter(
    manager_client: Client, manager: User, components: list[Component], page_size: int
) -> None:
    now = timezone.now()
    reports = [a_report(manager, title=f"R{i}", at=now - timedelta(hours=50 - i)) for i in range(5)]
    services.dismiss_report(actor=manager, report=reports[0], reason="Duplicate.")
    url = reverse("report_list") + "?status=open"
    first = manager_client.get(url).content.decode()
    assert ids_on(first, "R") == [r.pk for r in reversed(reports[2:])]
    assert 'href="?status=open&amp;page=2" rel="next"' in first
    second = manager_client.get(url + "&page=2").content.decode()
    assert ids_on(second, "R") == [reports[1].pk]
    assert "Page 2 of 2" in second and "of 4 reports" in second


def test_a_reporter_pages_through_their_own_reports_only(
    reporter_client: Client, reporter: User, manager: User, page_size: int
) -> None:
    mine = [a_report(reporter, title=f"Mine {i}", users_affected=1) for i in range(4)]
    a_report(manager, title="Someone else's")
    pages = [reporter_client.get(reverse("report_list") + f"?page={n}").content for n in (1, 2)]
    listed = ids_on(pages[0].decode(), "R") + ids_on(pages[1].decode(), "R")
    assert sorted(listed) == sorted(r.pk for r in mine)


# --- the dashboard: counts and the oldest few ----------------------------------------------


def test_dashboard_counts_everything_open_and_shows_the_oldest_few(
    manager_client: Client, manager: User, components: list[Component], monkeypatch
) -> None:
    monkeypatch.setattr(queries, "DASHBOARD_ROWS", 2)
    incidents = confirmed_incidents(manager, 5)
    now = timezone.now()
    reports = [a_report(manager, title=f"W{i}", at=now - timedelta(hours=9 - i)) for i in range(4)]
    html = manager_client.get(reverse("dashboard")).content.decode()
    assert "5 open incidents · 4 reports awaiting triage" in html
    assert ids_on(html, "INC") == [incidents[0].pk, incidents[1].pk]  # open longest first
    assert ids_on(html, "R") == [reports[0].pk, reports[1].pk]  # waiting longest first
    assert "The 2 open longest of 5." in html
    assert "The 2 waiting longest of 4." in html
    assert f'href="{reverse("incident_list")}?status=open">All 5 open' in html
    assert f'href="{reverse("report_list")}?status=open">All 4 awaiting' in html


def test_dashboard_shows_no_more_link_when_everything_fits(
    manager_client: Client, open_report: Report
) -> None:
    html = manager_client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="more-reports"' not in html
    assert 'data-testid="more-incidents"' not in html


# --- the incident page: the latest of a long history ----------------------------------------


def updated(incident: Incident, manager: User, count: int) -> Incident:
    for i in range(count):
        services.post_update(
            actor=manager,
            incident=incident,
            status=["investigating", "identified", "monitoring"][i % 3],
            message=f"Update number {i}",
        )
    return incident


def test_incident_page_shows_the_latest_updates_and_timeline_and_everything_on_request(
    manager_client: Client,
    manager: User,
    developer: User,
    components: list[Component],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(queries, "UPDATES_SHOWN", 3)
    monkeypatch.setattr(queries, "TIMELINE_SHOWN", 4)
    incident = updated(a_published_incident(manager, developer, components), manager, 6)
    url = reverse("incident_detail", args=[incident.pk])
    html = manager_client.get(url).content.decode()
    updates = html.split('data-testid="updates"')[1].split("</ul>")[0]
    assert updates.count("<li>") == 3
    assert "Update number 5" in updates and "Update number 2" not in updates
    assert "The latest 3 of 7. " in html  # six updates and the publication
    timeline = html.split('data-testid="timeline"')[1].split("</ol>")[0]
    assert timeline.count("<li ") == 4
    assert "Problem reported" not in timeline  # the oldest entries wait for "show all"
    assert 'href="?history=all#timeline-title"' in html
    everything = manager_client.get(url + "?history=all").content.decode()
    timeline = everything.split('data-testid="timeline"')[1].split("</ol>")[0]
    assert "Problem reported" in timeline
    assert everything.split('data-testid="updates"')[1].split("</ul>")[0].count("<li>") == 7
    assert 'data-testid="more-timeline"' not in everything


# --- as many queries for 50 rows as for 5 ------------------------------------------------


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def grow_incidents(manager: User, developer: User, components: list[Component], count: int) -> None:
    for _ in range(count // 5):
        confirmed_incidents(manager, 2)
        incident = a_published_incident(manager, developer, components)
        services.resolve_incident(actor=manager, incident=incident, message="Done.\nFine again.")
        a_published_incident(manager, developer, components)
        a_report(manager, title="Waiting for triage")


@pytest.mark.parametrize(
    "url",
    [
        lambda: reverse("dashboard"),
        lambda: reverse("incident_list") + "?status=open",
        lambda: reverse("incident_list") + "?status=resolved",
        lambda: reverse("incident_list") + "?status=all",
        lambda: reverse("report_list"),
        lambda: reverse("report_list") + "?status=open",
    ],
    ids=["dashboard", "open", "resolved", "all incidents", "reports", "open reports"],
)
def test_pages_ask_as_many_queries_for_50_rows_as_for_5(
    manager_client: Client,
    manager: User,
    developer: User,
    components: list[Component],
    url: Callable[[], str],
) -> None:
    grow_incidents(manager, developer, components, 5)
    few = queries_for(manager_client, url())
    grow_incidents(manager, developer, components, 45)
    assert queries_for(manager_client, url()) == few


def test_the_incident_page_asks_no_more_queries_for_50_updates_than_for_5(
    manager_client: Client,
    manager: User,
    developer: User,
    components: list[Component],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Fewer than 5 shown, so that both pages show the latest few and count the rest.
    monkeypatch.setattr(queries, "UPDATES_SHOWN", 3)
    monkeypatch.setattr(queries, "TIMELINE_SHOWN", 4)
    incident = updated(a_published_incident(manager, developer, components), manager, 5)
    url = reverse("incident_detail", args=[incident.pk])
    few = queries_for(manager_client, url)
    updated(incident, manager, 45)
    # The timeline looks names up once per kind among the entries shown: never one per entry.
    assert queries_for(manager_client, url) <= few
