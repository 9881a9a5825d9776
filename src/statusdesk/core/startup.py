"""Start-up that several processes can share: one lock around migrating, collecting the static
files and seeding, so that processes started together do that work once, never half each.

- On PostgreSQL: a session advisory lock (`pg_advisory_lock`) on a fixed key, held on a connection
  of its own (not Django's, which a pool may lend to others). Advisory keys belong to one database,
  so two sites on one server do not wait for each other. A process that dies loses its connection
  and with it the lock.
- On SQLite (one machine): `flock` on `startup.lock` in the var directory; the kernel releases it
  when the process dies.

The first process takes the lock and does the work; the others wait for it, then take it in turn
and find nothing left to do (`migrate` says "No migrations to apply", `seed-demo` adds nothing).
Re-entrant within a process: `statusdesk prepare` holds it while it runs `migrate`, which takes it
again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

# pg_advisory_lock's key: "statusdesk" in ASCII, a fixed 64-bit number.
ADVISORY_KEY = int.from_bytes(b"statdesk", "big") & 0x7FFF_FFFF_FFFF_FFFF
LOCK_FILE = "startup.lock"
# How long a waiter waits for the process that holds the lock (a long migration) before it gives up.
WAIT_SECONDS = 15 * 60
POLL_SECONDS = 0.2


class StartupLockTimeout(Exception):
    pass


_held = threading.local()


def _try_pg(db: Any) -> bool:
    return bool(db.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()[0])


def pg_connect_params(alias: str = "default") -> dict[str, Any]:
    """psycopg.connect's arguments for the database Django uses (without Django's own)."""
    params = dict(connections[alias].get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    return params


def _pg_connection(alias: str) -> Any:
    import psycopg

    return psycopg.connect(**pg_connect_params(alias), autocommit=True)


def _wait(try_lock: Callable[[], bool], wait: float, announce: Callable[[str], None]) -> None:
    if try_lock():
        return
    announce("statusdesk: another process is preparing the site (start-up lock); waiting")
    deadline = time.monotonic() + wait
    while not try_lock():
        if time.monotonic() > deadline:
            raise StartupLockTimeout(
                f"gave up after {wait:.0f} s waiting for the start-up lock: another statusdesk "
                "migrate, seed-demo or prepare still holds it (is one stuck?)"
            )
        time.sleep(POLL_SECONDS)


def lock_description(alias: str = "default") -> str:
    if connections[alias].vendor == "postgresql":
        return f"PostgreSQL advisory lock {ADVISORY_KEY}"
    return f"flock on {Path(settings.VAR_DIR) / LOCK_FILE}"


@contextlib.contextmanager
def startup_lock(
    alias: str = "default",
    *,
    wait: float = WAIT_SECONDS,
    announce: Callable[[str], None] = lambda message: None,
) -> Iterator[None]:
    """Hold the site's start-up lock (waiting up to `wait` seconds for another process)."""
    depth = getattr(_held, "depth", 0)
    if depth:
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    if connections[alias].vendor == "postgresql":
        db = _pg_connection(alias)
        try:
            _wait(lambda: _try_pg(db), wait, announce)
            _held.depth = 1
            try:
                yield
            finally:
                _held.depth = 0
                db.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))
        finally:
            db.close()
        return
    path = Path(settings.VAR_DIR) / LOCK_FILE
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:

        def try_flock() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        _wait(try_flock, wait, announce)
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
