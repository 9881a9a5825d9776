"""A postmortem in a real browser: the Incident Manager writes it from the drafted Impact, sees
the live preview and the advice, picks taxonomy terms, publishes it, and the public incident
page shows it. Screenshots go to test-artifacts/screenshots/; axe finds nothing blocking."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component
from statusdesk.postmortems.taxonomy import ensure_taxonomy_terms
from tests.e2e.a11y import blocking, describe, run_axe
from tests.e2e.conftest import DESKTOP, ConsoleWatch, shoot, sign_in
from tests.factories import a_backfilled_resolved_incident

pytestmark = [pytest.mark.e2e]


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_write_publish_and_read_a_postmortem(
    live_server: Any,
    browser: Any,
    screenshots: Path,
    manager: User,
    developer: User,
    components: list[Component],
) -> None:
    from playwright.sync_api import expect

    ensure_taxonomy_terms()  # a transactional test starts from an emptied database
    incident = a_backfilled_resolved_incident(manager, developer, components)
    merged = (incident.report.reported_at - timedelta(hours=3, minutes=30)).astimezone(
        settings.DISPLAY_ZONE
    )
    base = live_server.url
    context = browser.new_context(viewport=DESKTOP)
    console = ConsoleWatch(context, base)
    page = context.new_page()
    page.set_default_timeout(15_000)
    failures: list[str] = []
    try:
        sign_in(page, base, manager.email)
        page.goto(f"{base}/manage/incidents/{incident.pk}/")
        page.get_by_test_id("write-postmortem").click()
        expect(page.get_by_test_id("postmortem-heading")).to_be_visible(timeout=15_000)
        # The Impact is drafted from the Event log (R14) with TTF known before the merge date.
        expect(page.get_by_label("Impact", exact=True)).to_contain_text(
            "Time to fix was 45 minutes."
        )

        page.get_by_label("Cause", exact=True).fill(
            "A change to how sessions are stored forgot the customers who signed in before it."
        )
        # Live preview (htmx) with plain-language advice.
        expect(page.get_by_test_id("preview-cause")).to_contain_text("forgot the customers")
        page.get_by_label("Why? (1)").fill("Why did login fail?")
        page.get_by_label("Because (1)").fill("The session store lost old sessions.")
        page.get_by_label("Merge request that caused it").fill(
            "https://gitlab.example.com/product/-/merge_requests/1234"
        )
        page.get_by_label("When it was merged (UTC-5)").fill(merged.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_label("Solution", exact=True).fill(
            "We taught the new store to read the old sessions."
        )
        page.get_by_label("Merge request that fixed it").fill(
            "https://github.com/example/product/pull/77"
        )
        page.get_by_label("Conclusion", exact=True).fill(
            "Changes to stored data need a test with data from before the change."
        )
        # The picker builds the tree PRINCIPAL < PRIMARY.
        page.get_by_role("button", name="DATA_QUALITY").click()
        page.get_by_role("button", name="FAILED_MIGRATION").click()
        expect(page.get_by_label("Taxonomy term or tree")).to_have_value(
            "DATA_QUALITY < FAILED_MIGRATION"
        )
        expect(page.get_by_test_id("preview-conclusion")).to_contain_text("stored data")
        shoot(page, screenshots / "postmortem-01-editor-desktop.png")

        page.get_by_test_id("save-postmortem").click()
        expect(page.get_by_text("Postmortem saved.")).to_be_visible()
        expect(page.get_by_test_id("postmortem-times")).to_contain_text(
            "Time to recover was 4.3 hours"
        )
        page.get_by_test_id("publish-postmortem").click()
        expect(
            page.get_by_text("Postmortem published on the public incident page.")
        ).to_be_visible()
        shoot(page, screenshots / "postmortem-02-published-desktop.png")

        # The public incident page shows it (the snapshot is rebuilt after the commit).
        page.goto(f"{base}/incidents/{incident.pk}")
        section = page.get_by_test_id("postmortem")
        expect(section).to_be_visible()
        expect(page.get_by_test_id("postmortem-impact")).to_contain_text(
            "Time to detect was 3.5 hours."
        )
        expect(page.get_by_test_id("postmortem-taxonomy")).to_have_text(
            "DATA_QUALITY < FAILED_MIGRATION"
        )
        shoot(page, screenshots / "postmortem-03-public-page-desktop.png")

        # The analytics count it: the charts draw under the CSP (vendored Chart.js, no inline
        # code) and the table gives the month's mean times.
        page.goto(f"{base}/manage/analytics")
        expect(page.get_by_test_id("per-month")).to_contain_text("3.5 hours")
        page.wait_for_function(
            "document.getElementById('chart-months').getAttribute('width') !== null"
        )
        shoot(page, screenshots / "postmortem-04-analytics-desktop.png")
    finally:
        context.close()
    # axe is injected as a script: in a context that bypasses the CSP (the pages above ran
    # under it, and ConsoleWatch saw no violation).
    audit = browser.new_context(viewport=DESKTOP, bypass_csp=True)
    try:
        page = audit.new_page()
        sign_in(page, base, manager.email)
        for path in (
            f"/manage/incidents/{incident.pk}/postmortem/",
            f"/manage/incidents/{incident.pk}/postmortem/print/",
            f"/incidents/{incident.pk}",
            "/manage/analytics",
        ):
            page.goto(base + path)
            failures.append(describe(path, blocking(run_axe(page))))
    finally:
        audit.close()
    bad = [f for f in failures if f]
    assert not bad, "\n".join(bad)
    assert not console.problems, "\n".join(console.problems)
