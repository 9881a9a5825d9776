"""A statusdesk site of its own for tests that need real processes: a var dir, a database (SQLite
file, or a PostgreSQL database of its own when the test run is on PostgreSQL or the test asks for
one with `Site(root, postgres=True)`), a queue (SQLite under the var dir, or Redis), and the
`statusdesk` CLI to run its commands and start its workers.

The site uses the tests' settings (tests.settings: the second app, tests.noticeboard, is
installed) with the real queue (STATUSDESK_TEST_QUEUE=real).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection

REPO = Path(__file__).resolve().parents[1]
# The server a site forced onto PostgreSQL uses when the test run itself is on SQLite (the same
# default as the Makefile's PostgreSQL pass).
POSTGRES_URL = os.environ.get(
    "STATUSDESK_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
)


def wait_for(condition: Callable[[], Any], *, timeout: float = 30, what: str = "condition") -> Any:
    """Poll `condition` until it returns something true, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def postgres_admin_params() -> dict[str, Any]:
    """How to reach the PostgreSQL server as its administrator: the test run's own connection
    when the run is on PostgreSQL, else STATUSDESK_TEST_POSTGRES_URL's server."""
    if connection.vendor == "postgresql":
        params = connection.get_connection_params()
        for key in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(key, None)
    else:
        from urllib.parse import urlsplit

        url = urlsplit(POSTGRES_URL)
        params = {
            "user": url.username or "postgres",
            "host": url.hostname or "127.0.0.1",
            "port": url.port or 5432,
        }
        if url.password:
            params["password"] = url.password
    params["dbname"] = "postgres"
    return params


def require_postgres() -> None:
    """A test that needs PostgreSQL whatever the run's database: a skip when the server does not
    answer, a failure when STATUSDESK_REQUIRE_SERVICES=1 (CI)."""
    import psycopg

    from tests.conftest import missing

    try:
        psycopg.connect(**postgres_admin_params(), connect_timeout=3).close()
    except Exception as exc:
        missing(f"PostgreSQL does not answer ({POSTGRES_URL}): {exc}")


class Site:
    def __init__(self, root: Path, *, postgres: bool = False) -> None:
        """A site on the test run's database engine, or on PostgreSQL whatever the run's engine
        with `postgres=True` (a database of its own, dropped by close())."""
        self.root = root
        self.var = root / "var"
        self.var.mkdir(parents=True, exist_ok=True)
        self.logs = root / "logs"
        self.logs.mkdir(exist_ok=True)
        self.queue_prefix = f"statusdesk-test-{uuid.uuid4().hex[:12]}"
        self.redis_urls: set[str] = set()
        self.vendor = "postgresql" if postgres else connection.vendor
        self.pg_name: str | None = None
        if self.vendor == "postgresql":
            if connection.vendor == "postgresql":
                prefix = connection.settings_dict["NAME"]
            else:
                prefix = f"test_statusdesk_{os.getpid()}"
            self.pg_name = f"{prefix}_site_{uuid.uuid4().hex[:8]}"
            self._pg_admin(f'CREATE DATABASE "{self.pg_name}"')
            admin = postgres_admin_params()
            user = admin.get("user") or "postgres"
            host = admin.get("host") or "127.0.0.1"
            port = admin.get("port") or 5432
            self.database_url = f"postgres://{user}@{host}:{port}/{self.pg_name}"
        else:
            self.database_url = f"sqlite:///{self.var / 'statusdesk.sqlite3'}"
        self.processes: list[subprocess.Popen[bytes]] = []

    # --- environment and commands ----------------------------------------------------------

    def env(self, **extra: str | None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTEST_VERSION"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="tests.settings",
            STATUSDESK_TEST_QUEUE="real",
            STATUSDESK_VAR_DIR=str(self.var),
            STATUSDESK_QUEUE_NAME=self.queue_prefix,
            DATABASE_URL=self.database_url,
            PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "src")]),
            PYTHONUNBUFFERED="1",
        )
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def queue(self, label: str, redis_url: str | None = None) -> dict[str, str | None]:
        """The environment of a queue of its own (SQLite under the var dir, or Redis), so that
        one test's lost tasks never reach another test's workers."""
        if redis_url:
            self.redis_urls.add(redis_url)
        return {"STATUSDESK_QUEUE_NAME": f"{self.queue_prefix}-{label}", "REDIS_URL": redis_url}

    def run(
        self, *args: str, timeout: float = 120, **env: str | None
    ) -> subprocess.CompletedProcess[str]:
        """Run `statusdesk <args>` to the end, whatever its exit status; its outputs."""
        return subprocess.run(
            [sys.executable, "-m", "statusdesk.cli", *args],
            cwd=self.root,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def cli(self, *args: str, timeout: float = 120, **env: str | None) -> str:
        """Run `statusdesk <args>` to the end; its output, or a failure with its output."""
        done = self.run(*args, timeout=timeout, **env)
        if done.returncode != 0:
            command = " ".join(args)
            raise AssertionError(
                f"statusdesk {command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done.stdout

    def python(self, code: str, **env: str | None) -> str:
        """Run Python in a `statusdesk shell` of the site (a process of its own, like a request)."""
        return self.cli("shell", "--no-imports", "-c", code, **env)

    def start(self, *args: str, name: str, **env: str | None) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "statusdesk.cli", *args],
            cwd=self.root,
            env=self.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start_worker(self, name: str, **env: str | None) -> subprocess.Popen[bytes]:
        return self.start("worker", name=name, **env)

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no clean-up, no goodbye, as when a machine or the OOM killer stops it."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    @staticmethod
    def stop(process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    # --- reading the site's database -------------------------------------------------------

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(self.database_url, autocommit=True) as db:
                return list(db.execute(query.replace("?", "%s"), params).fetchall())
        with sqlite3.connect(self.var / "statusdesk.sqlite3", timeout=20) as db:
            return list(db.execute(query, params).fetchall())

    def value(self, query: str, *params: Any) -> Any:
        rows = self.sql(query, *params)
        return rows[0][0] if rows else None

    def tables(self) -> list[str]:
        """The names of the site's tables (SQLite's own and PostgreSQL's catalogs left out)."""
        if self.vendor == "postgresql":
            query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        else:
            query = (
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY 1"
            )
        return [row[0] for row in self.sql(query)]

    def row_counts(self) -> dict[str, int]:
        """Every table of the site with its number of rows."""
        return {
            table: int(self.value(f'SELECT COUNT(*) FROM "{table}"')) for table in self.tables()
        }

    def event_log(self) -> list[tuple[Any, ...]]:
        """The event log in id order: (id, kind, subject, at, recorded_at, actor, data, every
        subject key), as the database holds it."""
        subjects: dict[int, list[str]] = {}
        for event_id, key in self.sql(
            "SELECT event_id, key FROM core_eventsubject ORDER BY event_id, key"
        ):
            subjects.setdefault(event_id, []).append(key)
        rows = self.sql(
            "SELECT id, kind, subject, at, recorded_at, actor_id, data FROM core_event ORDER BY id"
        )
        return [(*row, tuple(subjects.get(row[0], ()))) for row in rows]

    # --- clean-up ---------------------------------------------------------------------------

    def close(self) -> None:
        # Each process leads a session of its own (start_new_session): signalling the group also
        # reaches what it started, such as the worker of `serve --with-worker`, which a kill of
        # the serve process alone would leave running.
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        if self.pg_name:
            self._pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
        for url in self.redis_urls:
            import redis

            client = redis.Redis.from_url(url)
            # Huey names its keys after the queue's name without the dashes.
            keys = list(client.scan_iter(f"*{self.queue_prefix}*"))
            keys += client.scan_iter(f"*{re.sub('[^A-Za-z0-9_]', '', self.queue_prefix)}*")
            if keys:
                client.delete(*keys)

    @staticmethod
    def _pg_admin(statement: str) -> None:
        import psycopg

        with psycopg.connect(**postgres_admin_params(), autocommit=True) as db:
            db.execute(statement)


@contextmanager
def a_site(root: Path, *, migrated: bool = True) -> Iterator[Site]:
    """A site of its own, migrated (or, `migrated=False`, an empty database: no table at all)."""
    site = Site(root)
    try:
        if migrated:
            site.cli("migrate", "--noinput", "-v", "0")
        yield site
    finally:
        site.close()
