"""Browser tests' helpers: pages against `live_server`, the console watch, screenshots, sign-in.

The browser itself (`browser`, one per test session, shared with tests/cluster) is in
tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.urls import reverse

from tests.conftest import PASSWORD

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


# Every Content-Security-Policy violation is also written to the console, with what was blocked.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class ConsoleWatch:
    """What a browser context's pages complained about: CSP violations, errors written to the
    console, uncaught exceptions, and requests to any other host than the server under test.

    A refused form (an HTTP 4xx that htmx swaps in on purpose) is not a complaint; chromium logs
    it as "Failed to load resource", which is left out."""

    def __init__(self, context: Any, base_url: str) -> None:
        self.problems: list[str] = []
        self.base_url = base_url
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("page", self._watch)
        context.on("request", self._request)
        for page in context.pages:
            self._watch(page)

    def _watch(self, page: Any) -> None:
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))

    def _console(self, page: Any, message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        if text.startswith("Failed to load resource: the server responded with a status of 4"):
            return
        self.problems.append(f"{page.url}: {text}")

    def _request(self, request: Any) -> None:
        url = request.url
        if not (url.startswith(self.base_url) or url.startswith("data:")):
            self.problems.append(f"request to another host: {url}")


def sign_in(page: Any, base_url: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(base_url + reverse("login"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def shoot(page: Any, path: Path) -> None:
    """A full-page screenshot from the top (the sticky top bar stays at the top)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)
