"""Delivery through real processes and real faults: a `statusdesk shell` publishes an incident, a
`statusdesk worker` fans it out and sends it to a real SMTP server (aiosmtpd) and real webhook
receivers on 127.0.0.1 in this test process. The SMTP server refuses, goes away, the worker is
killed with SIGKILL, a receiver fails or never answers: every subscriber still gets exactly one
copy, counted by Message-ID (or webhook-id) at the receiver.

Each test runs with the SQLite queue and with Redis; on the PostgreSQL pass of `make test` the
site's database is PostgreSQL. Retries are made quick by settings (a fraction of a second), and
every wait is on a condition with a deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from statusdesk.notifications.services import mark_sent_every
from tests.notifications.receivers import SmtpSink, WebhookReceiver, free_port
from tests.processes import Site, a_site, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.processes]

# Quick retries and short claims, so that the faults play out in seconds.
FAST = {
    "STATUSDESK_DELIVERY_FIRST_RETRY_SECONDS": "0.2",
    "STATUSDESK_DELIVERY_LONGEST_RETRY_SECONDS": "1",
    "STATUSDESK_DELIVERY_ATTEMPTS": "10",
    "STATUSDESK_DELIVERY_LEASE_SECONDS": "2",
    "STATUSDESK_DELIVERY_BATCH": "50",
    "STATUSDESK_SMTP_TIMEOUT_SECONDS": "2",
    "STATUSDESK_WEBHOOK_TIMEOUT_SECONDS": "1",
    "STATUSDESK_WEBHOOK_ALLOW_PRIVATE": "1",
    "STATUSDESK_LOG_LEVEL": "WARNING",
}

PUBLISH = """
from django.utils import timezone
from statusdesk.accounts.roles import Role
from statusdesk.accounts.services import ensure_user
from statusdesk.incidents.components import ensure_default_components
from statusdesk.incidents.models import Component
from statusdesk.notifications.models import Subscriber
from tests.factories import a_published_incident, a_subscriber, many_confirmed_subscribers

ensure_default_components()
components = list(Component.objects.order_by("position"))
admin, _ = ensure_user("admin@example.com", role=Role.ADMINISTRATOR, password="pw-123456789")
manager, _ = ensure_user("manager@example.com", role=Role.INCIDENT_MANAGER, password="pw-123456789")
developer, _ = ensure_user("developer@example.com", role=Role.DEVELOPER, password="pw-123456789")
# Only this test's subscribers are notified.
Subscriber.objects.filter(unsubscribed_at__isnull=True).update(unsubscribed_at=timezone.now())
many_confirmed_subscribers({emails}, domain={domain!r})
for url in {webhooks!r}:
    a_subscriber(admin, email=None, webhook_url=url)
incident = a_published_incident(manager, developer, components)
print(incident.pk)
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> Iterator[Site]:
    with django_db_blocker.unblock(), a_site(tmp_path_factory.mktemp("site")) as site:
        yield site


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    if request.param == "redis-queue":
        return "redis", request.getfixturevalue("redis_url")
    return "sqlite", None


def _env(site: Site, label: str, queue: tuple[str, str | None], **extra: str) -> dict[str, Any]:
    return {**FAST, **site.queue(f"{label}-{queue[0]}", queue[1]), **extra}


def _publish(
    site: Site,
    env: dict[str, Any],
    *,
    emails: int = 0,
    domain: str = "x.example",
    webhooks: list[str] | None = None,
) -> int:
    """Publish an incident for `emails` new e-mail subscribers (and webhooks); its event id."""
    code = PUBLISH.format(emails=emails, domain=domain, webhooks=webhooks or [])
    incident = int(site.python(code, **env).strip().splitlines()[-1])
    return int(
        site.value(
            "SELECT id FROM core_event WHERE kind = 'incident.published' AND subject = ?",
            f"incident:{incident}",
        )
    )


def _states(site: Site, event: int) -> dict[str, int]:
    rows = site.sql(
        "SELECT state, COUNT(*) FROM notifications_delivery WHERE event_id = ? GROUP BY state",
        event,
    )
    return {state: int(n) for state, n in rows}


def _all_sent(site: Site, event: int, count: int) -> bool:
    return _states(site, event) == {"sent": count}


def _exactly_once(sink: SmtpSink, domain: str, count: int) -> None:
    ids = sink.ids_per_recipient()
    recipients = {rcpt for rcpt in ids if rcpt.endswith("@" + domain)}
    assert recipients == {f"s{i}@{domain}" for i in range(count)}
    assert all(len(ids[rcpt]) == 1 for rcpt in recipients), "a recipient got two messages"


def test_smtp_refusing_the_first_attempts_then_accepting_delivers_each_once(
    site: Site, queue: tuple[str, str | None]
) -> None:
    sink = SmtpSink(refuse_first=15).start()
    try:
        env = _env(site, "refusals", queue, STATUSDESK_SMTP_URL=sink.url)
        worker = site.start_worker(f"refusals-{queue[0]}", **env)
        event = _publish(site, env, emails=40, domain="refusals.example")
        wait_for(lambda: _all_sent(site, event, 40), timeout=60, what="every e-mail sent")
        site.stop(worker)
        assert sink.refused == 15
        _exactly_once(sink, "refusals.example", 40)
        assert sum(sink.copies().values()) == 40
    finally:
        sink.stop()


def test_smtp_down_for_a_while_then_back_delivers_each_once(
    site: Site, queue: tuple[str, str | None]
) -> None:
    port = free_port()
    env = _env(site, "down", queue, STATUSDESK_SMTP_URL=f"smtp://127.0.0.1:{port}")
    worker = site.start_worker(f"down-{queue[0]}", **env)
    event = _publish(site, env, emails=30, domain="down.example")

    def every_one_tried_twice() -> bool:
        fewest = site.value(
            "SELECT MIN(attempts) FROM notifications_delivery WHERE event_id = ?", event
        )
        return fewest is not None and int(fewest) >= 2

    wait_for(every_one_tried_twice, timeout=30, what="the deliveries to be retried")
    assert "sent" not in _states(site, event)
    sink = SmtpSink(port).start()  # the server comes back
    try:
        wait_for(lambda: _all_sent(site, event, 30), timeout=60, what="every e-mail sent")
        site.stop(worker)
        _exactly_once(sink, "down.example", 30)
        assert sum(sink.copies().values()) == 30
    finally:
        sink.stop()


def test_a_worker_killed_mid_fan_out_leaves_each_subscriber_exactly_one_copy(
    site: Site, queue: tuple[str, str | None]
) -> None:
    total = 2000
    sink = SmtpSink().start()
    try:
        env = _env(site, "kill", queue, STATUSDESK_SMTP_URL=sink.url)
        first = site.start_worker(f"kill-1-{queue[0]}", **env)
        event = _publish(site, env, emails=total, domain="kill.example")
        wait_for(lambda: sink.count() >= 300, timeout=60, what="the first e-mails to arrive")
        site.kill(first)  # SIGKILL, in the middle of the sending
        arrived = sink.count()
        assert arrived < total, "the worker finished before it could be killed"
        states = _states(site, event)
        assert sum(states.values()) == total and states.get("sent", 0) < total
        second = site.start_worker(f"kill-2-{queue[0]}", **env)
        wait_for(lambda: _all_sent(site, event, total), timeout=90, what="every e-mail sent")
        site.stop(second)
        _exactly_once(sink, "kill.example", total)
        # At most the messages sent but not yet marked when the worker died (mark_sent_every() per
        # worker thread: 20 on SQLite, the one in flight on PostgreSQL) arrived twice, each with
        # the same Message-ID, so the receiver can tell.
        assert sum(sink.copies().values()) - total <= 2 * mark_sent_every()
    finally:
        sink.stop()


def test_webhooks_failing_then_answering_and_one_never_answering(
    site: Site, queue: tuple[str, str | None]
) -> None:
    def answer(path: str, nth: int) -> int | None:
        if path == "/hang":
            return None
        if path == "/flaky" and nth == 1:
            return 500
        return 200

    receiver = WebhookReceiver(answer).start()
    try:
        env = _env(site, "webhooks", queue, STATUSDESK_DELIVERY_ATTEMPTS="3")
        worker = site.start_worker(f"webhooks-{queue[0]}", **env)
        urls = [receiver.url(p) for p in ("/ok", "/flaky", "/hang")]
        event = _publish(site, env, webhooks=urls)
        wait_for(
            lambda: _states(site, event) == {"sent": 2, "failed": 1},
            timeout=60,
            what="two webhooks delivered and one dead-lettered",
        )
        site.stop(worker)
        secrets = dict(
            site.sql(
                "SELECT webhook_url, secret FROM notifications_subscriber "
                "WHERE unsubscribed_at IS NULL"
            )
        )
        for path in ("/ok", "/flaky"):
            [(headers, body)] = receiver.delivered(path)
            payload = Webhook(secrets[receiver.url(path)]).verify(body, headers)
            assert payload["incident"]["status"] == "identified"
        assert receiver.tries("/flaky") == 2
        assert receiver.tries("/hang") == 3
        error = site.value(
            "SELECT last_error FROM notifications_delivery WHERE event_id = ? AND state = 'failed'",
            event,
        )
        assert "timed out" in error.lower() or "timeout" in error.lower(), error
    finally:
        receiver.stop()


def test_a_log_of_the_worker_shows_no_server_fault(site: Site, tmp_path: Path) -> None:
    """The workers above logged no traceback of ours (a delivery that failed is a warning)."""
    logs = "".join(path.read_text(errors="replace") for path in site.logs.glob("*.log"))
    assert "could not be built" not in logs
