"""Two browsers on one desk thread, live: the Incident Manager and the assigned developer each
post and each sees the other's message appear without reloading (a real `statusdesk serve` with
its worker: uvicorn speaks the websocket, the worker writes the kickoff). Screenshots in
test-artifacts/screenshots/desk-*.png."""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import blocking, describe, run_axe
from tests.processes import a_site, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

START_SECONDS = 60
DEMO_PASSWORD = "desk-e2e-password"

ASSIGN = """
from statusdesk.accounts.models import User
from statusdesk.incidents import services
m = User.objects.get(email="manager@example.com")
d = User.objects.get(email="developer@example.com")
r = services.report_problem(actor=m, title="Exports time out", description="CSV exports fail.",
    reporter="help@example.com", medium="email", detection="reactive", users_affected=4,
    could_affect_two_or_more=True)
i = services.confirm_incident(actor=m, report=r, issue_title="Exports time out",
    issue_description="The export job exceeds 30 s for large groups.")
services.assign_developer(actor=m, incident=i, developer=d)
print(i.pk)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _sign_in(page: Any, base: str, email: str) -> None:
    page.goto(base + "/manage/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_manager_and_developer_see_each_others_messages_live(
    browser: Any, tmp_path: Path, screenshots: Path
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with a_site(tmp_path) as site:
        env = {"STATUSDESK_DEMO_PASSWORD": DEMO_PASSWORD, "STATUSDESK_PUBLIC_URL": base}
        site.cli("seed-demo", "--quiet", "--no-history", **env)
        site.start("serve", "--with-worker", "--port", str(port), name="serve", **env)
        wait_for(lambda: _answers(base + "/healthz"), timeout=START_SECONDS, what="serve")
        incident_id = int(site.python(ASSIGN, **env).strip())
        wait_for(
            lambda: site.value("SELECT count(*) FROM desk_message WHERE kind = 'kickoff'"),
            timeout=START_SECONDS,
            what="the kickoff post",
        )
        thread = f"{base}/manage/incidents/{incident_id}/thread/"
        pages = {}
        for email in ("manager@example.com", "developer@example.com"):
            context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
            page = context.new_page()
            _sign_in(page, base, email)
            page.goto(thread)
            expect(page.get_by_test_id("desk-messages")).to_contain_text("Kickoff")
            expect(page.get_by_test_id("desk-thread")).to_have_attribute("data-live", "open")
            pages[email] = page
        manager, developer = pages["manager@example.com"], pages["developer@example.com"]

        manager.get_by_label("Message").fill("Any news on the exports, @developer?")
        manager.get_by_role("button", name="Post").click()
        expect(developer.get_by_test_id("desk-messages")).to_contain_text(
            "Any news on the exports", timeout=10_000
        )
        developer.get_by_label("Message").fill("Found it: **the query has no index**. Fix soon.")
        developer.get_by_role("button", name="Post").click()
        expect(manager.get_by_test_id("desk-messages")).to_contain_text(
            "the query has no index", timeout=10_000
        )
        # Each message once, in both browsers; the Markdown is rendered.
        for page in (manager, developer):
            expect(page.locator(".desk-message")).to_have_count(3)
            expect(
                page.locator(".desk-message strong", has_text="the query has no index")
            ).to_be_visible()
        found = blocking(run_axe(manager))
        assert not found, describe("the desk thread", found)
        manager.screenshot(path=screenshots / "desk-thread-manager.png", full_page=True)
        developer.screenshot(path=screenshots / "desk-thread-developer.png", full_page=True)
        manager.goto(base + "/manage/desk/")
        expect(manager.get_by_test_id("desk-incidents")).to_contain_text(f"INC-{incident_id}")
        found = blocking(run_axe(manager))
        assert not found, describe("the desk page", found)
        manager.screenshot(path=screenshots / "desk-page.png", full_page=True)
        # A phone: the thread still reads and the form still fits.
        developer.set_viewport_size({"width": 390, "height": 844})
        developer.reload()
        expect(developer.get_by_test_id("desk-messages")).to_contain_text("the query has no index")
        developer.screenshot(path=screenshots / "desk-thread-phone.png", full_page=True)
        for page in (manager, developer):
            page.context.close()
