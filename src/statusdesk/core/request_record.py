"""One record per HTTP request: its id, its latency in /metrics, its line in the log.

Two parts:

- `RequestRecord`, the outermost ASGI application (statusdesk.asgi): it sees every HTTP request,
  those the status page's fast path answers from memory included. It takes the request id from
  X-Request-ID when the proxy sent a sane one (else makes one), echoes it in the answer's
  X-Request-ID, times the request, counts it in the latency histogram and logs its line.
- `RouteRecordMiddleware`, in Django's middleware: what only Django knows, written into the
  request's record: the route (the URL pattern, e.g. `/manage/incidents/<int:pk>/`), the signed-in
  user's id, the incident the URL names.

The path is logged without its query string (never a token sent as a parameter); a path whose URL
names a secret (the subscription links' `<str:token>`) is logged as its route instead, and in a
path that matched no route, any long segment that could be a token is replaced by `[redacted]`.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from statusdesk.core.logs import current_request_id, loggable_path, route_of
from statusdesk.core.metrics import observe_request

log = logging.getLogger("statusdesk.requests")

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Where the record of a request is kept in its ASGI scope (a dict shared with copies of the scope).
SCOPE_KEY = "statusdesk.request"

# A request id from the proxy is kept when it looks like one (nginx's $request_id: 32 hex digits;
# a UUID; any short token of letters, digits, - _ . :), never when it could be used to forge log
# lines or flood them.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")

UNMATCHED = "unmatched"
STATIC = "static"


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1").strip()
            if SANE_REQUEST_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class RequestRecord:
    """The outermost ASGI application for HTTP: id, latency, log line (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope.get("headers", []))
        record: dict[str, Any] = {}
        scope = {**scope, SCOPE_KEY: record}
        status = 500  # unless an answer starts (a crash before it is a server fault)
        echoed = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, echoed]}
            await send(message)

        context = current_request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(context)
            finish(scope, record, request_id, status, time.perf_counter() - started)


def finish(
    scope: Scope, record: dict[str, Any], request_id: str, status: int, seconds: float
) -> None:
    method = str(scope.get("method", ""))
    raw_path = str(scope.get("path", ""))
    route = record.get("route")
    if route is None:
        route = STATIC if raw_path.startswith(settings.STATIC_URL) else UNMATCHED
    path = record.get("path") or loggable_path(raw_path, None, {})
    observe_request(route=route, method=method, status=status, seconds=seconds)
    if not settings.STATUSDESK_LOG_REQUESTS:
        return
    duration_ms = round(seconds * 1000, 1)
    fields = {
        "request_id": request_id,
        "method": method,
        "route": route,
        "path": path,
        "status": status,
        "duration_ms": duration_ms,
        "user_id": record.get("user_id"),
        "incident_id": record.get("incident_id"),
    }
    log.log(
        logging.ERROR if status >= 500 else logging.INFO,
        "%s %s %s %sms",
        method,
        path,
        status,
        duration_ms,
        extra={"fields": fields, "request_id": request_id},
    )


# --- what Django knows ------------------------------------------------------------------------


def _user_id(request: HttpRequest) -> int | None:
    # An API token's user (django-ninja's request.auth)...
    from statusdesk.accounts.models import User

    auth = getattr(request, "auth", None)
    if isinstance(auth, User):
        return int(auth.pk)
    # ...or the session's, only when the request already looked it up: reading request.user here
    # would cost the public pages a session query they never make.
    user = getattr(request, "_cached_user", None)
    if user is not None and user.is_authenticated:
        return int(user.pk)
    return None


def _incident_id(route: str, kwargs: Mapping[str, Any]) -> int | None:
    value = kwargs.get("incident_id")
    if value is None and "incidents/<int:pk>" in route:
        value = kwargs.get("pk")
    if isinstance(value, str) and value.isdigit():  # django-ninja's path parameters
        return int(value)
    return value if isinstance(value, int) else None


class RouteRecordMiddleware:
    """Writes the route, the user and the incident into the request's record (RequestRecord)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        scope = getattr(request, "scope", None)
        record = scope.get(SCOPE_KEY) if isinstance(scope, dict) else None
        if record is None:
            return response  # not served by statusdesk.asgi (the test client)
        match = request.resolver_match
        route = route_of(match)
        if match is not None and route is not None:
            record["route"] = route
            record["path"] = loggable_path(request.path, route, match.kwargs)
            record["incident_id"] = _incident_id(route, match.kwargs)
        record["user_id"] = _user_id(request)
        return response
