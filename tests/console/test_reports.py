"""The report form and the triage page (R1, R3, R4)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component, Incident, Report, ReportStatus
from tests.factories import a_report

pytestmark = pytest.mark.django_db

GOOD_REPORT = {
    "title": "Scanning jobs stay queued",
    "description": "Jobs wait for hours.",
    "reporter": "help@example.com",
    "medium": "email",
    "detection": "reactive",
    "users_affected": "3",
}


def test_report_form_has_the_r3_fields_and_prefills_the_reporter(
    reporter_client: Client,
) -> None:
    response = reporter_client.get(reverse("report_new"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="reporter@example.com"' in html
    for name in ("title", "description", "reporter", "medium", "users_affected"):
        assert f'name="{name}"' in html
    assert html.count('name="detection"') == 2
    assert 'type="radio"' in html
    assert 'name="could_affect_two_or_more"' in html
    for medium in ("E-mail to the help address", "Issue", "Internal chat", "Direct e-mail"):
        assert medium in html


def test_filing_a_report_redirects_to_its_page(reporter_client: Client, reporter: User) -> None:
    response = reporter_client.post(reverse("report_new"), GOOD_REPORT)
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("report_detail", kwargs={"pk": report.pk})
    assert report.filed_by == reporter
    assert report.users_affected == 3
    page = reporter_client.get(response["Location"]).content.decode()
    assert f"Report R-{report.pk} filed" in page
    assert "Awaiting triage" in page


def test_report_form_is_reshown_with_each_error_and_the_input_kept(
    reporter_client: Client,
) -> None:
    response = reporter_client.post(
        reverse("report_new"),
        {"title": "Mail sent twice", "description": "", "reporter": "", "medium": "fax"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Mail sent twice"' in html
    assert "Description is required" in html
    assert "Reporter (who reported the problem) is required" in html
    assert (
        "Medium must be one of E-mail to the help address, Issue, Internal chat, Direct e-mail or "
        "Other</li>" in html
    )
    assert "Detection is required: choose Proactive (found by the team) or Reactive" in html
    assert '<a class="rule" href="/rules/#r3"' in html
    assert Report.objects.count() == 0


def test_report_form_refuses_a_non_number_of_users(reporter_client: Client) -> None:
    response = reporter_client.post(
        reverse("report_new"), {**GOOD_REPORT, "users_affected": "several"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Users affected must be a whole number" in html
    assert 'value="several"' in html


def test_report_page_explains_that_r1_is_met(manager_client: Client, open_report: Report) -> None:
    html = manager_client.get(reverse("report_detail", kwargs={"pk": open_report.pk})).content
    text = html.decode()
    assert "Affected 3 users — meets the incident threshold" in text
    assert "R1: at least two users affected, or could be." in text
    assert 'value="Scanning jobs stay queued"' in text  # issue title prefilled
    assert "Machine executions wait in the queue for over an hour." in text
    assert "Confirm incident" in text
    assert "Dismiss report" in text


def test_report_page_explains_that_a_could_affect_report_meets_r1(
    manager_client: Client, manager: User, components: list[Component]
) -> None:
    report = a_report(manager, users_affected=1, could_affect_two_or_more=True)
    text = manager_client.get(reverse("report_detail", kwargs={"pk": report.pk})).content.decode()
    assert "Affected 1 user, but could affect two or more — meets the incident threshold" in text


def test_report_page_warns_why_a_single_user_report_cannot_be_confirmed(
    manager_client: Client, single_user_report: Report
) -> None:
    url = reverse("report_detail", kwargs={"pk": single_user_report.pk})
    text = manager_client.get(url).content.decode()
    assert "Below the incident threshold — cannot be confirmed." in text
    assert "Affected 1 user and could not affect two or more" in text
    assert "Confirm incident</button>" not in text
    assert "Dismiss report" in text


def test_confirming_creates_the_incident_and_goes_to_it(
    manager_client: Client, open_report: Report
) -> None:
    response = manager_client.post(
        reverse("report_confirm", kwargs={"pk": open_report.pk}),
        {
            "issue_title": "Machine queue stalled",
            "issue_description": "Queue not draining.",
            "issue_url": "https://gitlab.com/example/-/issues/7",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incident_detail", kwargs={"pk": incident.pk})
    assert incident.issue.url == "https://gitlab.com/example/-/issues/7"
    page = manager_client.get(response["Location"]).content.decode()
    assert f"Confirmed as incident INC-{incident.pk}" in page


def test_triage_page_shows_the_r1_refusal(
    manager_client: Client, single_user_report: Report
) -> None:
    response = manager_client.post(
        reverse("report_confirm", kwargs={"pk": single_user_report.pk}),
        {"issue_title": "Old version", "issue_description": "Shows 1.2."},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert '<a class="rule" href="/rules/#r1"' in html
    assert "An incident must have affected, or be able to affect, at least two users" in html
    assert "so it stays a report" in html
    assert Incident.objects.count() == 0


def test_confirm_form_shows_an_invalid_issue_url_next_to_the_field(
    manager_client: Client, open_report: Report
) -> None:
    response = manager_client.post(
        reverse("report_confirm", kwargs={"pk": open_report.pk}),
        {"issue_title": "", "issue_description": "Queue stalled.", "issue_url": "not a url"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Issue title is required" in html
    assert "External issue link must be a valid http(s) URL" in html
    assert 'value="not a url"' in html
    assert "Queue stalled." in html
    assert '<a class="rule" href="/rules/#r4"' in html


def test_confirming_twice_is_a_409_with_the_message_at_the_top(
    manager_client: Client, open_report: Report, confirmed: Incident
) -> None:
    response = manager_client.post(
        reverse("report_confirm", kwargs={"pk": open_report.pk}),
        {"issue_title": "Again", "issue_description": "Again."},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Not possible now." in html
    assert "is already confirmed as an incident" in html


def test_dismissing_a_report_records_the_reason(
    manager_client: Client, single_user_report: Report
) -> None:
    url = reverse("report_dismiss", kwargs={"pk": single_user_report.pk})
    response = manager_client.post(url, {"reason": "Affects one user only."})
    assert response.status_code == 302
    single_user_report.refresh_from_db()
    assert single_user_report.status == ReportStatus.DISMISSED
    page = manager_client.get(response["Location"]).content.decode()
    assert "Reason: Affects one user only." in page


def test_dismissing_without_a_reason_is_reshown(
    manager_client: Client, single_user_report: Report
) -> None:
    url = reverse("report_dismiss", kwargs={"pk": single_user_report.pk})
    response = manager_client.post(url, {"reason": "  "})
    assert response.status_code == 422
    assert b"Reason for dismissing is required" in response.content


def test_reporter_follows_their_own_report_read_only(
    reporter_client: Client, reporter: User, manager: User, components: list[Component]
) -> None:
    from statusdesk.incidents import services

    report = a_report(reporter, title="Mail arrives twice", users_affected=2)
    url = reverse("report_detail", kwargs={"pk": report.pk})
    text = reporter_client.get(url).content.decode()
    assert "Awaiting triage" in text
    assert "An incident manager will triage this report" in text
    assert "Confirm incident" not in text and "Dismiss report" not in text
    incident = services.confirm_incident(
        actor=manager, report=report, issue_title="Dup mails", issue_description="d"
    )
    text = reporter_client.get(url).content.decode()
    assert f"This report became <strong>incident INC-{incident.pk}</strong>" in text
    assert "Open the incident" not in text  # reporters do not see incident pages


def test_reporter_cannot_see_someone_elses_report(
    reporter_client: Client, open_report: Report
) -> None:
    response = reporter_client.get(reverse("report_detail", kwargs={"pk": open_report.pk}))
    assert response.status_code == 404
