"""The desk's membership and mirror pages in a browser: an administrator adds a standing member,
is refused (with the reason) when a removal would leave fewer than four, sets the mirror; a desk
member reads the members read-only. axe-core on every state; screenshots (desktop and phone, light
and dark) in test-artifacts/screenshots/desk-members-*.png and desk-mirror-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from statusdesk.accounts.models import User
from statusdesk.desk import services as desk
from tests.e2e.a11y import blocking, describe, run_axe
from tests.e2e.conftest import DESKTOP, PHONE, ConsoleWatch, shoot, sign_in
from tests.factories import a_desk_of, an_assigned_incident

pytestmark = pytest.mark.e2e

THEMES = ("light", "dark")


def _axe(page: Any, where: str, failures: list[str]) -> None:
    bad = blocking(run_axe(page))
    if bad:
        failures.append(describe(where, bad))


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.django_db(transaction=True)
def test_membership_and_mirror_pages(
    theme: str,
    live_server: Any,
    browser: Any,
    screenshots: Path,
    admin_user: User,
    manager: User,
    developer: User,
    desk_member: User,
) -> None:
    members = a_desk_of(admin_user, 3)
    desk.add_standing_member(actor=admin_user, user=desk_member, why="knows the customers")
    incident = an_assigned_incident(manager, developer)
    base = live_server.url
    failures: list[str] = []

    context = browser.new_context(
        viewport=DESKTOP, color_scheme=theme, reduced_motion="reduce", bypass_csp=True
    )
    watch = ConsoleWatch(context, base)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, admin_user.email)
    page.goto(base + "/manage/desk/")
    page.get_by_role("link", name="all members").click()
    expect(page.get_by_role("heading", name="Desk members")).to_be_visible()
    expect(page.get_by_test_id("temporary-members")).to_contain_text(f"INC-{incident.pk}")
    _axe(page, f"members · {theme}", failures)

    # Removing one of the four: refused, with the reason and what to do.
    removal = page.get_by_role("form", name=f"Remove {members[0].email}")
    removal.get_by_label(f"Why {members[0].email} leaves").fill("moved team")
    removal.get_by_role("button", name="Remove").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("must keep at least 4 standing members")
    expect(alert).to_contain_text("Add another standing member first")
    _axe(page, f"members refused · {theme}", failures)
    shoot(page, screenshots / f"desk-members-refused-desktop-{theme}.png")

    # Adding a fifth, then the removal goes through.
    form = page.get_by_test_id("add-member")
    form.get_by_label("Person").select_option(value=str(manager.pk))
    form.get_by_label("Why they join").fill("knows billing")
    form.get_by_role("button", name="Add to the desk").click()
    expect(page.get_by_text("The new standing member is on the desk.")).to_be_visible()
    expect(page.get_by_test_id("active-standing")).to_have_text("5")
    shoot(page, screenshots / f"desk-members-desktop-{theme}.png")
    page.set_viewport_size(PHONE)
    page.reload()
    _axe(page, f"members phone · {theme}", failures)
    shoot(page, screenshots / f"desk-members-phone-{theme}.png")
    page.set_viewport_size(DESKTOP)
    removal = page.get_by_role("form", name=f"Remove {members[0].email}")
    removal.get_by_label(f"Why {members[0].email} leaves").fill("moved team")
    removal.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("The standing member has left the desk.")).to_be_visible()
    expect(page.get_by_test_id("active-standing")).to_have_text("4")

    # The mirror page: the URL goes in as a password field and never comes back.
    page.goto(base + "/manage/desk/mirror/")
    _axe(page, f"mirror empty · {theme}", failures)
    page.get_by_label("Apprise URL").fill("json://127.0.0.1:9/secret-room-token")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("mirror-state")).to_contain_text("json://…")
    assert "secret-room-token" not in page.content()
    _axe(page, f"mirror set · {theme}", failures)
    shoot(page, screenshots / f"desk-mirror-desktop-{theme}.png")
    page.set_viewport_size(PHONE)
    page.reload()
    _axe(page, f"mirror phone · {theme}", failures)
    shoot(page, screenshots / f"desk-mirror-phone-{theme}.png")
    context.close()

    # A desk member reads the members, without the forms.
    context = browser.new_context(
        viewport=PHONE, color_scheme=theme, reduced_motion="reduce", bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, desk_member.email)
    page.goto(base + "/manage/desk/members/")
    expect(page.get_by_test_id("standing-members")).to_contain_text(desk_member.email)
    expect(page.get_by_test_id("add-member")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)
    _axe(page, f"members read-only · {theme}", failures)
    shoot(page, screenshots / f"desk-members-readonly-phone-{theme}.png")
    assert page.goto(base + "/manage/desk/mirror/").status == 403
    context.close()

    assert not failures, "\n\n".join(failures)
    assert watch.problems == [], watch.problems
