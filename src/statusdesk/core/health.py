"""Health of the two things statusdesk cannot work without: the database and the queue."""

from __future__ import annotations

from typing import Any

from django.db import connections


def database_health(alias: str = "default") -> dict[str, Any]:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the message says which
        return {"status": "error", "vendor": connection.vendor, "error": str(exc)[:300]}
    return {"status": "ok", "vendor": connection.vendor}


def queue_health(huey: Any = None) -> dict[str, Any]:
    if huey is None:
        from huey.contrib import djhuey

        huey = djhuey.HUEY
    backend = type(huey).__name__
    try:
        pending = huey.pending_count()
    except Exception as exc:
        return {"status": "error", "backend": backend, "error": str(exc)[:300]}
    return {"status": "ok", "backend": backend, "pending": pending}


def health() -> tuple[bool, dict[str, Any]]:
    database = database_health()
    queue = queue_health()
    ok = database["status"] == "ok" and queue["status"] == "ok"
    return ok, {"status": "ok" if ok else "error", "database": database, "queue": queue}
