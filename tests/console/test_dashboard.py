"""The dashboard and the lists: what each role sees, durations and badges."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component, Incident, Report
from tests.factories import a_report

pytestmark = pytest.mark.django_db


def test_dashboard_lists_open_reports_and_open_incidents_with_ages(
    manager_client: Client, manager: User, published: Incident, components: list[Component]
) -> None:
    waiting = services.report_problem(
        actor=manager,
        title="Docs search returns nothing",
        description="No results for any query.",
        reporter="ana@customer.example",
        medium="direct_email",
        detection="reactive",
        users_affected=4,
        at=timezone.now() - timedelta(hours=3, minutes=30),
    )
    response = manager_client.get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Reports awaiting triage" in html
    assert f"R-{waiting.pk}" in html
    # The report's age as people say it (R16's "3.5 hours" is for postmortems), in a <time>.
    assert re.search(
        r'Open for <strong><time datetime="PT3H30M" title="Since [^"]+">4 hours</time>', html
    )
    assert "Open incidents" in html
    assert f"INC-{published.pk}" in html
    assert "Scanning delayed for some groups" in html
    assert "badge--i-identified" in html
    assert "badge--c-partial_outage" in html
    assert re.search(r'Updated <time datetime="[^"]+" title="[^"]+">just now</time>', html)


def test_dashboard_shows_component_statuses_and_recently_resolved(
    manager_client: Client, resolved: Incident, components: list[Component]
) -> None:
    html = manager_client.get(reverse("dashboard")).content.decode()
    for component in components:
        assert component.name in html
    assert "All systems operational" in html
    assert "Recently resolved" in html
    assert f"INC-{resolved.pk}" in html


def test_dashboard_counts_affected_components(manager_client: Client, published: Incident) -> None:
    html = manager_client.get(reverse("dashboard")).content.decode()
    assert "2 of 8 components affected" in html


def test_dashboard_flags_an_overdue_update(
    manager_client: Client, manager: User, developer: User, components: list[Component]
) -> None:
    start = timezone.now() - timedelta(hours=3)
    report = a_report(manager, at=start)
    incident = services.confirm_incident(
        actor=manager, report=report, issue_title="t", issue_description="d", at=start
    )
    services.assign_developer(actor=manager, incident=incident, developer=developer, at=start)
    services.publish_incident(
        actor=manager,
        incident=incident,
        name="Old outage",
        message="m",
        workaround="w",
        workaround_url="https://docs.example.com/w",
        component_ids=[components[0].pk],
        severity="major_outage",
        at=start + timedelta(minutes=30),
    )
    html = manager_client.get(reverse("dashboard")).content.decode()
    assert "Update overdue" in html
    assert '<div class="stat-value">1</div>' in html


def test_reporter_dashboard_shows_only_their_own_reports_and_no_incidents(
    reporter_client: Client, reporter: User, manager: User, published: Incident
) -> None:
    mine = a_report(reporter, title="My own problem", users_affected=1)
    a_report(manager, title="Someone else's problem")
    html = reporter_client.get(reverse("dashboard")).content.decode()
    assert "Your reports" in html
    assert "My own problem" in html
    assert f"R-{mine.pk}" in html
    assert "Someone else&#x27;s problem" not in html
    assert "Someone else's problem" not in html
    assert "Open incidents" not in html
    assert "Scanning delayed for some groups" not in html


def test_developer_dashboard_shows_incidents_without_action_hints(
    developer_client: Client, confirmed: Incident
) -> None:
    html = developer_client.get(reverse("dashboard")).content.decode()
    assert f"INC-{confirmed.pk}" in html
    assert "Next: assign a developer" not in html


def test_manager_dashboard_shows_the_next_step(manager_client: Client, confirmed: Incident) -> None:
    html = manager_client.get(reverse("dashboard")).content.decode()
    assert "Next: assign a developer" in html


def test_incident_list_filters_open_and_resolved(
    manager_client: Client, manager: User, resolved: Incident, components: list[Component]
) -> None:
    other = services.confirm_incident(
        actor=manager,
        report=a_report(manager, title="Mail sent twice"),
        issue_title="Duplicate mails",
        issue_description="Every notification arrives twice.",
    )
    open_html = manager_client.get(reverse("incident_list")).content.decode()
    assert f"INC-{other.pk}" in open_html
    assert f"INC-{resolved.pk}" not in open_html
    resolved_html = manager_client.get(reverse("incident_list") + "?status=resolved").content
    assert f"INC-{resolved.pk}".encode() in resolved_html
    assert f"INC-{other.pk}".encode() not in resolved_html
    all_html = manager_client.get(reverse("incident_list") + "?status=all").content
    assert f"INC-{resolved.pk}".encode() in all_html and f"INC-{other.pk}".encode() in all_html
    assert manager_client.get(reverse("incident_list") + "?status=bogus").status_code == 200


def test_report_list_shows_a_reporter_only_their_reports(
    reporter_client: Client, reporter: User, manager: User, components: list[Component]
) -> None:
    a_report(reporter, title="Mine", users_affected=1)
    a_report(manager, title="Theirs")
    html = reporter_client.get(reverse("report_list")).content.decode()
    assert "My reports" in html
    assert "Mine" in html
    assert "Theirs" not in html


def test_report_list_filters_by_status(
    manager_client: Client, open_report: Report, confirmed: Incident
) -> None:
    other = a_report(open_report.filed_by, title="Still waiting")
    html = manager_client.get(reverse("report_list") + "?status=open").content.decode()
    assert "Still waiting" in html
    assert f"R-{open_report.pk}<" not in html
    html = manager_client.get(reverse("report_list") + "?status=confirmed").content.decode()
    assert f"R-{open_report.pk}" in html
    assert f"R-{other.pk}" not in html
