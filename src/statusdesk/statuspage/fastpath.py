"""A small ASGI application in front of Django for the public answers made from the snapshot.

A sync Django view under ASGI pays a hop to a thread and the whole middleware stack per request;
the crowd at the status page during an outage asks the same few answers over and over. So: the
first time Django answers a GET from the snapshot (`snapshot.cached_response` marks it in the
ASGI scope), this application keeps that answer, status, headers and body, exactly as Django and
its middleware made it (security headers, CORS, ETag, Last-Modified, Cache-Control, Vary). Until
the snapshot's version changes, the same request (same method, host, scheme, path, query and the
values of the headers the answer varies on) is answered from memory, 304 included, without
entering Django. Anything else, and anything not yet seen, goes to Django.

It never keeps an answer that sets a cookie or varies on cookies, nor one whose version is no
longer current, and it forgets every answer when the version changes (checked at most every
0.1 s against the shared cache, so a change shows here within that time of being stored).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from statusdesk.statuspage import snapshot

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# How many answers one version keeps (pages × languages × query strings); beyond, Django answers.
MAX_ANSWERS = 2000
# Request headers that change an answer whatever its Vary says: the host (Django refuses a host
# it does not serve) and the scheme a TLS-terminating proxy reports (HSTS).
ALWAYS_KEYED = (b"host", b"x-forwarded-proto")
# A 304 as Django makes it: no Content-Type, and a Content-Length of 0.
DROPPED_ON_304 = {b"content-type"}
# How long a request waits for the same request already with Django before going there itself.
INFLIGHT_WAIT = 5.0


@dataclass(frozen=True)
class Answer:
    version: str
    vary: tuple[bytes, ...]
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    last_modified: str


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


class SnapshotFastPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.version: str | None = None
        # base key → (the names the answer varies on, {their values: answer})
        self.answers: dict[tuple[Any, ...], tuple[tuple[bytes, ...], dict[tuple[Any, ...], Answer]]]
        self.answers = {}
        self.count = 0
        self.inflight: dict[tuple[Any, ...], asyncio.Future[None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        current = self._current_version()
        headers = dict(_lowered(scope["headers"]))
        base = self._base_key(scope, headers)
        if current is not None:
            answer = self._find(base, headers)
            if answer is None and base in self.inflight:
                # Single flight: the crowd's first request is with Django; the rest wait for its
                # answer instead of all entering Django at once.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self.inflight[base]), INFLIGHT_WAIT)
                answer = self._find(base, headers)
            if answer is not None and answer.version == current:
                await self._answer(answer, headers, send)
                return
        if current is None or base in self.inflight:
            await self._through_django(scope, receive, send, base, headers)
            return
        done = asyncio.get_running_loop().create_future()
        self.inflight[base] = done
        try:
            await self._through_django(scope, receive, send, base, headers)
        finally:
            del self.inflight[base]
            done.set_result(None)

    # --- the current version -------------------------------------------------------------

    def _current_version(self) -> str | None:
        pointer = snapshot.current_pointer()
        if pointer is None or snapshot.is_stale(pointer):
            return None  # Django builds it (once)
        if pointer.version != self.version:
            self.version = pointer.version
            self.answers = {}
            self.count = 0
        return pointer.version

    # --- keys ----------------------------------------------------------------------------

    @staticmethod
    def _base_key(scope: Scope, headers: dict[bytes, bytes]) -> tuple[Any, ...]:
        return (
            scope.get("scheme"),
            scope.get("root_path", ""),
            scope["path"],
            scope.get("query_string", b""),
            *(headers.get(name) for name in ALWAYS_KEYED),
        )

    def _find(self, base: tuple[Any, ...], headers: dict[bytes, bytes]) -> Answer | None:
        found = self.answers.get(base)
        if found is None:
            return None
        vary, variants = found
        return variants.get(tuple(headers.get(name) for name in vary))

    # --- answering from memory -----------------------------------------------------------

    @staticmethod
    async def _answer(answer: Answer, headers: dict[bytes, bytes], send: Send) -> None:
        if_none_match = headers.get(b"if-none-match")
        if_modified_since = headers.get(b"if-modified-since")
        if (if_none_match is not None or if_modified_since is not None) and snapshot.not_modified(
            etag=answer.etag,
            last_modified=answer.last_modified,
            if_none_match=if_none_match.decode("latin-1") if if_none_match is not None else None,
            if_modified_since=(
                if_modified_since.decode("latin-1") if if_modified_since is not None else None
            ),
        ):
            kept = [
                (k, b"0" if k.lower() == b"content-length" else v)
                for k, v in answer.headers
                if k.lower() not in DROPPED_ON_304
            ]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
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
        headers: dict[bytes, bytes],
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
        if b"cookie" in vary or b"*" in vary:
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
            body=b"".join(body),
            etag=etag.decode("latin-1"),
            last_modified=last_modified.decode("latin-1"),
        )
        known_vary, variants = self.answers.get(base, (vary, {}))
        if known_vary != vary:
            variants = {}
        variants[tuple(headers.get(name) for name in vary)] = answer
        self.answers[base] = (vary, variants)
        self.count += 1


def _lowered(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(bytes(k).lower(), bytes(v)) for k, v in headers]
