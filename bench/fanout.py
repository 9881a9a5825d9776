"""bench/fanout: one incident publication fanned out to 100,000 e-mail and 10,000 webhook
subscribers, delivered by a real `statusdesk worker` to a local SMTP server (aiosmtpd) and HTTP
server in this process. Not part of `make test`.

    .venv/bin/python -m bench.fanout                 # 100,000 e-mails, 10,000 webhooks
    .venv/bin/python -m bench.fanout --emails 10000 --webhooks 1000 --workers 2

Prints deliveries per second and the time from the publication to the last delivery (both read
from the database's own timestamps), the worker's peak memory (VmHWM), whether every subscriber
received exactly one copy (counted by Message-ID / webhook-id at the receivers), and, as the
ceiling, a plain smtplib loop sending the same messages (the first ones the sink received) over
one connection to the same sink. Targets: all delivered exactly once; e-mail rate ≥ 0.5 × the
ceiling; worker peak RSS ≤ 300 MB. Works under var/bench/fanout/ (removed at the start).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import smtplib
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "var" / "bench" / "fanout"
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.I | re.M)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class CountingSink:
    """An SMTP server counting (recipient, Message-ID); keeps the first `keep` messages raw."""

    def __init__(self, port: int, keep: int) -> None:
        self.port = port
        self.keep = keep
        self.copies: Counter[tuple[str, bytes]] = Counter()
        self.kept: list[tuple[str, list[str], bytes]] = []
        self.counting = True
        self.replayed = 0
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        content = envelope.content
        with self.lock:
            if not self.counting:
                self.replayed += 1
                return "250 OK"
            found = MESSAGE_ID.search(content)
            mid = found.group(1) if found else b""
            for rcpt in envelope.rcpt_tos:
                self.copies[(rcpt, mid)] += 1
            if len(self.kept) < self.keep:
                self.kept.append((envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 OK"


class HookSink:
    def __init__(self) -> None:
        self.copies: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.lock:
                    sink.copies[(self.path, self.headers.get("webhook-id", ""))] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def env(smtp_port: int, args: argparse.Namespace) -> dict[str, str]:
    result = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result.update(
        DJANGO_SETTINGS_MODULE="statusdesk.settings",
        STATUSDESK_VAR_DIR=str(WORK / "var"),
        STATUSDESK_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        STATUSDESK_WEBHOOK_ALLOW_PRIVATE="1",
        STATUSDESK_DELIVERY_BATCH=str(args.batch),
        STATUSDESK_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "src")]),
    )
    if args.redis_url:
        result["REDIS_URL"] = args.redis_url
        result["STATUSDESK_QUEUE_NAME"] = f"bench-fanout-{os.getpid()}"
    return result


def statusdesk(*command: str, environment: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "statusdesk.cli", *command],
        env=environment,
        cwd=WORK,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"statusdesk {command[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


SETUP = """
from statusdesk.accounts.roles import Role
from statusdesk.accounts.services import ensure_user
from statusdesk.incidents.components import ensure_default_components
from tests.factories import an_assigned_incident
from tests.factories import many_confirmed_subscribers, many_webhook_subscribers
ensure_default_components()
manager, _ = ensure_user("manager@example.com", role=Role.INCIDENT_MANAGER, password="bench-pass-1")
developer, _ = ensure_user("developer@example.com", role=Role.DEVELOPER, password="bench-pass-1")
many_confirmed_subscribers({emails}, domain="bench.example")
many_webhook_subscribers({webhooks}, base_url={base!r})
print(an_assigned_incident(manager, developer).pk)
"""

# The publication affects the first two components (tests.factories.publication).
CHANGED_COMPONENTS = 2

PUBLISH = """
from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component
from tests.factories import publication
components = list(Component.objects.order_by("position"))
manager = User.objects.get(email="manager@example.com")
services.publish_incident(actor=manager, incident={incident}, **publication(components))
"""


def peak_rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(found.group(1)) / 1024 if found else 0.0


def db(query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(WORK / "var" / "statusdesk.sqlite3", timeout=30) as connection:
        return list(connection.execute(query).fetchall())


def ceiling(sink: CountingSink) -> float:
    """A plain smtplib loop sending the kept messages over one connection: messages per second."""
    sink.counting = False
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        for sender, rcpts, content in sink.kept:
            smtp.sendmail(sender, rcpts, content)
    elapsed = time.perf_counter() - started
    return len(sink.kept) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=100_000)
    parser.add_argument("--webhooks", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="worker threads")
    parser.add_argument("--batch", type=int, default=100, help="deliveries per task")
    parser.add_argument("--ceiling-messages", type=int, default=20_000)
    parser.add_argument("--redis-url", default="", help="use Redis as the queue")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()

    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "var").mkdir(parents=True)
    smtp_port = free_port()
    sink = CountingSink(smtp_port, keep=args.ceiling_messages)
    sink.controller.start()
    hooks = HookSink()
    environment = env(smtp_port, args)
    log("migrating")
    statusdesk("migrate", "--noinput", "-v", "0", environment=environment)
    log(f"writing {args.emails:,} e-mail and {args.webhooks:,} webhook subscribers")
    code = SETUP.format(emails=args.emails, webhooks=args.webhooks, base=hooks.base)
    incident = int(statusdesk("shell", "-c", code, environment=environment).split()[-1])
    worker_log = (WORK / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "statusdesk.cli", "worker", "-w", str(args.workers)],
        env=environment,
        cwd=WORK,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
    )
    # Each webhook gets the incident payload and one component update payload per component the
    # publication changes (the first two); e-mail subscribers get the incident's message only.
    per_webhook = 1 + CHANGED_COMPONENTS
    total = args.emails + args.webhooks * per_webhook
    try:
        time.sleep(2)  # the worker's start-up
        log("publishing")
        statusdesk("shell", "-c", PUBLISH.format(incident=incident), environment=environment)
        deadline = time.monotonic() + args.timeout
        peak = 0.0
        while True:
            peak = max(peak, peak_rss_mb(worker.pid))
            sent = int(db("SELECT COUNT(*) FROM notifications_delivery WHERE state = 'sent'")[0][0])
            if sent >= total:
                break
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited ({worker.returncode}); see worker.log")
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out with {sent:,} of {total:,} sent")
            log(f"{sent:,} of {total:,} sent, worker RSS peak {peak:.0f} MB")
            time.sleep(5)
        peak = max(peak, peak_rss_mb(worker.pid))
    finally:
        worker.terminate()
        worker.wait(timeout=60)

    def when(text: str) -> datetime:
        return datetime.fromisoformat(text)

    recorded = when(
        db("SELECT recorded_at FROM core_event WHERE kind = 'incident.published'")[0][0]
    )
    first, last = (
        when(v) for v in db("SELECT MIN(sent_at), MAX(sent_at) FROM notifications_delivery")[0]
    )
    email_first, email_last = (
        when(v)
        for v in db(
            "SELECT MIN(sent_at), MAX(sent_at) FROM notifications_delivery WHERE channel = 'email'"
        )[0]
    )
    to_last = (last - recorded).total_seconds()
    email_rate = args.emails / max((email_last - email_first).total_seconds(), 1e-6)
    emails_per_rcpt = Counter(rcpt for rcpt, _ in sink.copies)
    email_ok = len(emails_per_rcpt) == args.emails and set(emails_per_rcpt.values()) == {1}
    hooks_per_path = Counter(path for path, _ in hooks.copies)
    hooks_ok = (
        len(hooks_per_path) == args.webhooks
        and set(hooks_per_path.values()) <= {per_webhook}
        and set(hooks.copies.values()) <= {1}
    )
    duplicates = sum(sink.copies.values()) - len(sink.copies)
    log(f"replaying {len(sink.kept):,} of the same messages with a plain smtplib loop")
    top = ceiling(sink)
    print()
    print(
        f"deliveries:                {total:,} ({args.emails:,} e-mail, "
        f"{args.webhooks * per_webhook:,} webhook: {args.webhooks:,} × {per_webhook})"
    )
    print(f"time to the last delivery: {to_last:.1f} s after the publication was recorded")
    print(f"deliveries per second:     {total / to_last:.0f} overall")
    print(f"e-mail rate:               {email_rate:.0f} /s (first to last e-mail)")
    print(f"ceiling (smtplib loop):    {top:.0f} /s  → ratio {email_rate / top:.2f} (target ≥ 0.5)")
    print(f"worker peak RSS:           {peak:.0f} MB (target ≤ 300)")
    print(
        f"exactly once:              e-mail {email_ok}, webhooks {hooks_ok}; same-Message-ID "
        f"repeats {duplicates}"
    )
    print(f"first delivery:            {(first - recorded).total_seconds():.1f} s after")
    sink.controller.stop()


if __name__ == "__main__":
    main()
