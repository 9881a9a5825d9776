"""Every console page, for every role, in the light and the dark theme, checked with axe-core:
no serious or critical violation (contrast included). Also the things a person notices first:
the skip link, visible focus rings on the dark top bar, and a phone header that clips nothing.

One browser for the session (conftest.py) and one live server; each test builds its scene with
the services, then visits the pages. Screenshots of the main pages (desktop 1280 and phone 390,
both themes) go to test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component, Incident, Report
from tests.conftest import PASSWORD
from tests.e2e.a11y import blocking, describe, run_axe
from tests.e2e.conftest import DESKTOP, PHONE, shoot, sign_in

pytestmark = [pytest.mark.e2e]

THEMES = ("light", "dark")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class Scene:
    report_open: Report
    report_below_r1: Report
    report_dismissed: Report
    confirmed: Incident
    assigned: Incident
    published: Incident
    resolved: Incident


def _report(actor: User, title: str, ago: timedelta | None, **values: Any) -> Report:
    fields: dict[str, Any] = {
        "description": "Machine executions wait in the queue for over an hour.\nSince 06:10.",
        "reporter": "ana@customer.example",
        "medium": "email",
        "detection": "reactive",
        "users_affected": 4,
        "could_affect_two_or_more": True,
        **values,
    }
    at = None if ago is None else timezone.now() - ago  # reporters cannot back-fill
    return services.report_problem(actor=actor, title=title, at=at, **fields)


def build_scene(
    manager: User, developer: User, reporter: User, components: list[Component]
) -> Scene:
    """Reports and incidents in every state, with ages from minutes to days."""
    now = timezone.now()
    by_key = {c.key: c for c in components}
    report_open = _report(
        manager, "Docs search returns nothing for any query", timedelta(minutes=2)
    )
    report_below_r1 = _report(
        reporter,
        "Extension shows an old version",
        None,
        users_affected=1,
        could_affect_two_or_more=False,
        reporter="rita@customer.example",
        medium="chat",
        detection="proactive",
    )
    report_dismissed = _report(manager, "Mail sent twice", timedelta(days=2))
    services.dismiss_report(
        actor=manager, report=report_dismissed, reason="Duplicate of R-2: the same mail queue."
    )

    def incident(title: str, ago: timedelta) -> Incident:
        report = _report(manager, title, ago)
        return services.confirm_incident(
            actor=manager,
            report=report,
            issue_title=title,
            issue_description="The batch queue has not drained since 06:10; workers are idle.",
            issue_url="https://gitlab.com/example/universe/-/issues/42",
            at=now - ago + timedelta(minutes=5),
        )

    confirmed = incident("Login page answers 500 for SSO users", timedelta(minutes=25))
    assigned = incident("Webhooks delivered late", timedelta(hours=1, minutes=10))
    services.assign_developer(
        actor=manager, incident=assigned, developer=developer, at=now - timedelta(hours=1)
    )
    published = incident("Scanning jobs stay queued", timedelta(hours=3))
    services.assign_developer(
        actor=manager,
        incident=published,
        developer=developer,
        at=now - timedelta(hours=2, minutes=50),
    )
    scanning = by_key.get("scanning", components[0])
    others = [c for c in components if c.pk != scanning.pk]
    services.publish_incident(
        actor=manager,
        incident=published,
        name="Scanning delayed for some groups",
        message="New scans wait in the queue; results arrive late.",
        workaround="Run the CLI scanner locally until the queue drains.",
        workaround_url="https://docs.example.com/machine/cli",
        component_ids=[scanning.pk, others[0].pk],
        severity="major_outage",
        at=now - timedelta(hours=2, minutes=40),
    )
    services.post_update(
        actor=manager,
        incident=published,
        status="investigating",
        message="Workers restarted; the queue is still not draining.",
        component_statuses={str(others[0].pk): "degraded_performance"},
        at=now - timedelta(hours=2),
    )
    resolved = incident("Reports export times out", timedelta(days=2, hours=5))
    start = now - timedelta(days=2, hours=4)
    services.assign_developer(actor=manager, incident=resolved, developer=developer, at=start)
    services.publish_incident(
        actor=manager,
        incident=resolved,
        name="Exports time out",
        message="Large exports stop after 30 seconds.",
        workaround="Export one month at a time.",
        workaround_url="https://docs.example.com/exports",
        component_ids=[others[1].pk],
        severity="partial_outage",
        at=start + timedelta(minutes=10),
    )
    services.resolve_incident(
        actor=manager,
        incident=resolved,
        message="Exports are resolved.\nThey work normally again.",
        at=start + timedelta(hours=3),
    )
    return Scene(
        report_open, report_below_r1, report_dismissed, confirmed, assigned, published, resolved
    )


def _context(browser: Any, theme: str, viewport: dict[str, int] = DESKTOP, **extra: Any) -> Any:
    return browser.new_context(
        viewport=viewport, color_scheme=theme, reduced_motion="reduce", bypass_csp=True, **extra
    )


def _signed_in(browser: Any, base: str, email: str, theme: str) -> tuple[Any, Any]:
    context = _context(browser, theme)
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, email)
    return context, page


# The main pages, photographed on desktop and phone in both themes.
SHOTS = {
    "login",
    "manager-dashboard",
    "reporter-dashboard",
    "manager-report-form-errors",
    "manager-report-open",
    "manager-incident-assigned",
    "manager-incident-published",
    "manager-incident-resolved",
    "desk-incident-published",
    "manager-incidents",
    "manager-reports",
    "manager-404",
    "manager-publish-errors",
    "login-refused",
    "rules",
}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_every_console_page_has_no_serious_axe_violation(
    theme: str,
    live_server: Any,
    browser: Any,
    screenshots: Path,
    admin_user: User,
    manager: User,
    developer: User,
    desk_member: User,
    reporter: User,
    components: list[Component],
) -> None:
    scene = build_scene(manager, developer, reporter, components)
    base = live_server.url
    checked: list[str] = []
    failures: list[str] = []
    report: dict[str, list[dict[str, Any]]] = {}

    def check(page: Any, name: str, *, status: int | None = None) -> None:
        found = run_axe(page)
        report[name] = [
            {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in found
        ]
        bad = blocking(found)
        if bad:
            failures.append(describe(f"{name} · {theme} · {page.url}", bad))
        checked.append(name)
        base_name, _, _ = name.partition("@")
        if base_name in SHOTS:
            size = "phone" if page.viewport_size["width"] < 600 else "desktop"
            shoot(page, screenshots / f"{base_name}-{size}-{theme}.png")

    def visit(page: Any, name: str, path: str, status: int = 200) -> None:
        response = page.goto(base + path)
        assert response is not None and response.status == status, (name, path, response)
        check(page, name)
        if name in SHOTS:  # the phone layout too: its own header, its own stacking
            page.set_viewport_size(PHONE)
            page.reload()
            check(page, f"{name}@phone")
            page.set_viewport_size(DESKTOP)

    incidents = {
        "confirmed": scene.confirmed,
        "assigned": scene.assigned,
        "published": scene.published,
        "resolved": scene.resolved,
    }

    # Signed out: the login page, then with a wrong password.
    context = _context(browser, theme)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        visit(page, "login", reverse("login"))
        page.get_by_label("E-mail").fill(manager.email)
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Wrong e-mail or password").wait_for()
        check(page, "login-refused")
        visit(page, "rules", "/rules/")
    finally:
        context.close()

    # The incident manager: every page, every state, and forms shown with their errors.
    context, page = _signed_in(browser, base, manager.email, theme)
    try:
        visit(page, "manager-dashboard", reverse("dashboard"))
        visit(page, "manager-report-form", reverse("report_new"))
        page.get_by_role("button", name="File report").click()
        page.get_by_text("Title is required").wait_for()
        check(page, "manager-report-form-errors")
        for name, report_obj in (
            ("open", scene.report_open),
            ("below-r1", scene.report_below_r1),
            ("confirmed", scene.confirmed.report),
            ("dismissed", scene.report_dismissed),
        ):
            visit(page, f"manager-report-{name}", reverse("report_detail", args=[report_obj.pk]))
        for state, incident in incidents.items():
            visit(page, f"manager-incident-{state}", reverse("incident_detail", args=[incident.pk]))
        # Rule chips are links to the rules page: as links they keep their contrast.
        page.goto(base + reverse("incident_detail", args=[scene.published.pk]))
        assert page.locator("a.rule").count() >= 4
        assert page.locator("span.rule").count() == 0
        page.locator("a.rule").first.hover()
        check(page, "manager-incident-rule-links")
        page.goto(base + reverse("incident_detail", args=[scene.assigned.pk]))
        page.get_by_role("button", name="Publish incident").click()
        page.get_by_text("Select at least one affected component").wait_for()
        check(page, "manager-publish-errors")
        visit(page, "manager-incidents", reverse("incident_list"))
        visit(page, "manager-incidents-resolved", reverse("incident_list") + "?status=resolved")
        visit(page, "manager-reports", reverse("report_list"))
        visit(page, "manager-404", reverse("incident_detail", args=[99999]), status=404)
        visit(page, "manager-404-address", "/manage/no/such/page/", status=404)
    finally:
        context.close()

    # A desk member: incidents in every state without the action panels.
    context, page = _signed_in(browser, base, desk_member.email, theme)
    try:
        visit(page, "desk-dashboard", reverse("dashboard"))
        for state, incident in incidents.items():
            visit(page, f"desk-incident-{state}", reverse("incident_detail", args=[incident.pk]))
        visit(page, "desk-report-open", reverse("report_detail", args=[scene.report_open.pk]))
    finally:
        context.close()

    # The other roles' dashboards; a reporter's own reports and the page they may not see.
    for role, user in (("developer", developer), ("admin", admin_user)):
        context, page = _signed_in(browser, base, user.email, theme)
        try:
            visit(page, f"{role}-dashboard", reverse("dashboard"))
        finally:
            context.close()
    context, page = _signed_in(browser, base, reporter.email, theme)
    try:
        visit(page, "reporter-dashboard", reverse("dashboard"))
        visit(page, "reporter-reports", reverse("report_list"))
        visit(page, "reporter-report", reverse("report_detail", args=[scene.report_below_r1.pk]))
        visit(page, "reporter-403", reverse("incident_list"), status=403)
    finally:
        context.close()

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-{theme}.json").write_text(json.dumps(report, indent=2, sort_keys=True))
    assert len(checked) >= 30, checked
    assert not failures, (
        f"axe-core found serious or critical violations ({theme} theme):\n" + "\n".join(failures)
    )


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_skip_link_is_the_first_stop_and_focus_rings_show_on_the_top_bar(
    theme: str, live_server: Any, browser: Any, manager: User, components: list[Component]
) -> None:
    base = live_server.url
    context = _context(browser, theme)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        # Signed out too: the login page starts with the skip link, just before the e-mail
        # field that has the focus when the page opens.
        page.goto(base + reverse("login"))
        assert page.evaluate(f"document.querySelector({FOCUSABLE!r}).textContent") == (
            "Skip to content"
        )
        page.keyboard.press("Shift+Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"

        sign_in(page, base, manager.email)
        page.goto(base + reverse("incident_list"))
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to content")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
        box = skip.bounding_box()
        assert box and box["y"] >= 0 and box["width"] > 40, "the focused skip link is visible"
        _assert_focus_ring(page, "skip link")

        # Following it moves the focus to the content: the next Tab stops inside <main>.
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.closest('main')"), page.evaluate(
            "document.activeElement.outerHTML"
        )

        # Every stop in the top bar shows a ring that stands out from the dark bar.
        page.goto(base + reverse("incident_list"))
        page.keyboard.press("Tab")  # skip link
        stops = []
        for _ in range(8):
            page.keyboard.press("Tab")
            if not page.evaluate("!!document.activeElement.closest('.topbar')"):
                break
            stops.append(_assert_focus_ring(page, "top bar"))
        assert any("Incidents" in s for s in stops) and any("Sign out" in s for s in stops), stops
    finally:
        context.close()


FOCUSABLE = (
    "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex='-1'])"
)


def _rgb(value: str) -> tuple[float, float, float]:
    numbers = [float(n) for n in re.findall(r"[\d.]+", value)[:3]]
    return numbers[0], numbers[1], numbers[2]


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(_rgb(a)), _luminance(_rgb(b))), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _assert_focus_ring(page: Any, where: str) -> str:
    """The focused element's computed outline: solid, at least 2px, 3:1 against what is behind."""
    ring = page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          let back = el.parentElement, bg = 'rgb(255, 255, 255)';
          while (back) {
            const c = getComputedStyle(back).backgroundColor;
            if (c && c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
            back = back.parentElement;
          }
          return {text: el.textContent.trim().replace(/\\s+/g, ' '), style: style.outlineStyle,
                  width: parseFloat(style.outlineWidth), color: style.outlineColor, behind: bg};
        }"""
    )
    label = f"{where}: {ring['text']!r}"
    assert ring["style"] not in ("none", "hidden"), f"{label} has no outline ({ring})"
    assert ring["width"] >= 2, f"{label}: outline {ring['width']}px"
    ratio = contrast(ring["color"], ring["behind"])
    assert ratio >= 3, f"{label}: ring {ring['color']} on {ring['behind']} is {ratio:.2f}:1"
    return str(ring["text"])


ROLES = ("manager", "developer", "desk_member", "reporter", "admin_user")


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_phone_header_shows_every_link_and_the_name_of_each_role(
    theme: str, live_server: Any, browser: Any, request: pytest.FixtureRequest, components: Any
) -> None:
    base = live_server.url
    for fixture in ROLES:
        user: User = request.getfixturevalue(fixture)
        if fixture == "manager":  # a long name: the header must still show it whole
            user.full_name = "Maximiliana Castellanos-Whitfield"
            user.save(update_fields=["full_name"])
        context = _context(browser, theme, PHONE, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            page.goto(base + reverse("login"))
            page.get_by_label("E-mail").fill(user.email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Dashboard").wait_for()
            header = page.locator("header.topbar")
            items = [
                *header.locator("nav a").all(),
                header.locator(".who-name"),
                header.locator(".who-role"),
                header.get_by_role("button", name="Sign out"),
                *header.locator(".topbar-cta").all(),
            ]
            assert len(items) >= 5
            for item in items:
                text = item.inner_text().strip()
                box = item.bounding_box()
                assert box is not None, f"{fixture}: {text!r} is not shown"
                assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (
                    f"{fixture}: {text!r} sticks out of the 390 px screen ({box})"
                )
                clipped = item.evaluate(
                    """el => {
                      for (let n = el; n && n.tagName !== 'HEADER'; n = n.parentElement) {
                        if (n.scrollWidth > n.clientWidth + 1) return n.className || n.tagName;
                      }
                      return '';
                    }"""
                )
                assert not clipped, f"{fixture}: {text!r} is cut off inside .{clipped}"
            assert header.locator(".who-name").inner_text() == user.display_name
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{fixture}: the page is {width}px wide"
            if fixture == "manager":
                shoot(page, Path(ARTIFACTS / "screenshots" / f"phone-header-{theme}.png"))
        finally:
            context.close()
