"""A small ASGI application in front of Django for the public answers made from the snapshot.

A sync Django view under ASGI pays a hop to a thread and the whole middleware stack per request;
the crowd at the status page during an outage asks the same few answers over and over. So: the
first time Django answers a GET from the snapshot (`snapshot.cached_response` marks it in the
ASGI scope), this application keeps that answer, status, headers and body, exactly as Django and
its middleware made it (security headers, CORS, ETag, Last-Modified, Cache-Control, Vary). Until
the snapshot's version changes, the same request (same method, host, scheme, path, query and the
values of the headers the answer varies on) is answered from memory, 304 included, without
entering Django. Anything else, and anything not yet seen, goes to Django.

An answer that varies on cookies (the HTML pages: their language comes from the switcher's
cookie or Accept-Language) is kept per value of the language cookie alone: `cached_response` makes
one answer per key for every visitor, and the only cookie a key may depend on is the language's.
It never keeps an answer that sets a cookie, nor one whose version is no
longer current, and it sets every answer aside when the version changes (checked at most every
0.1 s against the shared cache, so a change shows here within that time of being stored): the
first request after the change makes the new answer through Django, and the requests arriving
while it does get the answer set aside (stale while revalidating) instead of queueing behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http.cookie import parse_cookie

from statusdesk.core.request_record import SCOPE_KEY as RECORD_KEY
from statusdesk.statuspage import snapshot

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# How many answers one version keeps (pages × languages × query strings); beyond, Django answers.
MAX_ANSWERS = 2000
# A 304 as Django makes it: no Content-Type, and a Content-Length of 0.
DROPPED_ON_304 = {b"content-type"}
# How long a request waits for the same request already with Django before going there itself.
INFLIGHT_WAIT = 5.0


@dataclass(frozen=True)
class Answer:
    version: str
    vary: tuple[bytes, ...]
    headers: list[tuple[bytes, bytes]]
    headers_304: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    last_modified: str
    # The route Django matched (statusdesk.core.request_record), for the log and /metrics.
    route: str | None = None


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class SnapshotFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.version: str | None = None
        self.pointer: snapshot.Pointer | None = None
        self.stale_at = 0.0
        # base key → (the names the answer varies on, {their values: answer})
        self.answers: dict[tuple[Any, ...], tuple[tuple[bytes, ...], dict[tuple[Any, ...], Answer]]]
        self.answers = {}
        # The answers of the version before, served while the new version's answer is being
        # made (stale while revalidating): a crowd never waits behind that one render.
        self.previous: dict[
            tuple[Any, ...], tuple[tuple[bytes, ...], dict[tuple[Any, ...], Answer]]
        ]
        self.previous = {}
        self.count = 0
        self.inflight: dict[tuple[Any, ...], asyncio.Future[None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        current = self._current_version()
        # One pass over the request's headers (ASGI gives their names in lower case).
        host = forwarded = if_none_match = if_modified_since = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"x-forwarded-proto":
                forwarded = value
            elif name == b"if-none-match":
                if_none_match = value
            elif name == b"if-modified-since":
                if_modified_since = value
        # The request's key: besides the path and query, the host (Django refuses a host it does
        # not serve) and the scheme, as the connection or a TLS-terminating proxy says (HSTS).
        base = (
            scope.get("scheme"),
            scope.get("root_path", ""),
            scope["path"],
            scope.get("query_string", b""),
            host,
            forwarded,
        )
        if current is not None:
            answer = self._find(base, scope)
            if answer is None and base in self.inflight:
                # Single flight: the crowd's first request is with Django. The rest get the
                # previous version's answer when there is one (a few milliseconds older than the
                # change), else wait for the new one instead of all entering Django at once.
                stale = self._find(base, scope, self.previous)
                if stale is not None:
                    _note_route(scope, stale)
                    await self._answer(stale, if_none_match, if_modified_since, send)
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.inflight[base]), INFLIGHT_WAIT)
                answer = self._find(base, scope)
            if answer is not None and answer.version == current:
                _note_route(scope, answer)
                await self._answer(answer, if_none_match, if_modified_since, send)
                return
        if current is None or base in self.inflight:
            await self._through_django(scope, receive, send, base)
            return
        done = asyncio.get_running_loop().create_future()
        self.inflight[base] = done
        try:
            await self._through_django(scope, receive, send, base)
        finally:
            del self.inflight[base]
            done.set_result(None)

    # --- the current version -------------------------------------------------------------

    def _current_version(self) -> str | None:
        """The current version (None: no snapshot, or a stale one, which Django rebuilds)."""
        pointer = snapshot.current_pointer()  # re-read from the cache at most every 0.1 s
        if pointer is not self.pointer:
            self.pointer = pointer
            if pointer is not None and pointer.version != self.version:
                self.version = pointer.version
                self.previous = self.answers
                self.answers = {}
                self.count = 0
            self.stale_at = (
                time.monotonic() + snapshot.seconds_until_stale(pointer) if pointer else 0.0
            )
        if pointer is None or time.monotonic() >= self.stale_at:
            return None
        return pointer.version

    # --- keys ----------------------------------------------------------------------------

    def _find(
        self,
        base: tuple[Any, ...],
        scope: Scope,
        answers: dict[tuple[Any, ...], tuple[tuple[bytes, ...], dict[tuple[Any, ...], Answer]]]
        | None = None,
    ) -> Answer | None:
        found = (self.answers if answers is None else answers).get(base)
        if found is None:
            return None
        vary, variants = found
        if not vary:
            return variants.get(())
        return variants.get(_values(scope, vary))

    # --- answering from memory -----------------------------------------------------------

    @staticmethod
    async def _answer(
        answer: Answer, if_none_match: bytes | None, if_modified_since: bytes | None, send: Send
    ) -> None:
        if (if_none_match is not None or if_modified_since is not None) and snapshot.not_modified(
            etag=answer.etag,
            last_modified=answer.last_modified,
            if_none_match=if_none_match.decode("latin-1") if if_none_match is not None else None,
            if_modified_since=(
                if_modified_since.decode("latin-1") if if_modified_since is not None else None
            ),
        ):
            await send(
                {"type": "http.response.start", "status": 304, "headers": answer.headers_304}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
        await send({"type": "http.response.body", "body": answer.body})

    # --- through Django, keeping what may be kept ----------------------------------------

    async def _through_django(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        base: tuple[Any, ...],
    ) -> None:
        scope = dict(scope)
        scope["statusdesk.snapshot"] = None  # cached_response writes its version here
        start: Message | None = None
        body: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                body.append(bytes(message.get("body", b"")))
            await send(message)

        await self.app(scope, receive, keep)
        version = scope.get("statusdesk.snapshot")
        if not version or start is None or start["status"] != 200:
            return
        answer_headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", [])]
        if _header(answer_headers, b"set-cookie") is not None:
            return
        vary_header = (_header(answer_headers, b"vary") or b"").decode("latin-1")
        vary = tuple(
            sorted({v.strip().lower().encode() for v in vary_header.split(",") if v.strip()})
        )
        if b"*" in vary:
            return
        etag = _header(answer_headers, b"etag")
        last_modified = _header(answer_headers, b"last-modified")
        if etag is None or last_modified is None:
            return
        if version != self._current_version() or self.count >= MAX_ANSWERS:
            return
        answer = Answer(
            version=version,
            vary=vary,
            headers=answer_headers,
            headers_304=[
                (k, b"0" if k.lower() == b"content-length" else v)
                for k, v in answer_headers
                if k.lower() not in DROPPED_ON_304
            ],
            body=b"".join(body),
            etag=etag.decode("latin-1"),
            last_modified=last_modified.decode("latin-1"),
            route=(scope.get(RECORD_KEY) or {}).get("route"),
        )
        known_vary, variants = self.answers.get(base, (vary, {}))
        if known_vary != vary:
            variants = {}
        variants[_values(scope, vary)] = answer
        self.answers[base] = (vary, variants)
        self.count += 1


def _note_route(scope: Scope, answer: Answer) -> None:
    """An answer from memory counts under the route Django matched when it made it."""
    record = scope.get(RECORD_KEY)
    if record is not None and answer.route is not None:
        record["route"] = answer.route


def _values(scope: Scope, names: tuple[bytes, ...]) -> tuple[bytes | None, ...]:
    """The request's values of the headers an answer varies on (repeated ones joined); of Cookie,
    the language cookie's value only (the one cookie a `cached_response` key may depend on)."""
    found: dict[bytes, list[bytes]] = {}
    for name, value in scope["headers"]:
        if name in names:
            found.setdefault(name, []).append(value)
    return tuple(
        _language_cookie(found[name])
        if name == b"cookie" and name in found
        else b", ".join(found[name])
        if name in found
        else None
        for name in names
    )


def _language_cookie(values: list[bytes]) -> bytes | None:
    cookies = parse_cookie("; ".join(v.decode("latin-1") for v in values))
    language = cookies.get(settings.LANGUAGE_COOKIE_NAME)
    return None if language is None else language.encode("latin-1", "replace")
