"""The public pages in a real browser: the status page, the Incidents Page and one incident, on a
desktop (1280) and a phone (390), in the light and the dark theme, in English and Spanish, checked
with axe-core (no serious or critical violation). Screenshots go to test-artifacts/screenshots/
(status-*, history-*, incident-*) for a person to look at.

Also what a visitor does with their hands: a day of an uptime bar shows its details on keyboard
focus (the arrows move between days) and on a tap on a phone; the language switcher.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from statusdesk.accounts.models import User
from statusdesk.incidents.models import Component
from tests.e2e.a11y import blocking, describe, run_axe
from tests.e2e.conftest import DESKTOP, PHONE, ConsoleWatch, shoot
from tests.factories import a_status_page_history

pytestmark = [pytest.mark.e2e]

THEMES = ("light", "dark")
LANGUAGES = ("en", "es")
# What the banner and the page say, per language: the page is really translated.
WORDS = {
    "en": {"history": "Incident history", "banner": "Partial System Outage"},
    "es": {
        "history": "Historial de incidentes",
        "banner": "Interrupción parcial del sistema",
        "today": "Hoy",
    },
}


def _shown(tip: Any) -> bool:
    """A day's details are always its accessible name; shown, they are a tip a person can read."""
    box = tip.bounding_box()
    return box is not None and box["width"] > 40 and box["height"] > 20


def _context(browser: Any, theme: str, language: str, **extra: Any) -> Any:
    extra.setdefault("viewport", DESKTOP)
    return browser.new_context(
        color_scheme=theme,
        reduced_motion="reduce",
        locale="es-ES" if language == "es" else "en-US",
        extra_http_headers={"Accept-Language": language},
        **extra,
    )


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_public_pages_on_desktop_and_phone_in_both_languages_have_no_serious_axe_violation(
    theme: str,
    live_server: Any,
    browser: Any,
    screenshots: Path,
    manager: User,
    developer: User,
    components: list[Component],
) -> None:
    from playwright.sync_api import expect

    scene = a_status_page_history(manager, developer, components)
    base = live_server.url
    pages = {
        "status": reverse("statuspage:status_page"),
        "history": reverse("statuspage:incidents"),
        "incident": reverse("statuspage:incident", args=[scene["active"].pk]),
    }
    failures: list[str] = []
    for language in LANGUAGES:
        # axe is injected into the page: its context skips the CSP; a second context keeps the
        # CSP and watches that nothing is blocked.
        context = _context(browser, theme, language, bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            for name, path in pages.items():
                response = page.goto(base + path)
                assert response is not None and response.status == 200, (name, response)
                assert page.evaluate("document.documentElement.lang") == language
                expect(
                    page.get_by_role("link", name=WORDS[language]["history"]).first
                ).to_be_visible()
                for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                    page.set_viewport_size(viewport)
                    page.reload()
                    bad = blocking(run_axe(page))
                    if bad:
                        failures.append(describe(f"{name} · {size} · {theme} · {language}", bad))
                    width = page.evaluate("document.documentElement.scrollWidth")
                    assert width <= viewport["width"], f"{name} {size}: {width}px wide"
                    shoot(page, screenshots / f"{name}-{size}-{theme}-{language}.png")
                page.set_viewport_size(DESKTOP)
        finally:
            context.close()
    assert not failures, "axe-core found serious or critical violations:\n" + "\n".join(failures)

    # With the Content-Security-Policy on: nothing blocked, no error, nothing from elsewhere.
    context = _context(browser, theme, "en")
    watch = ConsoleWatch(context, base)
    page = context.new_page()
    try:
        for path in reversed(pages.values()):
            page.goto(base + path)
        page.locator(".sp-day").last.focus()  # the status page, last
    finally:
        context.close()
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_a_day_of_the_uptime_bar_shows_its_details_on_focus_arrows_and_tap(
    live_server: Any,
    browser: Any,
    screenshots: Path,
    manager: User,
    developer: User,
    components: list[Component],
) -> None:
    from playwright.sync_api import expect

    a_status_page_history(manager, developer, components)
    base = live_server.url
    context = _context(browser, "light", "en")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(base + reverse("statuspage:status_page"))
        # The banner and the active incident with its workaround and documentation link.
        expect(page.get_by_test_id("banner")).to_contain_text("Partial System Outage")
        card = page.get_by_test_id("incident-card").first
        expect(card).to_contain_text("Scans wait in the queue")
        expect(card).to_contain_text("Run the CLI scanner locally")
        expect(card.get_by_role("link", name="Read the documentation")).to_have_attribute(
            "href", "https://docs.example.com/machine/cli"
        )

        # The keyboard: the skip link first, then the header (every stop with a visible ring),
        # then the page.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
        stops = []
        for _ in range(6):
            page.keyboard.press("Tab")
            ring = page.evaluate(
                "(() => { const s = getComputedStyle(document.activeElement);"
                " return [document.activeElement.textContent.trim(), s.outlineStyle,"
                " parseFloat(s.outlineWidth)]; })()"
            )
            assert ring[1] not in ("none", "hidden") and ring[2] >= 2, ring
            stops.append(ring[0])
        assert stops[:3] == ["statusdesk", "Status", "Incident history"], stops
        assert any(stop.startswith("ES") for stop in stops), stops

        # One Tab stop per bar: today's day; its details show, the arrows move to other days.
        scanning = page.get_by_test_id("component").filter(has_text="Scanning")
        today = scanning.locator(".sp-day").last
        today.focus()
        tip = today.locator(".sp-tip")
        assert _shown(tip)
        expect(tip).to_contain_text("Scans wait in the queue")
        shoot(page, screenshots / "status-tip-desktop.png")
        page.keyboard.press("ArrowLeft")
        yesterday = scanning.locator(".sp-day").nth(-2)
        expect(yesterday).to_be_focused()
        assert _shown(yesterday.locator(".sp-tip")) and not _shown(tip)
        assert yesterday.get_attribute("tabindex") == "0"
        assert today.get_attribute("tabindex") == "-1"
        page.keyboard.press("Escape")
        assert not _shown(yesterday.locator(".sp-tip"))
    finally:
        context.close()

    # A phone: the last 30 days, a tap shows a day.
    context = _context(browser, "dark", "es", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(base + reverse("statuspage:status_page"))
        scanning = page.get_by_test_id("component").filter(has_text="Scanning")
        days = scanning.locator(".sp-day")
        shown = [d for d in days.all() if d.is_visible()]
        assert len(shown) == 30
        today = shown[-1]
        today.tap()
        assert _shown(today.locator(".sp-tip"))
        expect(today.locator(".sp-tip")).to_contain_text("Scans wait in the queue")
        box = today.locator(".sp-tip").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        shoot(page, screenshots / "status-tip-phone.png")
    finally:
        context.close()


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_the_language_switcher_and_the_incidents_page_filters(
    live_server: Any,
    browser: Any,
    manager: User,
    developer: User,
    components: list[Component],
) -> None:
    from playwright.sync_api import expect

    a_status_page_history(manager, developer, components)
    base = live_server.url
    context = _context(browser, "light", "en")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(base + reverse("statuspage:incidents"))
        rows = page.get_by_test_id("history-incident")
        expect(rows).to_have_count(4)
        page.get_by_label("Severity").select_option("major_outage")
        page.get_by_role("button", name="Filter").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Web console unavailable")
        assert "severity=major_outage" in page.url

        # Español: the same address, the same filters, in Spanish, until switched back.
        page.get_by_role("button", name="ES Español").click()
        expect(page.get_by_role("heading", name="Historial de incidentes")).to_be_visible()
        assert "severity=major_outage" in page.url
        expect(rows).to_have_count(1)
        page.goto(base + reverse("statuspage:status_page"))
        expect(page.get_by_test_id("banner")).to_contain_text(WORDS["es"]["banner"])
        page.get_by_role("button", name="EN English").click()
        expect(page.get_by_test_id("banner")).to_contain_text(WORDS["en"]["banner"])
    finally:
        context.close()
