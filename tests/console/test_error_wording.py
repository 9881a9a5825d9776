"""Every console form, submitted wrong: each error reads as a sentence for a person (a capital
letter, choices in words), never with a raw field name (`component_ids`) or raw enum values."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.test import Client
from django.urls import reverse

from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component, Incident, Report
from tests.factories import a_report

pytestmark = pytest.mark.django_db

_ERRORS = re.compile(
    r'<ul class="errors">(.*?)</ul>|form-alert[^>]*>.*?<ul>(.*?)</ul>'
    r"|<strong>Not possible now\.</strong>(.*?)</p>",
    re.S,
)
_ITEM = re.compile(r"<li>(.*?)</li>", re.S)
_RAW_VALUES = (
    "major_outage",
    "partial_outage",
    "degraded_performance",
    "under_maintenance",
    "direct_email",
    "the values are",
)


def shown_errors(page: str) -> list[str]:
    """The error messages as the page shows them (text only, the rule chip removed)."""
    messages = []
    for match in _ERRORS.finditer(page):
        block = next(group for group in match.groups() if group is not None)
        items = _ITEM.findall(block) or [block]
        for item in items:
            text = re.sub(r'<a class="rule[^"]*"[^>]*>R\d+</a>', "", item)
            text = html_lib.unescape(re.sub(r"<[^>]+>", "", text))
            messages.append(" ".join(text.split()))
    return messages


def assert_reads_well(messages: list[str]) -> None:
    assert messages, "the page shows no error"
    for message in messages:
        assert message[0].isupper() or message[0] in "'\"", message
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", message), f"raw field name in {message!r}"
        for raw in _RAW_VALUES:
            assert raw not in message, f"raw value {raw!r} in {message!r}"
        assert ", got " not in message and "; got " not in message, message


def _post(client: Client, name: str, data: dict[str, object], **kwargs: int) -> list[str]:
    response = client.post(reverse(name, kwargs=kwargs or None), data)
    assert response.status_code in (409, 422), response.status_code
    return shown_errors(response.content.decode())


def test_report_form_errors_name_choices_in_words(manager_client: Client, components) -> None:
    empty = _post(manager_client, "report_new", {})
    assert_reads_well(empty)
    assert "Title is required" in empty
    assert "Users affected must be a whole number" in empty
    assert (
        "Detection is required: choose Proactive (found by the team) or Reactive (reported by a "
        "customer)" in empty
    )
    tampered = _post(
        manager_client,
        "report_new",
        {"title": "t", "medium": "bogus", "detection": "zz", "users_affected": "-3"},
    )
    assert_reads_well(tampered)
    assert (
        "Medium must be one of E-mail to the help address, Issue, Internal chat, Direct e-mail or "
        "Other" in tampered
    )
    assert "Users affected cannot be negative" in tampered


def test_triage_errors_read_well(
    manager_client: Client, manager: User, open_report: Report, single_user_report: Report
) -> None:
    assert_reads_well(_post(manager_client, "report_dismiss", {}, pk=open_report.pk))
    assert_reads_well(_post(manager_client, "report_confirm", {}, pk=open_report.pk))
    below = _post(
        manager_client,
        "report_confirm",
        {"issue_title": "t", "issue_description": "d"},
        pk=single_user_report.pk,
    )
    assert_reads_well(below)
    assert any(m.startswith("An incident must have affected") for m in below)


def test_assign_errors_say_choose_a_developer(
    manager_client: Client, published: Incident, developer: User
) -> None:
    assert _post(manager_client, "incident_assign", {}, pk=published.pk) == ["Choose a developer"]
    # A problem that starts with an e-mail address keeps the address as it is.
    again = _post(
        manager_client, "incident_assign", {"developer": developer.email}, pk=published.pk
    )
    assert again == [f"{developer.email} is already the developer of INC-{published.pk}"]


def test_publish_errors_read_well(
    manager_client: Client, manager: User, developer: User, components: list[Component]
) -> None:
    incident = services.confirm_incident(
        actor=manager, report=a_report(manager), issue_title="t", issue_description="d"
    )
    services.assign_developer(actor=manager, incident=incident, developer=developer)
    empty = _post(manager_client, "incident_publish", {}, pk=incident.pk)
    assert_reads_well(empty)
    assert "Select at least one affected component" in empty
    assert (
        "Severity is required: choose Major outage, Partial outage, Degraded performance or "
        "Operational" in empty
    )
    tampered = _post(
        manager_client,
        "incident_publish",
        {
            "workaround_url": "docs/x",
            "severity": "bogus",
            "component_ids": ["999"],
            "reminder_interval_minutes": "2",
        },
        pk=incident.pk,
    )
    assert_reads_well(tampered)
    assert "Workaround documentation link must be a valid http(s) URL" in tampered
    assert "Affected components: unknown component id(s) 999" in tampered
    assert "Reminder interval must be between 5 and 1440 minutes" in tampered


def test_update_and_resolve_errors_read_well(
    manager_client: Client, published: Incident, components: list[Component]
) -> None:
    empty = _post(manager_client, "incident_update", {}, pk=published.pk)
    assert_reads_well(empty)
    assert "Status is required: choose Investigating, Identified or Monitoring" in empty
    tampered = _post(
        manager_client,
        "incident_update",
        {"status": "bogus", f"component_{components[0].pk}": "bogus", "message": "m"},
        pk=published.pk,
    )
    assert_reads_well(tampered)
    assert (
        f"{components[0].name}: status must be one of Operational, Degraded performance, Partial "
        "outage, Major outage or Under maintenance" in tampered
    )
    assert_reads_well(_post(manager_client, "incident_resolve", {}, pk=published.pk))
    lines = _post(manager_client, "incident_resolve", {"message": "a\nb\nc"}, pk=published.pk)
    assert lines == ["The resolution message must be at most 2 lines (it has 3)"]
