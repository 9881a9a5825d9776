"""bench/statuspage.py's own parts, without running a benchmark: the wrk report parser, and
deploy/nginx.conf as the bench turns it into the production set-up (which paths it caches)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bench.statuspage import DEPLOY_NGINX, nginx_main, parse_wrk, production_site
from tests.conftest import require_program

WRK_CLEAN = """\
Running 10s test @ http://127.0.0.1:8000/api/v2/summary.json
  2 threads and 256 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.01ms    3.12ms  48.40ms   75.21%
    Req/Sec    15.98k     1.23k   19.01k    71.00%
  Latency Distribution
     50%    7.60ms
     75%    9.41ms
     90%   11.80ms
     99%   19.25ms
  318011 requests in 10.01s, 1.55GB read
Requests/sec:  31769.33
Transfer/sec:    158.68MB
"""

WRK_ERRORS = """\
Running 30s test @ http://127.0.0.1:8000/
  2 threads and 256 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.30s   420.00ms   2.00s    70.00%
    Req/Sec    90.12     40.00   200.00     66.00%
  Latency Distribution
     50%    1.30s
     75%    1.60s
     90%    1.90s
     99%  850.00us
  5372 requests in 30.02s, 25.10MB read
  Socket errors: connect 0, read 3, write 0, timeout 120
  Non-2xx or 3xx responses: 17
Requests/sec:    178.95
Transfer/sec:    856.21KB
"""


def test_wrk_report_parsed() -> None:
    result = parse_wrk(WRK_CLEAN)
    assert result.requests == 318011
    assert result.seconds == pytest.approx(10.01)
    assert result.rps == pytest.approx(31769.33)
    assert result.p50_ms == pytest.approx(7.6)
    assert result.p99_ms == pytest.approx(19.25)
    assert result.failed == 0


def test_wrk_units_and_errors_counted() -> None:
    result = parse_wrk(WRK_ERRORS)
    assert result.p50_ms == pytest.approx(1300.0)
    assert result.p99_ms == pytest.approx(0.85)
    assert result.seconds == pytest.approx(30.02)
    assert result.errors == {"connect": 0, "read": 3, "write": 0, "timeout": 120}
    assert result.non_2xx == 17
    assert result.failed == 140


def test_wrk_report_without_latency_refused() -> None:
    with pytest.raises(ValueError):
        parse_wrk(WRK_CLEAN.replace("     99%   19.25ms\n", ""))


def _site(tmp_path: Path) -> str:
    return production_site(
        DEPLOY_NGINX.read_text(),
        port=18080,
        hop_port=18079,
        upstreams=[18001, 18002, 18003],
        cache=tmp_path / "cache",
        static=tmp_path / "static",
        public=tmp_path / "public",
    )


def test_production_site_is_the_documented_one_with_the_bench_ports(tmp_path: Path) -> None:
    site = _site(tmp_path)
    upstream = re.search(r"upstream statusdesk \{(.*?)\}", site, re.S)
    assert upstream is not None
    assert re.findall(r"server (\S+);", upstream.group(1)) == [
        "127.0.0.1:18001",
        "127.0.0.1:18002",
        "127.0.0.1:18003",
    ]
    assert "listen 127.0.0.1:18080;" in site
    assert "listen 80;" not in site and "[::]" not in site
    assert str(tmp_path / "cache") in site
    # Everything else is the file an operator copies, line for line.
    documented = DEPLOY_NGINX.read_text()
    assert documented.count("proxy_cache") == site.count("proxy_cache")
    assert documented.count("location") == site.count("location")


def _reaches_cache(path: str, documented: str) -> bool:
    """Whether a request for `path` can reach the micro-cache (the named location), by nginx's
    choice of location: an exact match first, then the regular expressions, else `/`."""
    locations = re.findall(r"^    location (=|~)? ?(\S+) \{(.*?)^    \}", documented, re.S | re.M)
    exact = [body for kind, pattern, body in locations if kind == "=" and pattern == path]
    regex = [body for kind, pattern, body in locations if kind == "~" and re.search(pattern, path)]
    chosen = (exact or regex or [""])[0]
    return "@statusdesk_public" in chosen


def test_only_the_public_paths_are_cached() -> None:
    documented = DEPLOY_NGINX.read_text()
    # One cache, in one location: the named one the public paths fall back to.
    assert documented.count("proxy_cache statusdesk;") == 1
    assert re.search(r"location @statusdesk_public \{[^}]*proxy_cache statusdesk;", documented)
    public = ["/", "/api/v2/summary.json", "/api/v2/incidents/unresolved.json", "/history.atom"]
    for path in [*public, "/badge.svg"]:
        assert _reaches_cache(path, documented), path
    private = ["/manage/", "/api/v1/incidents", "/admin/", "/login/", "/rules/", "/healthz"]
    # A directory of the public files is no page: statusdesk answers it (404), not nginx (403).
    for path in [*private, "/api/v2/", "/api/v2/incidents/"]:
        assert not _reaches_cache(path, documented), path
    # Nor for a signed-in browser or an API client, on those paths either.
    assert "proxy_cache_bypass $statusdesk_private;" in documented
    assert "proxy_no_cache $statusdesk_private;" in documented


def test_nginx_accepts_the_production_site(tmp_path: Path) -> None:
    require_program("/usr/sbin/nginx", "Debian's nginx")
    conf = nginx_main(tmp_path / "nginx", _site(tmp_path))
    (tmp_path / "cache").mkdir()
    checked = subprocess.run(
        ["/usr/sbin/nginx", "-t", "-q", "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
