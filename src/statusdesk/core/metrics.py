"""Prometheus metrics at /metrics (prometheus-client): request latency, and the product's figures.

Two kinds of figure:

- **Per process**: the request latency histogram, by route (the URL pattern, never the raw path),
  method and status class; its `_count` is the request count. Each web process measures its own
  requests. With PROMETHEUS_MULTIPROC_DIR set (a directory emptied before the processes start,
  docs/deploy.md) prometheus-client's multiprocess mode keeps them in files there, and whichever
  process answers a scrape adds up every process's; without it, a scrape shows the answering
  process's own (and its process_* figures).
- **The product's**, read from the database at scrape time (`ProductFigures`): open incidents by
  severity, incidents with an overdue update, deliveries by state, the reactions' backlog and lag,
  the oldest unhandled event's age. The same whichever process answers; a handful of counts, each
  off an index (docs/deploy.md lists them).

The endpoint is off unless STATUSDESK_METRICS_TOKEN or STATUSDESK_METRICS_ALLOW is set (404 then,
as for any unknown address); with both set, a scrape needs both.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from statusdesk.accounts.throttling import client_address
from statusdesk.core.metrics_access import Network

log = logging.getLogger(__name__)

# --- per process: requests --------------------------------------------------------------------

# Each process's own registry (the multiprocess mode reads every process's files instead).
process_registry = CollectorRegistry()
ProcessCollector(registry=process_registry)

REQUEST_SECONDS = Histogram(
    "statusdesk_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (URL pattern), method and status class; "
    "_count is the number of requests.",
    ["route", "method", "status"],
    registry=process_registry,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(*, route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request (statusdesk.core.request_record)."""
    REQUEST_SECONDS.labels(
        route=route,
        method=method if method in METHODS else "other",
        status=f"{status // 100}xx",
    ).observe(seconds)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# --- the product's figures, at scrape time ----------------------------------------------------

SEVERITY_UNSET = "unpublished"


class ProductFigures(Collector):
    """statusdesk's own figures, read from the database when Prometheus scrapes."""

    def describe(self) -> Iterable[Metric]:
        # Registering must not query the database: the families, empty.
        return list(self._families())

    def collect(self) -> Iterable[Metric]:
        try:
            figures = product_figures()
        except DatabaseError:
            log.exception("metrics: the product's figures could not be read")
            up = GaugeMetricFamily(
                "statusdesk_figures_up", "1 when the product's figures were read from the database"
            )
            up.add_metric([], 0)
            return [up]
        return list(self._families(figures))

    @staticmethod
    def _families(figures: dict[str, Any] | None = None) -> Iterator[Metric]:
        from statusdesk.incidents.models import Severity

        up = GaugeMetricFamily(
            "statusdesk_figures_up", "1 when the product's figures were read from the database"
        )
        incidents = GaugeMetricFamily(
            "statusdesk_open_incidents",
            f"Incidents not resolved, by severity ({SEVERITY_UNSET}: not yet published).",
            labels=["severity"],
        )
        overdue = GaugeMetricFamily(
            "statusdesk_incidents_update_overdue",
            "Open incidents whose next public update was due and has not been posted (R10).",
        )
        deliveries = GaugeMetricFamily(
            "statusdesk_deliveries",
            "Notification deliveries still owed (queued, sending, retrying) or failed for good.",
            labels=["state"],
        )
        runs = GaugeMetricFamily(
            "statusdesk_reaction_runs",
            "Reactions after commit not run yet (pending) or given up on (failed).",
            labels=["state"],
        )
        lag = GaugeMetricFamily(
            "statusdesk_reaction_lag_seconds",
            "How long the longest-waiting reaction that is due has been due (0: none is late).",
        )
        oldest = GaugeMetricFamily(
            "statusdesk_oldest_unhandled_event_age_seconds",
            "Age of the oldest event with a reaction still pending (0: none).",
        )
        if figures is not None:
            up.add_metric([], 1)
            by_severity = figures["incidents"]["by_severity"]
            for severity in [SEVERITY_UNSET, *(s for s in Severity.values)]:
                key = "" if severity == SEVERITY_UNSET else severity
                incidents.add_metric([severity], by_severity.get(key, 0))
            overdue.add_metric([], figures["incidents"]["update_overdue"])
            for state, count in figures["deliveries"].items():
                deliveries.add_metric([state], count)
            backlog = figures["reactions"]
            runs.add_metric(["pending"], backlog["pending"])
            runs.add_metric(["failed"], backlog["failed"])
            lag.add_metric([], backlog["lag_seconds"])
            oldest.add_metric([], backlog["oldest_pending_seconds"])
        yield from (up, incidents, overdue, deliveries, runs, lag, oldest)


def product_figures() -> dict[str, Any]:
    """Each app's own read of its figures (no query written twice)."""
    from statusdesk.core.reactions import backlog
    from statusdesk.incidents.queries import open_incident_figures
    from statusdesk.notifications.services import delivery_backlog

    return {
        "incidents": open_incident_figures(timezone.now()),
        "deliveries": delivery_backlog(),
        "reactions": backlog(),
    }


product_collector = ProductFigures()
process_registry.register(product_collector)


def exposition() -> bytes:
    """The text Prometheus scrapes: every process's requests (multiprocess) or this one's, and the
    product's figures."""
    directory = multiprocess_dir()
    if directory is None:
        return generate_latest(process_registry)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    registry.register(product_collector)
    return generate_latest(registry)


# --- who may scrape ---------------------------------------------------------------------------


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def _refusal(status: int, reason: str) -> HttpResponse:
    response = HttpResponse(f"{reason}\n", status=status, content_type="text/plain")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token: str = settings.STATUSDESK_METRICS_TOKEN
    networks: list[Network] = settings.STATUSDESK_METRICS_ALLOW
    if not token and not networks:
        raise Http404("metrics are off")  # off by default: nothing says they exist
    if networks:
        address = client_address(request)
        allowed = address is not None and any(
            ipaddress.ip_address(address) in network for network in networks
        )
        if not allowed:
            return _refusal(403, "metrics: this address may not scrape")
    if token:
        given = _bearer(request)
        if given is None or not hmac.compare_digest(given.encode(), token.encode()):
            return _refusal(401, "metrics: a bearer token is needed")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
