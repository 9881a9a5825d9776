"""/metrics (statusdesk.core.metrics): who may scrape it, that Prometheus can read it, and that its
figures are those of a known state."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from statusdesk.accounts.models import User
from statusdesk.core import reactions
from statusdesk.core.metrics import process_registry
from statusdesk.core.metrics_access import check_token, parse_networks
from statusdesk.core.models import Event, ReactionRun
from statusdesk.incidents import services
from statusdesk.incidents.models import Component
from statusdesk.notifications.models import Delivery, DeliveryState
from tests.core.test_request_log import _connections_kept, asgi_get  # noqa: F401 (a fixture)
from tests.factories import (
    a_confirmed_incident,
    a_published_incident,
    a_resolved_incident,
    a_subscriber,
    an_assigned_incident,
    publication,
)

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789abcdef"


def figures(body: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, as Prometheus's own parser reads it."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


# --- who may scrape ---------------------------------------------------------------------------


def test_metrics_are_off_unless_a_token_or_networks_are_set(client: Client, settings: Any) -> None:
    settings.STATUSDESK_METRICS_TOKEN = ""
    settings.STATUSDESK_METRICS_ALLOW = []
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_the_token_must_be_the_right_one(client: Client, settings: Any) -> None:
    settings.STATUSDESK_METRICS_TOKEN = TOKEN
    settings.STATUSDESK_METRICS_ALLOW = []
    missing = client.get("/metrics")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 401
    right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200
    assert right["Content-Type"].startswith("text/plain; version=")
    assert "no-cache" in right["Cache-Control"] or "max-age=0" in right["Cache-Control"]
    assert client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405


def test_the_allowed_networks_are_those_of_the_client_address(
    client: Client, settings: Any
) -> None:
    settings.STATUSDESK_METRICS_TOKEN = ""
    settings.STATUSDESK_METRICS_ALLOW = parse_networks("10.0.0.0/8, 2001:db8::/32")
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="2001:db8::7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 403
    # Behind a trusted proxy: the address it reports (the last hop of X-Forwarded-For) counts.
    settings.STATUSDESK_CLIENT_IP_HEADER = "X-Forwarded-For"
    behind = {"X-Forwarded-For": "10.9.9.9, 192.0.2.1"}
    assert client.get("/metrics", headers=behind, REMOTE_ADDR="10.0.0.1").status_code == 403
    behind = {"X-Forwarded-For": "192.0.2.1, 10.9.9.9"}
    assert client.get("/metrics", headers=behind, REMOTE_ADDR="127.0.0.1").status_code == 200


def test_with_both_set_a_scrape_needs_both(client: Client, settings: Any) -> None:
    settings.STATUSDESK_METRICS_TOKEN = TOKEN
    settings.STATUSDESK_METRICS_ALLOW = parse_networks("10.0.0.0/8")
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", headers=bearer, REMOTE_ADDR="10.0.0.5").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5").status_code == 401
    assert client.get("/metrics", headers=bearer, REMOTE_ADDR="192.0.2.1").status_code == 403


def test_bad_settings_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="STATUSDESK_METRICS_ALLOW: 'ten' is not a network"):
        parse_networks("10.0.0.0/8,ten")
    with pytest.raises(ValueError, match="STATUSDESK_METRICS_TOKEN must be at least 16"):
        check_token("short")
    assert check_token("") == ""
    assert [str(n) for n in parse_networks("127.0.0.1, 10.1.2.3/8")] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
    ]


# --- what it says -----------------------------------------------------------------------------


def test_the_figures_are_those_of_the_database(
    client: Client,
    settings: Any,
    admin_user: User,
    manager: User,
    developer: User,
    components: list[Component],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Two open partial outages (one with its update overdue), a major outage, one incident not
    published yet, one resolved; deliveries in each state; a reaction pending for 5 minutes and
    due for 2, and one failed for good."""
    settings.STATUSDESK_METRICS_TOKEN = TOKEN
    settings.STATUSDESK_METRICS_ALLOW = []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    start = timezone.now().replace(microsecond=0)
    for n in range(5):
        a_subscriber(admin_user, email=f"subscriber{n}@client.example")
    with time_machine.travel(start, tick=False):
        # Reminders every 30 minutes: the next update is due 30 minutes after the publication.
        late = an_assigned_incident(manager, developer)
        with django_capture_on_commit_callbacks(execute=True):
            services.publish_incident(
                actor=manager,
                incident=late,
                reminder_interval_minutes=30,
                **publication(components, severity="partial_outage"),
            )
    now = start + timedelta(hours=1)
    with time_machine.travel(now, tick=False):
        with django_capture_on_commit_callbacks(execute=True):  # their reactions run, and send
            a_published_incident(manager, developer, components, severity="partial_outage")
            a_published_incident(manager, developer, components, severity="major_outage")
            a_confirmed_incident(manager)
            a_resolved_incident(manager, developer, components, severity="major_outage")
        # The worker has caught up (the fixtures' own events included): nothing is owed.
        reactions.sweep(grace=timedelta(0))
        assert not ReactionRun.objects.filter(handled_at__isnull=True).exists()
        assert not Delivery.objects.exclude(state=DeliveryState.SENT).exists()

        # The five deliveries of the first publication, sent (immediate mode): put into each state.
        deliveries = list(
            Delivery.objects.filter(update__incident=late)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        assert len(deliveries) == 5
        for pk, state in zip(
            deliveries,
            [
                DeliveryState.QUEUED,
                DeliveryState.RETRYING,
                DeliveryState.RETRYING,
                DeliveryState.FAILED,
                DeliveryState.SENT,
            ],
            strict=True,
        ):
            Delivery.objects.filter(pk=pk).update(state=state)

        event = Event.objects.filter(subject=f"incident:{late.pk}").first()
        assert event is not None
        ReactionRun.objects.create(
            event=event,
            reaction="tests.metrics_pending",
            created_at=now - timedelta(minutes=5),
            due_at=now - timedelta(minutes=2),
        )
        ReactionRun.objects.create(
            event=event,
            reaction="tests.metrics_failed",
            created_at=now - timedelta(minutes=30),
            due_at=now - timedelta(minutes=29),
            failed_at=now - timedelta(minutes=20),
        )
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    found = figures(answer.content)

    def value(name: str, **labels: str) -> float:
        return found[(name, tuple(sorted(labels.items())))]

    assert value("statusdesk_figures_up") == 1
    assert value("statusdesk_open_incidents", severity="partial_outage") == 2
    assert value("statusdesk_open_incidents", severity="major_outage") == 1
    assert value("statusdesk_open_incidents", severity="degraded_performance") == 0
    assert value("statusdesk_open_incidents", severity="unpublished") == 1
    assert value("statusdesk_incidents_update_overdue") == 1
    assert value("statusdesk_deliveries", state="queued") == 1
    assert value("statusdesk_deliveries", state="retrying") == 2
    assert value("statusdesk_deliveries", state="sending") == 0
    assert value("statusdesk_deliveries", state="failed") == 1
    assert value("statusdesk_reaction_runs", state="pending") == 1
    assert value("statusdesk_reaction_runs", state="failed") == 1
    assert value("statusdesk_reaction_lag_seconds") == 120
    assert value("statusdesk_oldest_unhandled_event_age_seconds") == 300


def test_a_database_that_does_not_answer_is_a_figure_not_a_failed_scrape(
    client: Client, settings: Any, caplog: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    from django.db import OperationalError

    from statusdesk.core import metrics

    def down() -> dict[str, Any]:
        raise OperationalError("connection refused")

    settings.STATUSDESK_METRICS_TOKEN = TOKEN
    settings.STATUSDESK_METRICS_ALLOW = []
    monkeypatch.setattr(metrics, "product_figures", down)
    with caplog.at_level(logging.ERROR, logger="statusdesk.core.metrics"):
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert figures(answer.content)[("statusdesk_figures_up", ())] == 0
    assert "could not be read" in caplog.text


def test_requests_are_counted_by_route_method_and_status_class(
    client: Client, settings: Any
) -> None:
    settings.STATUSDESK_METRICS_TOKEN = TOKEN
    settings.STATUSDESK_METRICS_ALLOW = []

    def count(route: str, status: str) -> float:
        return (
            process_registry.get_sample_value(
                "statusdesk_http_request_duration_seconds_count",
                {"route": route, "method": "GET", "status": status},
            )
            or 0.0
        )

    before = (
        count("/healthz", "2xx"),
        count("/incidents/<int:pk>", "4xx"),
        count("unmatched", "4xx"),
    )
    asgi_get("/healthz")
    asgi_get("/healthz")
    asgi_get("/incidents/999999")  # a route, with an id that does not exist: 404
    asgi_get("/no/such/page/8f3a")
    after = count("/healthz", "2xx"), count("/incidents/<int:pk>", "4xx"), count("unmatched", "4xx")
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1]
    # And in the exposition, labelled by the route, never the raw path.
    body = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).content
    samples = figures(body)
    routes = {
        dict(labels)["route"]
        for (name, labels) in samples
        if name == "statusdesk_http_request_duration_seconds_count"
    }
    assert "/healthz" in routes and "/incidents/<int:pk>" in routes
    assert not any("999999" in r or "8f3a" in r for r in routes)
