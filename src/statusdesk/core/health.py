"""Health of the two things statusdesk cannot work without: the database and the queue.

/healthz is public, so an answer names what failed and the kind of error, never the driver's
message (which may carry host names, users or paths); the full error goes to the log."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connections

log = logging.getLogger(__name__)


def database_health(alias: str = "default") -> dict[str, Any]:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        log.error("health: database %r does not answer: %s", alias, exc)
        return {"status": "error", "vendor": connection.vendor, "error": type(exc).__name__}
    return {"status": "ok", "vendor": connection.vendor}


def queue_health(huey: Any = None) -> dict[str, Any]:
    if huey is None:
        from huey.contrib import djhuey

        huey = djhuey.HUEY
    backend = type(huey).__name__
    try:
        pending = huey.pending_count()
    except Exception as exc:  # any storage error means "down"
        log.error("health: queue %s does not answer: %s", backend, exc)
        return {"status": "error", "backend": backend, "error": type(exc).__name__}
    return {"status": "ok", "backend": backend, "pending": pending}


def health() -> tuple[bool, dict[str, Any]]:
    database = database_health()
    queue = queue_health()
    ok = database["status"] == "ok" and queue["status"] == "ok"
    return ok, {"status": "ok" if ok else "error", "database": database, "queue": queue}
