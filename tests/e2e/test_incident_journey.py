"""The whole journey in a real browser: report → confirm → assign → publish → update → resolve.

An incident manager does every step through the console; each step is checked on the page the
user sees, and the incident page ends with the full timeline from the event log. Screenshots
(desktop and a 390 px phone) go to test-artifacts/screenshots/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component, ComponentStatus, Incident, IncidentStatus
from tests.e2e.conftest import DESKTOP, PHONE, ConsoleWatch, shoot, sign_in

pytestmark = [pytest.mark.e2e]


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_incident_manager_journey_from_report_to_resolution(
    live_server: Any,
    browser: Any,
    screenshots: Path,
    manager: User,
    developer: User,
    components: list[Component],
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    console = ConsoleWatch(context, base)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        # Sign in: the header shows who is signed in and their role.
        sign_in(page, base, manager.email)
        expect(page.get_by_test_id("user-role")).to_have_text("Incident manager")

        # File a report (R3).
        page.get_by_role("link", name="Report a problem").click()
        expect(page.get_by_role("heading", name="Report a problem")).to_be_visible()
        expect(page.get_by_label("Reported by", exact=True)).to_have_value(manager.email)
        page.get_by_label("What is wrong?").fill("Scanning jobs stay queued")
        page.get_by_label("Description").fill("Machine executions wait for over an hour.")
        page.get_by_label("Reported through").select_option("email")
        page.get_by_text("Reactive", exact=True).click()
        page.get_by_label("Users affected so far").fill("5")
        shoot(page, screenshots / "journey-01-report-form-desktop.png")
        page.get_by_role("button", name="File report").click()
        expect(page.get_by_text("Report R-1 filed")).to_be_visible()

        # Triage: the R1 check in words, then confirm (R1, R4).
        expect(page.get_by_test_id("r1-check")).to_contain_text(
            "Affected 5 users — meets the incident threshold"
        )
        expect(page.get_by_label("Issue title")).to_have_value("Scanning jobs stay queued")
        page.get_by_label("External issue link").fill("https://gitlab.com/example/-/issues/9")
        page.get_by_role("button", name="Confirm incident").click()
        expect(page.get_by_text("Confirmed as incident INC-1")).to_be_visible()
        expect(page).to_have_url(base + reverse("incident_detail", args=[1]))

        # Assign the accountable developer (R4).
        page.get_by_label("Developer", exact=True).select_option(developer.email)
        page.get_by_role("button", name="Assign developer").click()
        expect(page.get_by_text("Developer assigned.")).to_be_visible()
        expect(page.get_by_test_id("incident-developer")).to_contain_text(developer.email)

        # Publish with two components and a severity (R5), defaults as the document says.
        expect(page.get_by_label("Notify subscribers")).to_be_checked()
        expect(page.get_by_label("Long-running incident reminders")).to_be_checked()
        expect(page.get_by_label("Every")).to_have_value("60")
        page.get_by_label("Incident name").fill("Scanning delayed for some groups")
        page.get_by_label("Message", exact=True).fill(
            "New scans wait in the queue; results arrive late."
        )
        page.get_by_label("Workaround", exact=True).fill("Run the CLI scanner locally.")
        page.get_by_label("Workaround documentation link").fill("https://docs.example.com/cli")
        page.get_by_label("Scanning (Machine)").check()
        page.get_by_label("Agent (Forces)").check()
        page.get_by_label("Severity", exact=True).select_option("partial_outage")
        page.get_by_role("button", name="Publish incident").click()
        expect(
            page.get_by_text("Published on the status page with status Identified.")
        ).to_be_visible()
        expect(page.get_by_test_id("incident-status")).to_have_text("Identified")
        expect(page.get_by_test_id("incident-badges")).to_contain_text("Scanning · partial outage")
        expect(page.get_by_test_id("incident-badges")).to_contain_text("Agent · partial outage")
        shoot(page, screenshots / "journey-02-published-desktop.png")

        # "Published on the status page" is a link: the public page shows what was published.
        page.get_by_test_id("public-page-link").click()
        expect(page).to_have_url(base + reverse("statuspage:incident", args=[1]))
        expect(page.get_by_test_id("incident-name")).to_have_text(
            "Scanning delayed for some groups"
        )
        expect(page.get_by_test_id("incident-status")).to_have_text("Identified")
        expect(page.get_by_text("Run the CLI scanner locally.")).to_be_visible()
        page.go_back()
        expect(page.get_by_test_id("incident-status")).to_have_text("Identified")

        # Post an update that also changes a component's status.
        update = page.locator("#update")
        update.get_by_text("Monitoring", exact=True).click()
        update.get_by_label("Message").fill("A fix is deployed; we are watching the queue.")
        update.get_by_label("Scanning (Machine)").select_option("degraded_performance")
        update.get_by_role("button", name="Post update").click()
        expect(page.get_by_text("Update posted on the status page.")).to_be_visible()
        expect(page.get_by_test_id("incident-status")).to_have_text("Monitoring")

        # Resolve: three lines are refused (R11) and the form keeps the text; two lines resolve.
        resolve = page.locator("#resolve")
        resolve.get_by_label("Resolution message").fill("Resolved.\nQueue drains.\nThanks!")
        resolve.get_by_role("button", name="Resolve incident").click()
        expect(page.get_by_text("The resolution message must be at most 2 lines")).to_be_visible()
        expect(page.locator("#resolve").get_by_label("Resolution message")).to_have_value(
            "Resolved.\nQueue drains.\nThanks!"
        )
        shoot(page, screenshots / "journey-03-r11-refused-desktop.png")
        resolve = page.locator("#resolve")
        resolve.get_by_label("Resolution message").fill(
            "Scanning is resolved.\nIt works normally again."
        )
        resolve.get_by_role("button", name="Resolve incident").click()
        expect(page.get_by_text("Incident resolved.")).to_be_visible()
        expect(page.get_by_test_id("incident-status")).to_have_text("Resolved")

        # The timeline, read from the event log, shows every step with its actor and time.
        timeline = page.get_by_test_id("timeline")
        for label in (
            "Problem reported",
            "Confirmed as an incident",
            "Issue opened",
            "Developer assigned",
            "Published on the status page",
            "Update posted",
            "Component status changed",
            "Resolved",
        ):
            expect(timeline.get_by_text(label, exact=True).first).to_be_visible()
        expect(timeline).to_contain_text("Scanning: partial outage → degraded performance")
        expect(timeline).to_contain_text(
            "Monitoring: A fix is deployed; we are watching the queue."
        )
        expect(timeline).to_contain_text("UTC-5")
        shoot(page, screenshots / "journey-04-resolved-desktop.png")

        page.set_viewport_size(PHONE)
        page.reload()
        expect(page.get_by_test_id("timeline")).to_contain_text("Resolved")
        shoot(page, screenshots / "journey-05-resolved-phone.png")
    finally:
        context.close()

    # The Content-Security-Policy held all along: nothing blocked, nothing broken, nothing fetched
    # from elsewhere.
    assert not console.problems, "\n".join(console.problems)

    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.developer == developer
    assert {c.name for c in incident.components.all()} == {"Scanning", "Agent"}
    assert all(c.status == ComponentStatus.OPERATIONAL for c in incident.components.all())


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_dashboard_and_publish_form_are_usable_on_a_390px_phone(
    live_server: Any,
    browser: Any,
    screenshots: Path,
    manager: User,
    developer: User,
    components: list[Component],
) -> None:
    from playwright.sync_api import expect

    report = services.report_problem(
        actor=manager,
        title="Docs search returns nothing for every query on the documentation site",
        description="No results.",
        reporter="ana@customer.example",
        medium="direct_email",
        detection="reactive",
        users_affected=4,
    )
    incident = services.confirm_incident(
        actor=manager, report=report, issue_title="Docs search index empty", issue_description="d"
    )
    services.assign_developer(actor=manager, incident=incident, developer=developer)

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    console = ConsoleWatch(context, live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)

    def no_horizontal_scroll() -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"page is {width}px wide at {page.url}"

    try:
        sign_in(page, live_server.url, manager.email)
        expect(page.get_by_text(f"INC-{incident.pk}")).to_be_visible()
        expect(page.get_by_role("link", name="Incidents", exact=True)).to_be_visible()
        expect(page.get_by_test_id("user-role")).to_be_visible()
        no_horizontal_scroll()
        shoot(page, screenshots / "phone-dashboard.png")

        page.get_by_text("Docs search index empty").click()
        publish = page.locator("#publish")
        expect(publish.get_by_role("button", name="Publish incident")).to_be_visible()
        no_horizontal_scroll()
        shoot(page, screenshots / "phone-publish-form.png")

        # A mistake first: the error is shown next to the field, still without horizontal scroll.
        publish.get_by_label("Incident name").fill("Docs search unavailable")
        publish.get_by_label("Message").fill("Search on the documentation returns nothing.")
        publish.get_by_label("Workaround", exact=True).fill("Use the table of contents.")
        publish.get_by_label("Workaround documentation link").fill("docs/contents")
        publish.get_by_label("Docs", exact=True).check()
        publish.get_by_label("Severity").select_option("degraded_performance")
        publish.get_by_role("button", name="Publish incident").tap()
        error = page.get_by_text("Workaround documentation link must be a valid http(s) URL")
        expect(error).to_be_visible()
        expect(error).to_be_in_viewport()
        no_horizontal_scroll()
        shoot(page, screenshots / "phone-publish-error.png")

        page.locator("#publish").get_by_label("Workaround documentation link").fill(
            "https://docs.example.com/contents"
        )
        page.locator("#publish").get_by_role("button", name="Publish incident").tap()
        expect(
            page.get_by_text("Published on the status page with status Identified.")
        ).to_be_visible()
        expect(page.get_by_test_id("incident-badges")).to_contain_text(
            "Docs · degraded performance"
        )
        no_horizontal_scroll()
    finally:
        context.close()
    assert not console.problems, "\n".join(console.problems)
