"""The production set-up with one and with two web processes: does a second process add capacity?

    python -m bench.cluster [--duration 10] [--rounds 3] [--connections 32] [--markdown]
    (make bench-cluster; BENCH_ARGS="--rounds 3 --duration 10" for a quick run)

Starts, in a temporary directory on ports of its own, the set-up of docs/deploy.md: two
`statusdesk serve` web processes and a `statusdesk worker` on PostgreSQL (a database of its own,
created and dropped here) and Redis (a database number of its own, flushed before and after),
seeded with `statusdesk seed-demo` and an active incident, and two nginx processes running
deploy/nginx.conf (bench/statuspage.py's rendering of it): one whose upstream lists web process 1
only, one that lists both. Then `wrk --latency` through each nginx, round after round (one, two,
and the other way round the next round, as the machine's load drifts), at:

- `/`, the public status page: a file the worker writes, which nginx serves itself (the web
  processes never see these requests: their number should change nothing);
- `/manage/`, the console's dashboard, where every sign-in lands and which reads the most (counts,
  the open incidents, the overdue ones), signed in as the demo's Incident Manager with a session
  cookie: every request is Django's.

Prints requests/s, p50, p99 and errors for each (medians of the rounds) and the 2-vs-1 ratio of
requests/s, round by round. wrk runs on the same machine and takes its share of the cores.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import statistics
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from bench.statuspage import (
    Row,
    Site,
    fetch,
    log,
    open_incident,
    production_front,
    run_wrk,
    start_production,
)

PATHS = ["/", "/manage/"]
DEMO_PASSWORD = "bench-cluster-demo"
CONSOLE_USER = "manager@example.com"


@dataclass
class Front:
    """An nginx in front of some of the web processes."""

    name: str
    base: str
    web_processes: int


def session_cookie(base: str, email: str, password: str) -> str:
    """Sign in through the console's form (as a browser does): the Cookie header it leaves."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/manage/login/", timeout=30) as answer:
        page = answer.read().decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not found:
        raise SystemExit("the sign-in page has no CSRF token")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": found.group(1), "username": email, "password": password}
    ).encode()
    with opener.open(base + "/manage/login/", data=form, timeout=30) as answer:
        landed = answer.geturl()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies or "/login/" in landed:
        raise SystemExit(f"signing in as {email} failed (landed on {landed})")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def setup(site: Site, args: argparse.Namespace) -> tuple[list[Front], str]:
    production = start_production(
        site,
        args,
        name="cluster",
        web_processes=2,
        seed=("--quiet",),
        STATUSDESK_DEMO_PASSWORD=DEMO_PASSWORD,
    )
    fronts = []
    for count in (1, 2):
        base = production_front(site, production, f"nginx-{count}", production.ports[:count])
        name = "1 web process" if count == 1 else f"{count} web processes"
        fronts.append(Front(name, base, count))
    incident = open_incident(fronts[-1].base, production.token)
    cookie = session_cookie(f"http://127.0.0.1:{production.ports[0]}", CONSOLE_USER, DEMO_PASSWORD)
    log(f"web {production.ports}, database {production.database}, active incident {incident}")
    return fronts, cookie


def check(front: Front, path: str, cookie: str) -> None:
    """The path answers 200 through this nginx (signed in, the console; the page it should be)."""
    request = urllib.request.Request(front.base + path, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = answer.read()
        if answer.status != 200 or answer.geturl() != front.base + path:
            raise SystemExit(f"{front.name} {path}: {answer.status} at {answer.geturl()}")
    if path == "/manage/" and b"Dashboard" not in body:
        raise SystemExit(f"{front.name} {path}: not the dashboard")
    if path == "/" and fetch(front.base + path)[0] != 200:
        raise SystemExit(f"{front.name} {path}: no status page")


def report(rows: dict[tuple[str, str], Row], fronts: list[Front], args: argparse.Namespace) -> str:
    lines: list[str] = []

    def table(header: list[str], body: list[list[str]]) -> None:
        if args.markdown:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines.extend("| " + " | ".join(r) + " |" for r in body)
        else:
            widths = [max(len(x) for x in col) for col in zip(header, *body, strict=True)]
            for r in [header, *body]:
                lines.append("  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip())
        lines.append("")

    rounds = f", median of {args.rounds} rounds" if args.rounds > 1 else ""
    lines.append(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency{rounds}, each "
        f"after {args.warmup} s of warm-up, through deploy/nginx.conf ({os.cpu_count()} cores "
        f"shared by nginx, the web processes, the worker, PostgreSQL, Redis and wrk; load "
        f"average {os.getloadavg()[0]:.1f} at the end)"
    )
    lines.append("")
    body = []
    for path in args.paths:
        for front in fronts:
            row = rows[(front.name, path)]
            body.append(
                [
                    path,
                    front.name,
                    f"{row.rps:,.0f}",
                    f"{row.p50:.1f}",
                    f"{row.p99:.1f}",
                    str(row.failed),
                ]
            )
    table(["path", "set-up", "requests/s", "p50 ms", "p99 ms", "errors"], body)
    body = []
    for path in args.paths:
        one, two = rows[(fronts[0].name, path)], rows[(fronts[1].name, path)]
        ratios = [b.rps / a.rps for a, b in zip(one.runs, two.runs, strict=True)]
        spread = f" ({min(ratios):.2f}–{max(ratios):.2f})" if len(ratios) > 1 else ""
        body.append([path, f"{statistics.median(ratios):.2f}{spread}"])
    table(["path", "2 / 1 web processes (requests/s, round by round)"], body)
    return "\n".join(lines)


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="measure each set-up N times")
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of the same load first, not counted"
    )
    parser.add_argument("--path", action="append", dest="paths", help=f"default: {PATHS}")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--redis-port", type=int, default=6379)
    parser.add_argument("--redis-db", type=int, default=12, help="flushed before and after")
    parser.add_argument("--markdown", action="store_true", help="print the tables in Markdown")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = parser.parse_args(argv)
    args.paths = args.paths or PATHS
    if args.rounds < 1 or args.duration < 1:
        parser.error("--rounds and --duration must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, _interrupted)
    site = Site(args.keep)
    try:
        fronts, cookie = setup(site, args)
        for front in fronts:
            for path in args.paths:
                check(front, path, cookie)
        rows: dict[tuple[str, str], Row] = {}
        for round_ in range(args.rounds):
            # One then two, two then one the next round: the machine's load drifts.
            for front in fronts if round_ % 2 == 0 else list(reversed(fronts)):
                for path in args.paths:
                    headers = {"Cookie": cookie} if path.startswith("/manage/") else None
                    if args.warmup:
                        run_wrk(front.base + path, args, duration=args.warmup, headers=headers)
                    result = run_wrk(front.base + path, args, headers=headers)
                    rows.setdefault((front.name, path), Row(front.name, path, [])).runs.append(
                        result
                    )
                    log(
                        f"round {round_ + 1} {front.name} {path}: {result.rps:,.0f} req/s, "
                        f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
                        f"errors {result.failed}"
                    )
        print(report(rows, fronts, args))
        return 0
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    finally:
        site.close()


if __name__ == "__main__":
    sys.exit(main())
