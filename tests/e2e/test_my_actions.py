"""The owner's follow-up actions and the revised public postmortem in a real browser: "My
follow-up actions" (overdue first, marking done with a merge request, a commit address refused
with the reason) and the public incident page in Spanish after an edit ("revisado"), in the light
and the dark theme, on a desktop and a phone; axe finds nothing blocking. Screenshots go to
test-artifacts/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component
from statusdesk.postmortems import services
from statusdesk.postmortems.taxonomy import ensure_taxonomy_terms
from tests.e2e.a11y import blocking, describe, run_axe
from tests.e2e.conftest import DESKTOP, PHONE, ConsoleWatch, shoot, sign_in
from tests.factories import (
    a_backfilled_resolved_incident,
    a_follow_up_action,
    a_published_postmortem,
)

pytestmark = [pytest.mark.e2e]

COMMIT = "https://github.com/example/product/commit/0123abc"
MR = "https://gitlab.example.com/product/-/merge_requests/88"


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_my_actions_and_the_revised_public_postmortem(
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
    a_published_postmortem(manager, incident)
    # Revised after publication (committed: the snapshot is rebuilt by the reaction).
    services.write_postmortem(
        actor=manager, incident=incident, conclusion="Test every change with data from before it."
    )
    today = timezone.localdate()
    a_follow_up_action(
        manager,
        incident,
        owner=developer,
        description="Add a test with sessions from before the change",
        due_on=today - timedelta(days=2),
    )
    a_follow_up_action(
        manager,
        incident,
        owner=developer,
        description="Alert when logins fail for more than 1 % of users",
        due_on=today + timedelta(days=5),
    )
    base = live_server.url
    failures: list[str] = []
    problems: list[str] = []
    for theme in ("light", "dark"):
        for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context = browser.new_context(
                viewport=viewport,
                color_scheme=theme,
                reduced_motion="reduce",
                bypass_csp=True,  # axe is injected as a script
                is_mobile=size == "phone",
                has_touch=size == "phone",
            )
            watch = ConsoleWatch(context, base)
            page = context.new_page()
            page.set_default_timeout(15_000)
            try:
                sign_in(page, base, developer.email)
                page.get_by_test_id("my-actions-link").click()
                expect(page.get_by_role("heading", name="My follow-up actions")).to_be_visible()
                rows = page.get_by_test_id("my-action")
                expect(rows).to_have_count(2)
                expect(rows.first).to_contain_text("Overdue")
                expect(rows.first).to_contain_text("sessions from before")
                failures.append(describe(f"my actions {theme} {size}", blocking(run_axe(page))))
                shoot(page, screenshots / f"my-actions-{theme}-{size}.png")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], f"{theme} {size}: the page is {width}px wide"

                page.context.clear_cookies(name="django_language")
                page.goto(f"{base}/incidents/{incident.pk}")
                page.context.add_cookies([{"name": "django_language", "value": "es", "url": base}])
                page.reload()
                expect(page.get_by_test_id("postmortem-revised")).to_contain_text("revisado")
                expect(page.get_by_test_id("postmortem-times")).to_contain_text("3,5 horas")
                expect(page.get_by_test_id("postmortem-conclusion")).to_contain_text(
                    "data from before it"
                )
                page.get_by_test_id("postmortem").scroll_into_view_if_needed()
                failures.append(describe(f"public es {theme} {size}", blocking(run_axe(page))))
                shoot(page, screenshots / f"postmortem-revised-es-{theme}-{size}.png")
            finally:
                context.close()
            problems += watch.problems

    # Marking done: a commit is refused with the reason, a merge request closes it.
    context = browser.new_context(viewport=DESKTOP)
    watch = ConsoleWatch(context, base)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, base, developer.email)
        page.goto(f"{base}/manage/me/actions/")
        first = page.get_by_test_id("my-action").first
        first.get_by_label("Merge request that closed it").fill(COMMIT)
        first.get_by_test_id("mark-done").click()
        expect(page.get_by_text("never the commit")).to_be_visible(timeout=15_000)
        expect(page.get_by_role("heading", name="My follow-up actions")).to_be_visible()
        shoot(page, screenshots / "my-actions-commit-refused-desktop.png")
        first = page.get_by_test_id("my-action").first
        first.get_by_label("Merge request that closed it").fill(MR)
        first.get_by_test_id("mark-done").click()
        expect(page.get_by_text("Follow-up action done: Add a test")).to_be_visible()
        expect(page.get_by_test_id("my-action")).to_have_count(1)
        expect(page.get_by_test_id("my-done-actions")).to_contain_text("with a merge request")
        shoot(page, screenshots / "my-actions-done-desktop.png")
    finally:
        context.close()
    problems += watch.problems
    bad = [f for f in failures if f]
    assert not bad, "\n".join(bad)
    assert not problems, "\n".join(problems)
