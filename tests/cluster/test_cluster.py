"""The production set-up of docs/deploy.md, for real, on this machine: Debian's nginx with
deploy/nginx.conf in front of TWO `statusdesk serve` web processes and TWO `statusdesk worker`
consumers, on PostgreSQL (a database of this test's own, whatever the run's database) and Redis (a
database number, queue name and cache prefix of its own), with a real SMTP server and a real
webhook receiver in this process (tests/notifications/receivers.py).

One cluster for the module (migrated once, started once); the cases run in order on it:

a. the incident lifecycle through nginx with an API token;
b. a change made through web process 1 is on the status page served by web process 2 (and by
   nginx) within one second: the product's guarantee (docs/statuspage.md), not a benchmark;
c. a desk message posted through web process 1 reaches a browser whose websocket is on web
   process 2 (its own port), and one whose websocket goes through nginx;
d. a due reminder is sent exactly once with both workers racing for it;
e. web process 1 restarted with SIGTERM during a stream of GETs through nginx: no failed request
   (nginx retries idempotent requests on the other process);
f. a worker killed with SIGKILL in the middle of a fan-out to 200 webhook subscribers: each
   subscriber gets exactly one notification (one webhook-id).

The figures (times, request totals, retries) are printed: `pytest -s tests/cluster` shows them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import expect

from bench.statuspage import DEPLOY_NGINX, free_port, nginx_main, production_site
from tests.conftest import require_program
from tests.e2e.a11y import blocking, describe, run_axe
from tests.notifications.receivers import SmtpSink, WebhookReceiver
from tests.processes import Site, require_postgres, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.processes]

# A Redis database number of the cluster's own: the channel layer's keys (the desk's live
# threads) have a fixed prefix, so another site on the same database would share its groups.
REDIS_DB = 13
PASSWORD = "cluster-e2e-password"
VISIBLE_WITHIN = 1.0  # seconds: a change is public within a second of its commit
START_SECONDS = 60
STARTED = "start-up reminders:"  # a worker's log line once it has started
SUBSCRIBERS = 200
# Each webhook the receiver takes costs this long, one at a time: the fan-out lasts a few
# seconds, long enough to kill a worker in the middle of it.
WEBHOOK_SECONDS = 0.02

# Quick retries and short claims (a killed worker's deliveries lapse in 2 s).
ENV = {
    "STATUSDESK_DELIVERY_FIRST_RETRY_SECONDS": "0.2",
    "STATUSDESK_DELIVERY_LONGEST_RETRY_SECONDS": "1",
    "STATUSDESK_DELIVERY_LEASE_SECONDS": "2",
    "STATUSDESK_DELIVERY_BATCH": "20",
    "STATUSDESK_WEBHOOK_ALLOW_PRIVATE": "1",
    "STATUSDESK_WEBHOOK_TIMEOUT_SECONDS": "5",
    "STATUSDESK_SMTP_TIMEOUT_SECONDS": "5",
    "STATUSDESK_CLIENT_IP_HEADER": "X-Real-IP",
}

USERS = """
from django.core.management import call_command
from statusdesk.accounts.roles import Role
from statusdesk.accounts.services import create_api_token, ensure_user
from statusdesk.incidents.components import ensure_default_components
call_command("collectstatic", "--noinput", "-v", "0")
ensure_default_components()
for email, role in [("manager@example.com", Role.INCIDENT_MANAGER),
                    ("developer@example.com", Role.DEVELOPER)]:
    ensure_user(email, role=role, full_name=email.split("@")[0].title(), password={password!r})
print(create_api_token("manager@example.com", name="cluster test")[1])
"""

DUE_NOW = """
from datetime import timedelta
from django.utils import timezone
from statusdesk.incidents.models import Incident
past = timezone.now() - timedelta(minutes=1)
Incident.objects.filter(pk={pk}).update(next_reminder_at=past, next_update_due_at=past)
from statusdesk.desk.tasks import send_reminders
for _ in range({times}):
    send_reminders()  # queued, as the minute's tick queues it on each worker
"""

WEBHOOK_SUBSCRIBERS = """
from tests.factories import many_webhook_subscribers
many_webhook_subscribers({count}, base_url={base!r})
"""


def note(message: str) -> None:
    print(f"[cluster] {message}", flush=True)


# --- HTTP --------------------------------------------------------------------------------------


def request(
    url: str, *, method: str = "GET", token: str = "", body: Any = None, timeout: float = 10
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    ask = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(ask, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()
    except OSError:
        return 0, b""


def answers(url: str) -> bool:
    return request(url, timeout=2)[0] == 200


@dataclass
class Cluster:
    site: Site
    env: dict[str, str | None]
    token: str
    nginx: str
    nginx_log: Path
    web: list[int]
    web_processes: list[subprocess.Popen[bytes]]
    workers: list[subprocess.Popen[bytes]]
    smtp: SmtpSink
    hooks: WebhookReceiver
    figures: dict[str, Any] = field(default_factory=dict)
    worker_starts: dict[int, int] = field(default_factory=dict)

    def url(self, which: int | None, path: str) -> str:
        """`which`: 0 or 1, a web process's own port; None: through nginx."""
        port = self.nginx if which is None else f"127.0.0.1:{self.web[which]}"
        return f"http://{port}{path}"

    def api(self, which: int | None, method: str, path: str, body: Any = None) -> Any:
        status, answer = request(
            self.url(which, "/api/v1" + path), method=method, token=self.token, body=body
        )
        assert 200 <= status < 300, f"{method} {path} → {status}: {answer[:500]!r}"
        return json.loads(answer)

    def start_web(self, index: int, *, wait: bool = True) -> subprocess.Popen[bytes]:
        port = self.web[index]
        process = self.site.start("serve", "--port", str(port), name=f"web-{index + 1}", **self.env)
        if wait:
            self.wait_web(index)
        return process

    def wait_web(self, index: int) -> None:
        wait_for(
            lambda: answers(f"http://127.0.0.1:{self.web[index]}/healthz"),
            timeout=START_SECONDS,
            what=f"web process {index + 1}",
        )

    def start_worker(self, index: int, *, wait: bool = True) -> subprocess.Popen[bytes]:
        name = f"worker-{index + 1}"
        self.worker_starts[index] = self.site.log(name).count(STARTED)  # the log is appended to
        process = self.site.start_worker(name, **self.env)
        if wait:
            self.wait_worker(index)
        return process

    def wait_worker(self, index: int) -> None:
        """Started: its start-up reminders (and start-up sweep) have run (its log says so)."""
        name = f"worker-{index + 1}"
        wait_for(
            lambda: self.site.log(name).count(STARTED) > self.worker_starts[index],
            timeout=START_SECONDS,
            what=f"{name} to start",
        )

    def published(self, which: int | None, name: str) -> int:
        """report → confirm → assign → publish, through `which`: the incident's number."""
        components = [c["id"] for c in self.api(which, "GET", "/components")][:2]
        report = self.api(
            which,
            "POST",
            "/reports",
            {
                "title": f"{name}: customers report errors",
                "description": "Several customers see errors since 09:00.",
                "reporter": "help@client.example",
                "medium": "email",
                "detection": "reactive",
                "users_affected": 12,
                "could_affect_two_or_more": True,
            },
        )
        incident = self.api(
            which,
            "POST",
            f"/reports/{report['id']}/confirm",
            {"issue_title": name, "issue_description": "Under investigation."},
        )
        number = int(incident["id"])
        self.api(
            which, "POST", f"/incidents/{number}/assign", {"developer": "developer@example.com"}
        )
        self.api(
            which,
            "POST",
            f"/incidents/{number}/publish",
            {
                "name": name,
                "message": f"{name}; we are looking into it.",
                "workaround": "Retry later.",
                "workaround_url": "https://docs.example.com/retry",
                "component_ids": components,
                "severity": "partial_outage",
            },
        )
        return number


def _redis_url(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{REDIS_DB}", "", ""))


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, redis_url: str, django_db_blocker: Any
) -> Iterator[Cluster]:
    require_program("/usr/sbin/nginx", "Debian's nginx")
    require_postgres()
    root = tmp_path_factory.mktemp("cluster")
    root.chmod(0o755)  # nginx's workers read the public files and write their cache here
    smtp = SmtpSink().start()
    hooks = WebhookReceiver(lambda path, nth: time.sleep(WEBHOOK_SECONDS) or 200).start()
    with django_db_blocker.unblock():
        site = Site(root, postgres=True)
    redis = _redis_url(redis_url)
    nginx_port, hop_port = free_port(), free_port()
    nginx = f"127.0.0.1:{nginx_port}"
    public = root / "public"
    env: dict[str, str | None] = {
        **ENV,
        **site.queue("cluster", redis),
        "STATUSDESK_SMTP_URL": smtp.url,
        "STATUSDESK_PUBLIC_DIR": str(public),
        "STATUSDESK_PUBLIC_URL": f"http://{nginx}",
        "STATUSDESK_CSRF_TRUSTED_ORIGINS": f"http://{nginx}",
    }
    nginx_process: subprocess.Popen[bytes] | None = None
    try:
        started = time.monotonic()
        site.cli("migrate", "--noinput", "-v", "0", **env)  # once, before any process starts
        migrated = time.monotonic() - started
        token = site.python(USERS.format(password=PASSWORD), **env).strip().splitlines()[-1]
        ports = [free_port(), free_port()]
        cluster = Cluster(
            site, env, token, nginx, root / "nginx" / "error.log", ports, [], [], smtp, hooks
        )
        # All four at once, as a service manager starts them.
        cluster.web_processes = [cluster.start_web(0, wait=False), cluster.start_web(1, wait=False)]
        cluster.workers = [cluster.start_worker(0, wait=False), cluster.start_worker(1, wait=False)]
        for index in (0, 1):
            cluster.wait_web(index)
            cluster.wait_worker(index)
        (root / "nginx-cache").mkdir()
        conf = nginx_main(
            root / "nginx",
            production_site(
                DEPLOY_NGINX.read_text(),
                port=nginx_port,
                hop_port=hop_port,
                upstreams=ports,
                cache=root / "nginx-cache",
                static=site.var / "static",
                public=public,
            ),
        )
        checked = subprocess.run(
            ["/usr/sbin/nginx", "-t", "-q", "-c", str(conf)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stderr
        nginx_process = subprocess.Popen(
            ["/usr/sbin/nginx", "-c", str(conf)],
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(lambda: answers(cluster.url(None, "/healthz")), what="nginx")
        note(f"started: migrated in {migrated:.1f} s, all up in {time.monotonic() - started:.1f} s")
        yield cluster
        note(f"figures: {json.dumps(cluster.figures)}")
    finally:
        if nginx_process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(nginx_process.pid, signal.SIGTERM)
            nginx_process.wait(timeout=10)
        with django_db_blocker.unblock():
            site.close()
        import redis as redis_client

        # The channel layer's keys (named after the site's queue, in the cluster's own database).
        client = redis_client.Redis.from_url(redis)
        keys = list(client.scan_iter(f"{site.queue_prefix}*:channels:*"))
        if keys:
            client.delete(*keys)
        hooks.stop()
        smtp.stop()


# --- a. the lifecycle through nginx ------------------------------------------------------------


def test_the_incident_lifecycle_through_nginx(cluster: Cluster) -> None:
    name = "Logins fail for some teams"
    number = cluster.published(None, name)
    cluster.api(
        None,
        "POST",
        f"/incidents/{number}/updates",
        {"status": "identified", "message": "A certificate expired on one login server."},
    )
    resolved = cluster.api(
        None, "POST", f"/incidents/{number}/resolve", {"message": "The certificate is renewed."}
    )
    assert resolved["status"] == "resolved"
    incident = cluster.api(None, "GET", f"/incidents/{number}")
    assert incident["status"] == "resolved"
    # The public history through nginx (a file the workers write) shows it resolved.
    wait_for(
        lambda: name.encode() in request(cluster.url(None, "/history.atom"))[1],
        timeout=10,
        what="the incident in the public history through nginx",
    )
    # Static files come from nginx itself (collectstatic's directory), with a lifetime.
    with urllib.request.urlopen(cluster.url(None, "/static/desk/desk.js"), timeout=5) as answer:
        assert answer.status == 200
        assert answer.headers["Expires"] and "max-age=604800" in answer.headers["Cache-Control"]
        assert b"websocket" in answer.read().lower()


# --- b. a change through one process, on the other's status page within a second --------------


def test_a_change_through_web_1_is_on_the_status_page_of_web_2_within_a_second(
    cluster: Cluster,
) -> None:
    number = cluster.published(0, "Exports are slow")
    cluster.figures["incident"] = number
    for where in (1, None):  # warm: the change is what is timed
        wait_for(
            lambda w=where: b"Exports are slow" in request(cluster.url(w, "/"))[1],
            timeout=10,
            what="the published incident on the status page",
        )
    marker = f"Exports are back to normal speed for {time.time_ns()}"
    cluster.api(
        0, "POST", f"/incidents/{number}/updates", {"status": "monitoring", "message": marker}
    )
    committed = time.monotonic()  # the API answered: the update is committed
    seen: dict[str, float] = {}
    deadline = committed + 10
    while len(seen) < 2 and time.monotonic() < deadline:
        for label, where in (("web 2", 1), ("nginx", None)):
            if label not in seen and marker.encode() in request(cluster.url(where, "/"))[1]:
                seen[label] = time.monotonic() - committed
        time.sleep(0.01)
    cluster.figures["visible_after_s"] = {k: round(v, 3) for k, v in seen.items()}
    note(f"b. update through web 1, on the status page after: {seen}")
    for label in ("web 2", "nginx"):
        assert label in seen, f"the update made through web 1 never reached {label}'s status page"
        assert seen[label] < VISIBLE_WITHIN, (
            f"the update made through web 1 was on {label}'s status page only "
            f"{seen[label]:.2f} s after its commit; statusdesk promises under "
            f"{VISIBLE_WITHIN:.0f} s (docs/statuspage.md)"
        )


# --- c. a desk message through one process, live in a browser on the other --------------------


def test_a_desk_message_through_web_1_reaches_browsers_on_web_2_and_through_nginx(
    cluster: Cluster, browser: Any, screenshots: Path
) -> None:
    number = cluster.figures.get("incident") or cluster.published(0, "Exports are slow")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    try:
        on_web_2 = context.new_page()
        on_web_2.goto(cluster.url(1, "/manage/login/"))
        on_web_2.get_by_label("E-mail").fill("developer@example.com")
        on_web_2.get_by_label("Password").fill(PASSWORD)
        on_web_2.get_by_role("button", name="Sign in").click()
        expect(on_web_2.get_by_role("heading", name="Dashboard")).to_be_visible()
        # The session cookie is 127.0.0.1's: the page through nginx is signed in too.
        through_nginx = context.new_page()
        for page, where in ((on_web_2, 1), (through_nginx, None)):
            page.goto(cluster.url(where, f"/manage/incidents/{number}/thread/"))
            expect(page.get_by_test_id("desk-thread")).to_have_attribute(
                "data-live", "open", timeout=10_000
            )
        text = f"Found the slow query, deploying an index ({time.time_ns()})"
        cluster.api(0, "POST", f"/incidents/{number}/thread", {"text": text})
        posted = time.monotonic()
        for page in (on_web_2, through_nginx):
            expect(page.get_by_test_id("desk-messages")).to_contain_text(text, timeout=10_000)
        cluster.figures["desk_message_live_s"] = round(time.monotonic() - posted, 3)
        note(f"c. desk message in both browsers after {time.monotonic() - posted:.2f} s")
        found = blocking(run_axe(through_nginx))
        assert not found, describe("the desk thread through nginx", found)
        through_nginx.screenshot(path=screenshots / "cluster-desk-thread.png", full_page=True)
    finally:
        context.close()  # the websockets close before web 1 is restarted below


# --- d. a due reminder, once, with two workers ------------------------------------------------


def _reminder_runs(cluster: Cluster) -> list[int]:
    pattern = re.compile(r"send_reminders: \S+ executed in")
    return [len(pattern.findall(cluster.site.log(f"worker-{i}"))) for i in (1, 2)]


def test_a_due_reminder_is_sent_once_with_two_workers(cluster: Cluster) -> None:
    number = cluster.figures.get("incident") or cluster.published(0, "Exports are slow")
    before = sum(_reminder_runs(cluster))
    queued = 6
    cluster.site.python(DUE_NOW.format(pk=number, times=queued), **cluster.env)
    subject = f"INC-{number} needs a status page update"
    wait_for(
        lambda: sum(_reminder_runs(cluster)) >= before + queued,
        timeout=30,
        what="both workers to run the queued reminder tasks",
    )
    wait_for(
        lambda: any(subject in str(m["Subject"]) for _, _, m in cluster.smtp.messages),
        timeout=10,
        what="the reminder's e-mail",
    )
    runs = _reminder_runs(cluster)
    site = cluster.site
    reminders = site.value("SELECT count(*) FROM desk_reminder WHERE incident_id = ?", number)
    posts = site.value(
        "SELECT count(*) FROM desk_message m JOIN desk_thread t ON t.id = m.thread_id "
        "WHERE t.incident_id = ? AND m.kind = 'reminder'",
        number,
    )
    mails = [m for _, _, m in cluster.smtp.messages if subject in str(m["Subject"])]
    cluster.figures["reminder"] = {"task_runs_per_worker": runs, "mails": len(mails)}
    note(f"d. reminder task runs per worker {runs}: {reminders} reminder, {len(mails)} e-mail")
    assert reminders == 1, f"{reminders} reminders for one due interval"
    assert posts == 1, f"{posts} reminder posts in the desk thread"
    assert len(mails) == 1, f"{len(mails)} reminder e-mails for one due interval"


# --- e. a web process restarted under a stream of requests ------------------------------------


def test_restarting_a_web_process_fails_no_request_through_nginx(cluster: Cluster) -> None:
    paths = ["/healthz", "/manage/login/", "/api/v1/incidents?limit=5", "/api/v1/components"]
    done: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def stream(offset: int) -> None:
        i = offset
        while not stop.is_set():
            path = paths[i % len(paths)]
            i += 1
            token = cluster.token if path.startswith("/api/") else ""
            status, _ = request(cluster.url(None, path), token=token, timeout=20)
            with lock:
                done[path] += 1
                if status != 200:
                    failures.append(f"GET {path} → {status or 'no answer'}")

    errors_before = _upstream_errors(cluster)
    threads = [threading.Thread(target=stream, args=(n,), daemon=True) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        web_1 = cluster.web_processes[0]
        stopping = time.monotonic()
        web_1.send_signal(signal.SIGTERM)
        web_1.wait(timeout=30)
        stopped = time.monotonic() - stopping
        cluster.web_processes[0] = cluster.start_web(0)
        back = time.monotonic() - stopping
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    total = sum(done.values())
    upstream_errors = _upstream_errors(cluster) - errors_before
    cluster.figures["restart"] = {
        "requests": total,
        "failed": len(failures),
        "upstream_errors": upstream_errors,
        "stopped_after_s": round(stopped, 2),
        "back_after_s": round(back, 2),
    }
    note(
        f"e. {total} GETs through nginx while web 1 stopped ({stopped:.1f} s after SIGTERM) and "
        f"came back ({back:.1f} s): {len(failures)} failed; nginx met {upstream_errors} "
        "upstream errors (each retried on the other process unless a request failed)"
    )
    assert total > 0 and all(done[path] for path in paths)
    assert not failures, (
        f"{len(failures)} of {total} idempotent requests failed through nginx while a web "
        f"process restarted (nginx should have retried them on the other): {failures[:5]}"
    )
    # Both processes answer through nginx again.
    assert answers(cluster.url(0, "/healthz")) and answers(cluster.url(1, "/healthz"))


def _upstream_errors(cluster: Cluster) -> int:
    """Attempts nginx gave up on a web process for (the stopping one), from its error log."""
    if not cluster.nginx_log.exists():
        return 0
    text = cluster.nginx_log.read_text(errors="replace")
    return len(re.findall(r"while (?:connecting to|reading response header from) upstream", text))


# --- f. a worker killed in the middle of a fan-out --------------------------------------------


def test_a_worker_killed_mid_fan_out_leaves_one_notification_per_subscriber(
    cluster: Cluster,
) -> None:
    hooks = cluster.hooks
    base = hooks.url("")
    cluster.site.python(WEBHOOK_SUBSCRIBERS.format(count=SUBSCRIBERS, base=base), **cluster.env)
    number = cluster.published(None, "Webhooks for everyone")
    event = wait_for(
        lambda: cluster.site.value(
            "SELECT id FROM core_event WHERE kind = 'incident.published' AND subject = ?",
            f"incident:{number}",
        ),
        what="the publication's event",
    )

    def arrived() -> int:
        with hooks._lock:
            return len(hooks.calls)

    wait_for(lambda: arrived() >= 30, timeout=30, what="the first webhooks to arrive")
    cluster.site.kill(cluster.workers[0])  # SIGKILL, in the middle of the sending
    at_kill = arrived()
    log = cluster.site.log("worker-1")
    begun = len(re.findall(r"Executing \S*notifications\.deliver: ", log))
    ended = len(re.findall(r"notifications\.deliver: \S+ executed in", log))
    assert begun > ended, "worker 1 was not sending when it was killed"
    sent_at_kill = cluster.site.value(
        "SELECT count(*) FROM notifications_delivery WHERE event_id = ? AND state = 'sent'", event
    )
    assert sent_at_kill < SUBSCRIBERS, "the fan-out ended before a worker could be killed"
    # A supervisor starts it again (systemd's Restart=); its start-up sweep takes back what the
    # dead one had claimed once the claims lapse, and the other worker never stopped sending.
    cluster.workers[0] = cluster.start_worker(0)

    def states() -> dict[str, int]:
        rows = cluster.site.sql(
            "SELECT state, count(*) FROM notifications_delivery WHERE event_id = ? GROUP BY state",
            event,
        )
        return {state: int(n) for state, n in rows}

    wait_for(lambda: states() == {"sent": SUBSCRIBERS}, timeout=60, what="every webhook sent")
    with hooks._lock:
        calls = [(path, headers.get("webhook-id")) for path, headers, _, _ in hooks.calls]
    ids: dict[str, set[str | None]] = {}
    for path, webhook_id in calls:
        ids.setdefault(path, set()).add(webhook_id)
    hook_paths = {f"/hook/{i}" for i in range(SUBSCRIBERS)}
    duplicates = len(calls) - len(ids)
    cluster.figures["fan_out"] = {
        "subscribers": SUBSCRIBERS,
        "arrived_at_kill": at_kill,
        "sent_at_kill": sent_at_kill,
        "batches_cut_short": begun - ended,
        "calls": len(calls),
        "same_id_again": duplicates,
    }
    note(
        f"f. worker 1 killed after {at_kill} webhooks ({sent_at_kill} marked sent): "
        f"{len(calls)} calls for {SUBSCRIBERS} subscribers, {duplicates} repeated an id"
    )
    assert set(ids) == hook_paths, "a subscriber got no notification (or an unknown path)"
    several = {path: n for path, n in ids.items() if len(n) != 1}
    assert not several, f"subscribers notified more than once: {several}"
    # On PostgreSQL each delivery is marked sent as soon as it is sent: only what the killed
    # worker's two threads had in flight went out again, with the same webhook-id.
    assert duplicates <= 2
