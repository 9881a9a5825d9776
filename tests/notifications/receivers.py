"""Real receivers on 127.0.0.1 for the notification tests: an SMTP server (aiosmtpd) and an HTTP
server for webhooks. Both record what arrives; both can refuse or stall on purpose."""

from __future__ import annotations

import email
import socket
import threading
from collections import Counter
from collections.abc import Callable
from email import policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpSink:
    """An SMTP server that answers 451 to the first `refuse_first` messages, then accepts."""

    def __init__(self, port: int | None = None, *, refuse_first: int = 0) -> None:
        self.port = port or free_port()
        self.refuse_first = refuse_first
        self.refused = 0
        self.messages: list[tuple[str, str, Message]] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            if self.refused < self.refuse_first:
                self.refused += 1
                return "451 4.3.0 Try again later"
            message = email.message_from_bytes(envelope.content, policy=policy.default)
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt, str(message["Message-ID"]), message))
        return "250 OK"

    def start(self) -> SmtpSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def count(self) -> int:
        with self._lock:
            return len(self.messages)

    def copies(self) -> Counter[tuple[str, str]]:
        """How many times each (recipient, Message-ID) arrived."""
        with self._lock:
            return Counter((rcpt, mid) for rcpt, mid, _ in self.messages)

    def ids_per_recipient(self) -> dict[str, set[str]]:
        result: dict[str, set[str]] = {}
        with self._lock:
            for rcpt, mid, _ in self.messages:
                result.setdefault(rcpt, set()).add(mid)
        return result


class WebhookReceiver:
    """An HTTP server recording every POST; `answer(path, nth)` chooses the status of the nth
    call to a path (None: never answer, until the receiver stops)."""

    def __init__(self, answer: Callable[[str, int], int | None] | None = None) -> None:
        self.answer = answer or (lambda path, nth: 200)
        self.calls: list[tuple[str, dict[str, str], bytes, int | None]] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    nth = sum(1 for call in receiver.calls if call[0] == self.path) + 1
                    status = receiver.answer(self.path, nth)
                    receiver.calls.append((self.path, dict(self.headers), body, status))
                if status is None:
                    receiver._release.wait(60)
                    return
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def delivered(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        """The calls to `path` answered with 2xx."""
        with self._lock:
            return [
                (headers, body)
                for p, headers, body, status in self.calls
                if p == path and status is not None and 200 <= status < 300
            ]

    def tries(self, path: str) -> int:
        with self._lock:
            return sum(1 for call in self.calls if call[0] == path)
