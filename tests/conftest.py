"""Shared fixtures. Real components only: SQLite or PostgreSQL, a real browser.

With STATUSDESK_REQUIRE_SERVICES=1 (set by .ci/run) a missing service fails the run instead of
skipping the tests that need it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from django.db import connection

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import Role
from statusdesk.accounts.services import ensure_user
from statusdesk.incidents import services
from statusdesk.incidents.components import ensure_default_components
from statusdesk.incidents.models import Component, Incident, Report
from tests.factories import a_report, confirmation_fields, publication, resolution_fields

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = os.environ.get("STATUSDESK_REQUIRE_SERVICES") == "1"
PASSWORD = "correct-horse-battery"


# Fixtures through which a test reaches the database (pytest-django's).
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the database (make test's second pass, on PostgreSQL: "
        "a test that never touches the database gives the same answer on either, and ran in "
        "the first pass)",
    )


def uses_database(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(fixtures & DATABASE_FIXTURES)


def deselect(
    config: pytest.Config, items: list[pytest.Item], keep: Callable[[pytest.Item], bool]
) -> None:
    """Keep the items `keep` accepts; the others are reported as deselected (not skipped)."""
    config.hook.pytest_deselected(items=[item for item in items if not keep(item)])
    items[:] = [item for item in items if keep(item)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With --database-tests-only, the tests that never use the database are deselected. On a
    SQLite run, the tests marked `postgres` are deselected (never skipped: make test's PostgreSQL
    pass runs them). On a PostgreSQL run, a database that does not answer skips everything (fails
    in CI)."""
    if config.getoption("database_tests_only"):
        deselect(config, items, uses_database)
    if connection.vendor != "postgresql":
        deselect(config, items, lambda item: item.get_closest_marker("postgres") is None)
        return
    try:
        import psycopg

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params.pop("prepare_threshold", None)
        psycopg.connect(**params, connect_timeout=3).close()
    except Exception as exc:
        if REQUIRE_SERVICES:
            raise pytest.UsageError(
                f"PostgreSQL is required (STATUSDESK_REQUIRE_SERVICES=1) but unreachable: {exc}"
            ) from exc
        skip = pytest.mark.skip(reason=f"PostgreSQL unreachable: {exc}")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _no_public_snapshot_yet() -> None:
    """Each test starts with an empty cache and no snapshot in memory (in the tests the cache is
    the process's own: tests/settings.py), so no test sees another's status page."""
    from django.core.cache import cache

    from statusdesk.statuspage.snapshot import forget_local

    cache.clear()
    forget_local()


@pytest.fixture
def components(db: None) -> list[Component]:
    ensure_default_components()
    return list(Component.objects.order_by("position"))


def _user(email: str, role: Role) -> User:
    user, _ = ensure_user(
        email, role=role, full_name=email.split("@")[0].title(), password=PASSWORD
    )
    return user


@pytest.fixture
def admin_user(db: None) -> User:
    return _user("admin@example.com", Role.ADMINISTRATOR)


@pytest.fixture
def manager(db: None) -> User:
    return _user("manager@example.com", Role.INCIDENT_MANAGER)


@pytest.fixture
def developer(db: None) -> User:
    return _user("developer@example.com", Role.DEVELOPER)


@pytest.fixture
def desk_member(db: None) -> User:
    return _user("desk1@example.com", Role.DESK_MEMBER)


@pytest.fixture
def reporter(db: None) -> User:
    return _user("reporter@example.com", Role.REPORTER)


# --- a report and an incident in each state (tests/factories.py builds them) -------------------
# One scenario: the scanning queue stalls, the Scanning and Agent components are hit.


@pytest.fixture
def open_report(manager: User, components: list[Component]) -> Report:
    return a_report(
        manager,
        title="Scanning jobs stay queued",
        description="Machine executions wait in the queue for over an hour.",
        reporter="help@example.com",
        could_affect_two_or_more=False,
    )


@pytest.fixture
def single_user_report(reporter: User, components: list[Component]) -> Report:
    return a_report(
        reporter,
        title="Extension shows an old version",
        users_affected=1,
        could_affect_two_or_more=False,
        reporter="rita",
    )


@pytest.fixture
def confirmed(manager: User, open_report: Report) -> Incident:
    fields = confirmation_fields(
        issue_title="Machine queue stalled",
        issue_description="The batch queue has not drained since 06:10.",
    )
    return services.confirm_incident(actor=manager, report=open_report, **fields)


@pytest.fixture
def assigned(manager: User, developer: User, confirmed: Incident) -> Incident:
    return services.assign_developer(actor=manager, incident=confirmed, developer=developer)


@pytest.fixture
def published(manager: User, assigned: Incident, components: list[Component]) -> Incident:
    fields = publication(
        components,
        name="Scanning delayed for some groups",
        message="New scans wait in the queue; results arrive late.",
        workaround="Run the CLI scanner locally.",
        workaround_url="https://docs.example.com/machine/cli",
        component_ids=[components[5].pk, components[3].pk],  # Scanning, Agent
    )
    return services.publish_incident(actor=manager, incident=assigned, **fields)


@pytest.fixture
def resolved(manager: User, published: Incident) -> Incident:
    return services.resolve_incident(actor=manager, incident=published, **resolution_fields())


def missing(message: str) -> NoReturn:
    """A service or a program a test needs is missing: a skip, or a failure when
    STATUSDESK_REQUIRE_SERVICES=1 (as in CI, where everything is installed and running)."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}; required because STATUSDESK_REQUIRE_SERVICES=1")
    pytest.skip(message)


def require_program(path: str, what: str) -> None:
    """A program the test needs (Debian's nginx, gettext's msgfmt): a skip without it, a failure
    when STATUSDESK_REQUIRE_SERVICES=1 (as in CI, which installs them)."""
    if shutil.which(path) is not None:
        return
    missing(f"{what} ({path}) is not installed")


REDIS_URL = os.environ.get("STATUSDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis server that answers (STATUSDESK_TEST_REDIS_URL), or a skip (a failure in CI)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        missing(f"Redis at {REDIS_URL} does not answer: {exc}")
    return REDIS_URL


# --- the browser: Playwright (sync API) driving Debian's chromium -------------------------------
# One per test session, for tests/e2e and tests/cluster alike (Playwright's sync API runs one at a
# time: a second one started while the first is open fails). `playwright install` is never used;
# without /usr/bin/chromium the browser tests skip, or fail when STATUSDESK_REQUIRE_SERVICES=1.

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() or not os.access(CHROMIUM, os.X_OK):
        missing(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
