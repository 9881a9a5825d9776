"""Two real web processes (`statusdesk serve`) sharing PROMETHEUS_MULTIPROC_DIR, with
STATUSDESK_LOG_FORMAT=json: a scrape of either counts the requests both answered, and each process
writes one JSON line per request, with the id nginx would send."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.processes import Site, a_site, wait_for
from tests.statuspage.test_processes import free_port, get

pytestmark = [pytest.mark.django_db, pytest.mark.processes]

TOKEN = "process-scrape-token-0123456789"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> Iterator[Site]:
    with django_db_blocker.unblock(), a_site(tmp_path_factory.mktemp("metrics-site")) as site:
        yield site


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()


def healthz_count(body: bytes) -> float:
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if (
                sample.name == "statusdesk_http_request_duration_seconds_count"
                and sample.labels
                == {
                    "route": "/healthz",
                    "method": "GET",
                    "status": "2xx",
                }
            ):
                return sample.value
    return 0.0


def json_request_lines(site: Site, name: str) -> list[dict[str, Any]]:
    lines = []
    for text in site.log(name).splitlines():
        if text.startswith("{"):
            line = json.loads(text)
            if line.get("logger") == "statusdesk.requests":
                lines.append(line)
    return lines


def test_two_processes_add_up_their_requests_and_log_json_lines(site: Site, tmp_path: Path) -> None:
    shared = tmp_path / "prometheus"
    shared.mkdir()  # emptied before the processes start, as docs/deploy.md says
    env: dict[str, str | None] = {
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
        "STATUSDESK_METRICS_TOKEN": TOKEN,
        "STATUSDESK_LOG_FORMAT": "json",
        **site.queue("metrics"),
    }
    ports = []
    for name in ("web-a", "web-b"):
        port = free_port()
        site.start("serve", "--port", str(port), name=name, **env)
        ports.append(port)
    # Ready when /rules/ answers: the /healthz count starts at nothing.
    for port in ports:
        wait_for(lambda port=port: get(port, "/rules/")[0] == 200, timeout=60, what="serve")
    bearer = {"Authorization": f"Bearer {TOKEN}"}

    for _ in range(3):
        fetch(ports[0], "/healthz", {})
    for n in range(2):
        status, headers, _ = fetch(ports[1], "/healthz", {"X-Request-ID": f"nginx-request-{n:04d}"})
        assert status == 200 and headers["x-request-id"] == f"nginx-request-{n:04d}"

    # Either process answers the sum of both processes' requests. A request is counted just
    # after its answer is sent, so the last one may take a moment to show.
    def counts() -> list[float]:
        return [healthz_count(fetch(port, "/metrics", bearer)[2]) for port in ports]

    wait_for(lambda: counts() == [5, 5], timeout=10, what="both processes' five requests")
    assert counts() == [5, 5]

    def proxied() -> list[dict[str, Any]]:
        return [
            line
            for line in json_request_lines(site, "web-b")
            if line["request_id"].startswith("nginx-request-")
        ]

    # A request's line is written just after its answer is sent: wait for both.
    wait_for(lambda: len(proxied()) >= 2, timeout=10, what="web-b's request lines")
    lines = proxied()
    assert [line["request_id"] for line in lines] == ["nginx-request-0000", "nginx-request-0001"]
    assert all(line["route"] == "/healthz" and line["status"] == 200 for line in lines)
    # uvicorn's own lines come through the same JSON log.
    assert any(
        json.loads(text).get("logger", "").startswith("uvicorn")
        for text in site.log("web-a").splitlines()
        if text.startswith("{")
    )
    # Every line the web processes wrote is a JSON object, their start-up lines too.
    for name in ("web-a", "web-b"):
        written = [text for text in site.log(name).splitlines() if text.strip()]
        not_json = [text for text in written if not text.startswith("{")]
        assert not not_json, f"{name} wrote lines that are not JSON: {not_json}"
        loggers = {json.loads(text).get("logger") for text in written}
        assert {"statusdesk.startup", "statusdesk.serve", "statusdesk.requests"} <= loggers
    # No line of the scrapes shows the token.
    assert TOKEN not in site.log("web-a") + site.log("web-b")
