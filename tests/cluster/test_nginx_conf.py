"""deploy/nginx.conf's parts for several web processes, read from the file an operator copies (the
cluster test, test_cluster.py, runs the same file in front of real processes)."""

from __future__ import annotations

import re

import uvicorn

from bench.statuspage import DEPLOY_NGINX
from statusdesk.core.management.commands.serve import uvicorn_options


def _block(text: str, opening: str) -> str:
    """The body of the block that starts with `opening` (blocks nest: count the braces)."""
    start = text.index(opening + " {") + len(opening) + 2
    depth = 1
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i]
    raise AssertionError(f"{opening}: no closing brace")


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m|h)?", value)
    assert match, value
    return int(match.group(1)) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]


def _server_blocks(text: str) -> list[str]:
    blocks = []
    rest = text
    while "\nserver {" in rest:
        body = _block(rest, "\nserver")
        blocks.append(body)
        rest = rest[rest.index(body) + len(body) :]
    return blocks


def test_nginx_lets_go_of_idle_upstream_connections_before_uvicorn_closes_them() -> None:
    upstream = _block(DEPLOY_NGINX.read_text(), "upstream statusdesk")
    found = re.search(r"^\s*keepalive_timeout (\S+);", upstream, re.M)
    assert found, "upstream statusdesk has no keepalive_timeout (nginx's default is 60 s)"
    uvicorn_idle = uvicorn.Config("statusdesk.asgi:application", **uvicorn_options())
    assert _seconds(found.group(1)) < uvicorn_idle.timeout_keep_alive


def test_both_servers_retry_idempotent_requests_on_another_web_process() -> None:
    servers = _server_blocks(DEPLOY_NGINX.read_text())
    assert len(servers) == 2  # the internal hop of the micro-cache, and the site
    for server in servers:
        retry = re.search(r"proxy_next_upstream ([^;]+);", server)
        assert retry, "a server without proxy_next_upstream"
        assert {"error", "timeout", "http_502", "http_503"} <= set(retry.group(1).split())
        assert "non_idempotent" not in retry.group(1)  # a POST is never sent twice
        assert re.search(r"proxy_next_upstream_tries [2-9];", server)
        assert "proxy_next_upstream_timeout" in server


def test_websockets_pass_through_with_a_long_read_timeout_and_request_ids_reach_statusdesk() -> (
    None
):
    text = DEPLOY_NGINX.read_text()
    site = _server_blocks(text)[1]
    assert "proxy_set_header Upgrade $http_upgrade;" in site
    assert "proxy_set_header Connection $statusdesk_connection;" in site
    assert "proxy_set_header X-Request-ID $request_id;" in site
    sockets = _block(site, "location /ws/")
    assert "proxy_pass http://statusdesk;" in sockets
    # The location sets no header of its own (it would lose the server's, Upgrade included).
    assert "proxy_set_header" not in sockets
    read = re.search(r"proxy_read_timeout (\S+);", sockets)
    assert read and _seconds(read.group(1)) >= 600
    # The internal hop passes the site's request id on.
    assert "proxy_set_header X-Request-ID $http_x_request_id;" in _server_blocks(text)[0]
    # nginx's own log line carries the same id, so that one request is found in both logs.
    log_format = re.search(r"log_format statusdesk (.*?);", text, re.S)
    assert log_format and "request_id=$request_id" in log_format.group(1)
    assert "access_log /var/log/nginx/statusdesk.access.log statusdesk;" in site
