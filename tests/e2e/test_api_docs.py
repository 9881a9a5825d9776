"""The API docs page in a real browser: Swagger UI renders from the vendored files, under the
Content-Security-Policy, without a request to any other host."""

from __future__ import annotations

from typing import Any

import pytest

from statusdesk.api import api
from tests.e2e.conftest import DESKTOP, ConsoleWatch

pytestmark = [pytest.mark.e2e]


@pytest.mark.usefixtures("transactional_db")
def test_docs_page_renders_every_operation_in_a_browser_under_the_policy(
    live_server: Any, browser: Any
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=DESKTOP)
    console = ConsoleWatch(context, live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/api/v1/docs")
        expect(page.get_by_role("heading", name="statusdesk API")).to_be_visible()
        operations = sum(len(ops) for ops in api.get_openapi_schema()["paths"].values())
        expect(page.locator(".opblock")).to_have_count(operations)
        page.locator("[id$=report_problem] .opblock-summary").click()
        expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    finally:
        context.close()
    assert not console.problems, "\n".join(console.problems)
