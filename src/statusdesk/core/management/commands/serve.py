"""`statusdesk serve`: the web server (uvicorn, ASGI), optionally with the Huey worker beside it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    help = "Serve statusdesk on HOST:PORT (default 127.0.0.1:8000, PORT overrides)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--with-worker", action="store_true", help="also run the Huey worker process"
        )
        parser.add_argument("--workers", type=int, default=1, help="web worker processes")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        # uvicorn shuts down on SIGTERM and then raises the signal again; with this handler in
        # place that ends in SystemExit, so the `finally` below still stops the worker instead of
        # leaving it behind.
        previous = signal.signal(signal.SIGTERM, _exit_on_signal)
        worker = None
        try:
            if options["with_worker"]:
                worker = subprocess.Popen([sys.executable, "-m", "statusdesk.cli", "worker"])
                self.stdout.write(f"worker started (pid {worker.pid})")
            self.stdout.write(
                self.style.SUCCESS(f"statusdesk on http://{options['host']}:{options['port']}/")
            )
            uvicorn.run(
                "statusdesk.asgi:application",
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                log_level="info",
                lifespan="off",
            )
        finally:
            signal.signal(signal.SIGTERM, previous)
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
