"""PostgreSQL connections come from a pool per process (STATUSDESK_DB_POOL_MAX), not one kept per
thread: under ASGI every request has a thread of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

REPO = Path(__file__).resolve().parents[2]


def database_settings(tmp_path: Path, **env: str) -> dict:
    """The DATABASES["default"] that statusdesk.settings builds from this environment."""
    code = (
        "import json, statusdesk.settings as s; "
        "d = s.DATABASES['default']; "
        "print(json.dumps({'CONN_MAX_AGE': d['CONN_MAX_AGE'], 'OPTIONS': d.get('OPTIONS', {})}))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STATUSDESK_DB_")}
    environment.update(STATUSDESK_VAR_DIR=str(tmp_path), PYTHONPATH=str(REPO / "src"), **env)
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_postgresql_gets_a_pool_of_the_configured_size(tmp_path: Path) -> None:
    found = database_settings(
        tmp_path,
        DATABASE_URL="postgres://someone@127.0.0.1:5432/somewhere",
        STATUSDESK_DB_POOL_MAX="7",
        STATUSDESK_DB_POOL_TIMEOUT="12",
    )
    assert found["CONN_MAX_AGE"] == 0  # Django requires it with a pool
    assert found["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 7, "timeout": 12.0}


def test_the_pool_defaults_to_ten_connections(tmp_path: Path) -> None:
    found = database_settings(tmp_path, DATABASE_URL="postgres://someone@127.0.0.1:5432/db")
    assert found["OPTIONS"]["pool"]["max_size"] == 10


def test_a_pool_size_of_zero_turns_the_pool_off(tmp_path: Path) -> None:
    found = database_settings(
        tmp_path,
        DATABASE_URL="postgres://someone@127.0.0.1:5432/somewhere",
        STATUSDESK_DB_POOL_MAX="0",
    )
    assert "pool" not in found["OPTIONS"]
    assert found["CONN_MAX_AGE"] == 60


def test_sqlite_has_no_pool(tmp_path: Path) -> None:
    found = database_settings(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert "pool" not in found["OPTIONS"]


def test_a_pool_size_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as refused:
        database_settings(
            tmp_path,
            DATABASE_URL="postgres://someone@127.0.0.1:5432/somewhere",
            STATUSDESK_DB_POOL_MAX="many",
        )
    assert "STATUSDESK_DB_POOL_MAX must be a whole number" in refused.value.stderr


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_threads_borrow_from_the_pool_and_give_their_connections_back() -> None:
    """Three times as many threads as the pool holds, each a request: query, then close (what
    Django does when a request finishes). None opens a connection of its own beyond the pool."""
    pool = connection.pool
    assert pool is not None
    assert pool.max_size == settings.DB_POOL_MAX
    pool.pop_stats()
    barrier = threading.Barrier(3 * pool.max_size)
    answers: list[int] = []
    failures: list[BaseException] = []

    def request() -> None:
        try:
            barrier.wait(timeout=30)
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT 1")
                answers.append(cursor.fetchone()[0])
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections["default"].close()  # back to the pool

    threads = [threading.Thread(target=request) for _ in range(barrier.parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert answers == [1] * barrier.parties
    stats = pool.get_stats()
    assert stats["pool_size"] <= pool.max_size
    assert stats.get("connections_num", 0) <= pool.max_size
