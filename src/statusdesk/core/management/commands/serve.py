"""`statusdesk serve`: the web server (uvicorn, ASGI), optionally with the Huey worker beside it."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

# How long the worker gets to finish what it is doing once asked to stop.
WORKER_STOP_SECONDS = 10
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
TRUE = {"1", "true", "yes", "on"}

serve_log = logging.getLogger("statusdesk.serve")


class Stopped(Exception):
    """serve was asked to stop (SIGTERM, SIGINT) outside uvicorn's own handling of it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def uvicorn_options(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """How `statusdesk serve` runs uvicorn, besides the app, host, port and workers.

    bench/statuspage.py runs its bare ASGI ceiling with these very options. Measured there (a
    bare app, 256 connections, medians of three runs): uvloop and httptools serve 2-3 times the
    requests of asyncio and h11, and uvicorn's access log (a line per request) halves what is
    left, so it is off unless STATUSDESK_ACCESS_LOG=1 (a proxy in front keeps its own).
    """
    env = os.environ if environ is None else environ
    return {
        # uvloop and httptools (pyproject.toml) where installed, else asyncio and h11.
        "loop": "auto",
        "http": "auto",
        "log_level": "info",
        # uvicorn's own lines go through statusdesk's log (settings.LOGGING): the same format,
        # JSON with STATUSDESK_LOG_FORMAT=json, instead of uvicorn's handlers of its own.
        "log_config": None,
        "access_log": env.get("STATUSDESK_ACCESS_LOG", "").strip().lower() in TRUE,
        "lifespan": "off",
        # The client's address is the connection's; a proxy's header counts only where
        # STATUSDESK_CLIENT_IP_HEADER (and STATUSDESK_SECURE) say so.
        "proxy_headers": False,
    }


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


class Command(BaseCommand):
    help = "Serve statusdesk on HOST:PORT (default 127.0.0.1:8000, PORT overrides)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--with-worker", action="store_true", help="also run the Huey worker process"
        )
        parser.add_argument("--workers", type=int, default=1, help="web worker processes")
        parser.add_argument(
            "--access-log",
            action="store_true",
            default=os.environ.get("STATUSDESK_ACCESS_LOG", "") in {"1", "true", "yes", "on"},
            help="log every request (off by default: a line per request costs a quarter of the "
            "throughput of the public answers; a reverse proxy's log serves better)",
        )

    def _say(self, message: str, *, ok: bool = False, **fields: Any) -> None:
        """A line for the person starting statusdesk, or with STATUSDESK_LOG_FORMAT=json a log
        line (logger statusdesk.serve) like every other line the process writes."""
        if settings.STATUSDESK_LOG_FORMAT == "json":
            serve_log.info(message, extra={"fields": fields})
            return
        self.stdout.write(self.style.SUCCESS(message) if ok else message)
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        # uvicorn stops gracefully on SIGTERM or SIGINT, puts back the handlers it found and then
        # raises the signal again. Ours turn that into an exception, so that the worker is always
        # stopped too (with the default handlers the process died there and left the worker
        # running), whether the signal comes before, during or after uvicorn's run.
        previous: dict[signal.Signals, Any] = {}
        worker: subprocess.Popen[bytes] | None = None
        stopped_by: int | None = None
        try:
            for stop_signal in STOP_SIGNALS:
                previous[stop_signal] = signal.signal(stop_signal, _stopped)
            if options["with_worker"]:
                worker = subprocess.Popen([sys.executable, "-m", "statusdesk.cli", "worker"])
                self._say(f"worker started (pid {worker.pid})", worker_pid=worker.pid)
            site = f"http://{options['host']}:{options['port']}"
            self._say(
                f"statusdesk on {site}/ (the console: {site}/manage/)", address=f"{site}/", ok=True
            )
            uvicorn.run(
                "statusdesk.asgi:application",
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                **{**uvicorn_options(), "access_log": options["access_log"]},
            )
        except Stopped as stop:
            stopped_by = stop.signum
        finally:
            if worker is not None:
                _stop_worker(worker)
            for stop_signal, handler in previous.items():
                signal.signal(stop_signal, handler)
        if stopped_by is not None:
            # End as the signal ends a process (exit status 128 + signal), as uvicorn meant to.
            signal.signal(stopped_by, signal.SIG_DFL)
            signal.raise_signal(stopped_by)


def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """Ask the worker to stop (SIGTERM), wait for it, and kill it if it does not."""
    # A second signal while stopping must not cut this short and leave the worker behind.
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, signal.SIG_IGN)
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
