"""The log's lines: readable text by default, a JSON object a line with STATUSDESK_LOG_FORMAT=json.

Two kinds of line carry fields of their own besides the message (`extra={"fields": {...}}`):

- `statusdesk.requests`, one per HTTP request (statusdesk.core.request_record): request_id,
  method, route, path, status, duration_ms, user_id, incident_id.
- `statusdesk.jobs`, one per background job (a Huey task: task, task_id, duration_ms, outcome)
  and one per reaction run (reaction, event_id, incident_id, duration_ms, outcome).

In JSON each field is a key of the object; in text they follow the message as `key=value`. Any
line written while a request is answered (a warning in a view) carries that request's id.

Nothing secret is written by these lines: never a header, a query string, a cookie, a password or a
token (a path that holds one is logged as its route, statusdesk.core.request_record).
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

FORMATS = ("text", "json")

# The id of the request being answered, for every line logged meanwhile (a context variable:
# Django's sync views run in a thread that gets a copy of the request's context).
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "statusdesk_request_id", default=None
)


def log_format(value: str | None) -> str:
    """STATUSDESK_LOG_FORMAT: text (the default) or json; anything else is refused by name."""
    chosen = (value or "text").strip().lower() or "text"
    if chosen not in FORMATS:
        raise ValueError(f"STATUSDESK_LOG_FORMAT must be text or json, got {value!r}")
    return chosen


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id.get()
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the record's fields,
    and the traceback as `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id is not None:
            line["request_id"] = request_id
        line.update(_fields(record))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, default=str, ensure_ascii=False)


def startup_line(message: str, **fields: Any) -> str:
    """A line a command writes before Django's logging is set up (`statusdesk serve` naming its
    var directory): `statusdesk: <message>` in text, or with STATUSDESK_LOG_FORMAT=json the JSON
    object a log line is (logger `statusdesk.startup`), so a JSON log holds nothing else."""
    try:
        chosen = log_format(os.environ.get("STATUSDESK_LOG_FORMAT"))
    except ValueError:
        chosen = "text"  # the settings refuse it by name a moment later
    if chosen == "text":
        return f"statusdesk: {message}"
    record = logging.LogRecord("statusdesk.startup", logging.INFO, __file__, 0, message, None, None)
    record.fields = fields
    return JsonFormatter().format(record)


class TextFormatter(logging.Formatter):
    """`2026-11-28 23:00:00,123 INFO statusdesk.requests GET /manage/ 200 12.3ms key=value …`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        text = super().formatMessage(record)
        fields = _fields(record)
        request_id = getattr(record, "request_id", None)
        if request_id is not None and "request_id" not in fields:
            fields = {"request_id": request_id, **fields}
        shown = " ".join(f"{k}={_text(v)}" for k, v in fields.items() if v is not None)
        return f"{text} {shown}" if shown else text


_NEEDS_QUOTES = re.compile(r'[\s"]')


def _text(value: Any) -> str:
    text = str(value)
    return json.dumps(text) if (not text or _NEEDS_QUOTES.search(text)) else text


def logging_config(fmt: str, level: str) -> dict[str, Any]:
    """settings.LOGGING for the chosen format."""
    formatter = "json" if fmt == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "statusdesk.core.logs.RequestIdFilter"},
            "request_path": {"()": "statusdesk.core.logs.RequestPathFilter"},
        },
        "formatters": {
            "text": {"()": "statusdesk.core.logs.TextFormatter"},
            "json": {"()": "statusdesk.core.logs.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The Huey consumer installs its own handler on "huey" (its own text lines); without
            # this every line shows twice. In JSON, the job lines below stand for its per-task
            # lines, so only its warnings and errors remain (and through the JSON handler).
            "huey": (
                {"handlers": ["console"], "propagate": False, "level": "WARNING"}
                if fmt == "json"
                else {"propagate": False}
            ),
            "axes": {"level": "WARNING"},
            "django.request": {"filters": ["request_path"]},
        },
    }


# --- paths, without their secrets ---------------------------------------------------------------

# URL parameters whose values are secrets: a path naming one is logged as its route.
SECRET_PARAMETERS = re.compile(r"token|key|secret|signature|password", re.IGNORECASE)
# A segment of a path that matched no route and could be a token (a mistyped or slash-less link).
TOKEN_LIKE_SEGMENT = re.compile(r"[A-Za-z0-9._:=~+-]{20,}")


def route_of(match: Any) -> str | None:
    """The URL pattern a request matched (`/manage/incidents/<int:pk>/`), None for no match."""
    if match is None or not match.route:
        return None
    return "/" + str(match.route).lstrip("^").rstrip("$")


def loggable_path(path: str, route: str | None, kwargs: Mapping[str, Any]) -> str:
    """The path as the log may show it: its route when the URL names a secret
    (`/subscriptions/unsubscribe/<str:token>/`), any token-like segment `[redacted]` when it
    matched no route, else the path (never with its query string, which is not part of it)."""
    if route is None:
        return "/".join(
            "[redacted]" if TOKEN_LIKE_SEGMENT.fullmatch(part) else part for part in path.split("/")
        )
    if any(SECRET_PARAMETERS.search(name) for name in kwargs):
        return route
    return path


class RequestPathFilter(logging.Filter):
    """Django's own lines about a request ("Not Found: /…", "Internal Server Error: /…", on the
    `django.request` logger) name its path: the same path the request line would show."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        path = getattr(request, "path", None)
        if isinstance(path, str) and isinstance(record.args, tuple) and path in record.args:
            match = getattr(request, "resolver_match", None)
            route = route_of(match)
            safe = loggable_path(path, route, match.kwargs if match is not None else {})
            record.args = tuple(safe if arg == path else arg for arg in record.args)
        return True


# --- background jobs --------------------------------------------------------------------------

jobs_log = logging.getLogger("statusdesk.jobs")

_started: dict[str, float] = {}


def job_started(task: Any) -> None:
    """Huey's pre-execute hook: note when the task started."""
    _started[task.id] = time.monotonic()


def job_finished(task: Any, value: Any, exc: BaseException | None) -> None:
    """Huey's post-execute hook: one line for the task, how long it took and how it ended."""
    started = _started.pop(task.id, None)
    duration = round((time.monotonic() - started) * 1000, 1) if started is not None else None
    if exc is None:
        outcome = "done"
    elif task.retries:
        outcome = "retrying"
    else:
        outcome = "failed"
    fields = {
        "job": "task",
        "task": task.name,
        "task_id": task.id,
        "duration_ms": duration,
        "outcome": outcome,
    }
    if exc is not None:
        fields["error"] = type(exc).__name__
    jobs_log.log(
        logging.INFO if exc is None else logging.WARNING,
        "task %s %s in %sms",
        task.name,
        outcome,
        duration,
        extra={"fields": fields},
    )


def reaction_ran(
    *,
    reaction: str,
    event_id: int,
    incident_id: int | None,
    started: float,
    outcome: str,
    attempt: int,
) -> None:
    """One line per reaction run (statusdesk.core.reactions.handle_run)."""
    duration = round((time.monotonic() - started) * 1000, 1)
    jobs_log.log(
        logging.INFO if outcome == "handled" else logging.WARNING,
        "reaction %s for event %s %s in %sms",
        reaction,
        event_id,
        outcome,
        duration,
        extra={
            "fields": {
                "job": "reaction",
                "reaction": reaction,
                "event_id": event_id,
                "incident_id": incident_id,
                "attempt": attempt,
                "duration_ms": duration,
                "outcome": outcome,
            }
        },
    )
