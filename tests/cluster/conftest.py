"""The browser fixtures of the e2e tests (Debian's chromium through Playwright), shared here."""

from tests.e2e.conftest import browser, screenshots  # noqa: F401
