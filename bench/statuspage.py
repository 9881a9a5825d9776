"""The public status page under load: statusdesk against two ceilings, and the production set-up.

    python -m bench.statuspage [--duration 30] [--connections 256] [--rounds 1] [--markdown]
    (make bench-statuspage; BENCH_ARGS="--duration 10" for a quick run)

Runs `wrk --latency` at each path (`/api/v2/summary.json` and `/` unless `--path` says otherwise)
against four set-ups, one after the other, each in a temporary directory of its own, on ports of
its own:

- **make-run**: `make run` itself (migrate, seed-demo, `statusdesk serve --with-worker`, SQLite),
  plus an active incident posted through the API so that the page has content;
- **nginx**: Debian's nginx serving a copy of make-run's bytes as static files (the machine's
  limit);
- **bare-asgi**: a minimal ASGI app (bench/bare_asgi.py) answering the same bytes, under uvicorn
  with the options `statusdesk serve` uses (Python's limit);
- **production**: deploy/nginx.conf (the micro-cache) in front of several `statusdesk serve`
  processes and a `statusdesk worker` on PostgreSQL (a database of its own, created and dropped
  here) sharing Redis (a database number of its own, flushed before and after). While wrk runs
  at each path, it also measures **freshness**: it posts an update to the active incident
  through /api/v1/ and polls that path through nginx until the update shows.

Prints requests/s, p50, p99 and errors for each, the ratios (make-run / bare-asgi, production /
nginx) and PASS/FAIL against the targets. With `--rounds N` every set-up is measured N times (in
turn) and the medians are shown: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pwd
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEPLOY_NGINX = REPO / "deploy" / "nginx.conf"
PATHS = ["/api/v2/summary.json", "/"]

# Targets (the issue; bench/README.md).
P99_MS = 50.0
MAKE_RUN_RATIO = 0.7  # make-run ≥ 0.7 × bare ASGI
PRODUCTION_RATIO = 0.8  # production ≥ 0.8 × nginx
FRESH_SECONDS = 1.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- wrk ---------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int = 0
    socket_errors: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return self.non_2xx + self.socket_errors


def parse_wrk(output: str) -> WrkResult:
    """wrk's report (run with --latency) → requests/s, p50, p99 and the errors."""
    rps = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.M)
    done = re.search(r"^\s*(\d+) requests in ([0-9.]+\w+),", output, re.M)
    p50 = re.search(r"^\s+50(?:\.000)?%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99(?:\.000)?%\s+(\S+)", output, re.M)
    if not (rps and done and p50 and p99):
        raise ValueError("wrk output without requests/s, totals or --latency percentiles")
    errors: dict[str, int] = {}
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket:
        kinds = ("connect", "read", "write", "timeout")
        errors = {kind: int(value) for kind, value in zip(kinds, socket.groups(), strict=True)}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests=int(done.group(1)),
        seconds=_ms(done.group(2)) / 1000,
        rps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(errors.values()),
        errors=errors,
    )


def run_wrk(
    url: str,
    args: argparse.Namespace,
    duration: int | None = None,
    headers: dict[str, str] | None = None,
) -> WrkResult:
    """wrk at `url` with the run's threads and connections (bench/cluster.py too), with extra
    request headers (a session cookie) if given."""
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration or args.duration}s",
        "--timeout",
        "5s",
        "--latency",
        *[part for name, value in (headers or {}).items() for part in ("-H", f"{name}: {value}")],
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


# --- processes and clean-up --------------------------------------------------------------------


class Site:
    """Processes and files of the run; everything is stopped and removed by close()."""

    def __init__(self, keep: bool) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="bench-statuspage-"))
        self.root.chmod(0o755)  # nginx's workers read the bodies and write their cache here
        self.keep = keep
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.cleanups: list[Callable[[], None]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        out = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a group of its own: stopped with everything it started
        )
        out.close()
        self.processes.append((name, process))
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=15)
        # Whatever it started and left behind (the group), and the process itself if it hangs.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        self.processes = [(n, p) for n, p in self.processes if p is not process]

    def stop_all(self) -> None:
        for _, process in reversed(list(self.processes)):
            self.stop(process)

    def close(self) -> None:
        self.stop_all()
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as exc:  # clean up the rest all the same
                log(f"clean-up failed: {exc}")
        self.cleanups.clear()
        if self.keep:
            log(f"kept {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited ({process.returncode}); see its log")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url}: no answer within {timeout:.0f} s")


def base_env(var: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PORT", "HOST"}
        and not k.startswith("STATUSDESK_")
    }
    env.update(STATUSDESK_VAR_DIR=str(var), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def statusdesk(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "statusdesk"), *args], cwd=REPO, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"statusdesk {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


# --- the content: an active incident, the bytes of each path -----------------------------------


def api(base: str, token: str, method: str, path: str, body: dict | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        base + "/api/v1" + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


INCIDENT_NAME = "Uploads fail for some customers"


def open_incident(base: str, token: str) -> int:
    """report → confirm → assign → publish → an update: the page shows an active incident."""
    components = [c["id"] for c in api(base, token, "GET", "/components")][:2]
    report = api(
        base,
        token,
        "POST",
        "/reports",
        {
            "title": "Uploads fail with an error 502",
            "description": "Customers report that uploads larger than 10 MB fail.",
            "reporter": "ana@client.example",
            "medium": "email",
            "detection": "reactive",
            "users_affected": 12,
            "could_affect_two_or_more": True,
        },
    )
    incident = api(
        base,
        token,
        "POST",
        f"/reports/{report['id']}/confirm",
        {"issue_title": "Upload 502", "issue_description": "The upload proxy times out."},
    )
    number = incident["id"]
    api(base, token, "POST", f"/incidents/{number}/assign", {"developer": "developer@example.com"})
    api(
        base,
        token,
        "POST",
        f"/incidents/{number}/publish",
        {
            "name": INCIDENT_NAME,
            "message": "Uploads larger than 10 MB fail; we are looking into it.",
            "workaround": "Upload smaller files or retry later.",
            "workaround_url": "https://docs.example.com/uploads",
            "component_ids": components,
            "severity": "partial_outage",
        },
    )
    api(
        base,
        token,
        "POST",
        f"/incidents/{number}/updates",
        {"status": "identified", "message": "The upload proxy's timeout is too short."},
    )
    return int(number)


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def wait_for(url: str, needle: bytes, timeout: float) -> bytes:
    """The body at url once it contains needle (the snapshot is rebuilt after the commit)."""
    deadline = time.monotonic() + timeout
    body = b""
    while time.monotonic() < deadline:
        status, body, _ = fetch(url)
        if status == 200 and needle in body:
            return body
        time.sleep(0.05)
    return body


# --- nginx -------------------------------------------------------------------------------------


def nginx_main(directory: Path, site: str) -> Path:
    """An nginx.conf as Debian's, around one site: the same for the ceiling and production
    (access log off in both, so that what differs is the site)."""
    directory.mkdir(parents=True, exist_ok=True)
    user = pwd.getpwuid(os.geteuid()).pw_name
    (directory / "site.conf").write_text(site)
    temp = {name: directory / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""user {user};
worker_processes auto;
daemon off;
pid {directory / "nginx.pid"};
error_log {directory / "error.log"} warn;
events {{
    worker_connections 4096;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    access_log off;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {directory / "site.conf"};
}}
"""
    )
    return conf


def start_nginx(site: Site, name: str, conf: Path) -> subprocess.Popen[bytes]:
    test = subprocess.run(
        ["/usr/sbin/nginx", "-t", "-q", "-c", str(conf)], capture_output=True, text=True
    )
    if test.returncode != 0:
        raise SystemExit(f"nginx -t {conf}:\n{test.stderr}")
    return site.start(name, ["/usr/sbin/nginx", "-c", str(conf)], os.environ.copy())


def ceiling_site(port: int, pages: dict[str, tuple[Path, str]]) -> str:
    locations = []
    for path, (body, content_type) in pages.items():
        locations.append(
            f"""    location = {path} {{
        root {body.parent};
        default_type {content_type.split(";")[0]};
        try_files /{body.name} =404;
    }}"""
        )
    body = "\n".join(locations)
    return f"server {{\n    listen 127.0.0.1:{port};\n{body}\n}}\n"


def production_site(
    template: str,
    *,
    port: int,
    hop_port: int,
    upstreams: list[int],
    cache: Path,
    static: Path,
    public: Path,
) -> str:
    """deploy/nginx.conf with the bench's ports and directories: what is measured is what is
    documented. Fails if the template no longer has a line it expects."""

    def sub(pattern: str, replacement: str, text: str, *, count: int = 0) -> str:
        new, found = re.subn(pattern, replacement, text, count=count, flags=re.M)
        if not found:
            raise SystemExit(f"deploy/nginx.conf: no line matches {pattern!r}")
        return new

    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in upstreams)
    site = sub(
        r"(upstream statusdesk \{\n)(?:\s*server 127\.0\.0\.1:\d+;\n)+",
        lambda m: m.group(1) + servers,  # type: ignore[arg-type,return-value]
        template,
    )
    site = sub(r"127\.0\.0\.1:8079;", f"127.0.0.1:{hop_port};", site)
    site = sub(r"^\s*listen \[::\]:80;\n", "", site)
    site = sub(r"^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{port};", site)
    site = sub(r"/var/cache/nginx/statusdesk", str(cache), site)
    site = sub(r"/var/lib/statusdesk-static/", f"{static}/", site)
    site = sub(r"/var/lib/statusdesk-public;", f"{public};", site)
    # No access log, as for the ceiling (nginx_main): what differs is the site.
    site = sub(
        r"^(\s*)access_log /var/log/nginx/statusdesk\.access\.log statusdesk;",
        r"\g<1>access_log off;",
        site,
    )
    return site


# --- the set-ups -------------------------------------------------------------------------------


@dataclass
class Setup:
    name: str
    base: str
    note: str = ""


def setup_make_run(site: Site, args: argparse.Namespace) -> tuple[Setup, str, int]:
    var = site.root / "make-run-var"
    port = free_port()
    env = base_env(var, PORT=str(port))
    process = site.start("make-run", ["make", "--no-print-directory", "run"], env)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/healthz", process, timeout=180)
    token = statusdesk(env, "token", "create", "manager@example.com").strip()
    incident = open_incident(base, token)
    log(f"make-run: {base}, var {var}, active incident {incident}")
    return Setup("make-run", base, "make run: SQLite, serve --with-worker"), token, incident


def setup_nginx(site: Site, pages: dict[str, tuple[Path, str]]) -> Setup:
    port = free_port()
    conf = nginx_main(site.root / "nginx-ceiling", ceiling_site(port, pages))
    process = start_nginx(site, "nginx-ceiling", conf)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + next(iter(pages)), process)
    return Setup("nginx", base, "nginx: the same bytes as static files")


def setup_bare_asgi(site: Site, pages: dict[str, tuple[Path, str]]) -> Setup:
    port = free_port()
    manifest = site.root / "pages.json"
    manifest.write_text(json.dumps({p: [str(b), t] for p, (b, t) in pages.items()}))
    env = base_env(
        site.root / "bare-var",
        PORT=str(port),
        BENCH_STATUSPAGE_MANIFEST=str(manifest),
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "src")]),
    )
    process = site.start("bare-asgi", [sys.executable, "-m", "bench.bare_asgi"], env)
    base = f"http://127.0.0.1:{port}"
    wait_http(base + next(iter(pages)), process)
    return Setup("bare-asgi", base, "bare ASGI app, uvicorn as statusdesk serve runs it")


def _psql_admin(args: argparse.Namespace, *command: str) -> None:
    subprocess.run(
        [command[0], "-h", args.pg_host, "-p", str(args.pg_port), "-U", args.pg_user, *command[1:]],
        check=True,
        capture_output=True,
    )


def _redis(args: argparse.Namespace, *command: str) -> str:
    done = subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-p", str(args.redis_port), "-n", str(args.redis_db)]
        + list(command),
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@dataclass
class Production:
    """The production set-up's processes: web processes on `ports` and a worker, on a PostgreSQL
    database of their own and Redis, seeded, with an Incident Manager's API token."""

    env: dict[str, str]
    var: Path
    public: Path
    database: str
    ports: list[int]
    token: str


def start_production(
    site: Site,
    args: argparse.Namespace,
    *,
    name: str,
    web_processes: int,
    seed: tuple[str, ...] = (),
    **extra_env: str,
) -> Production:
    """Migrate, seed and collect static files, then start the web processes and the worker."""
    database = f"bench_{name}_{os.getpid()}"
    _psql_admin(args, "createdb", database)
    site.cleanups.append(lambda: _psql_admin(args, "dropdb", "--if-exists", "--force", database))
    _redis(args, "FLUSHDB")
    site.cleanups.append(lambda: _redis(args, "FLUSHDB"))
    var = site.root / f"{name}-var"
    public = site.root / "public"
    env = base_env(
        var,
        STATUSDESK_PUBLIC_DIR=str(public),
        DATABASE_URL=f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{database}",
        REDIS_URL=f"redis://127.0.0.1:{args.redis_port}/{args.redis_db}",
        STATUSDESK_CLIENT_IP_HEADER="X-Real-IP",
        **extra_env,
    )
    statusdesk(env, "migrate", "--noinput", "-v", "0")
    statusdesk(env, "seed-demo", *seed)
    statusdesk(env, "collectstatic", "--noinput", "-v", "0")
    token = statusdesk(env, "token", "create", "manager@example.com").strip()
    ports = [free_port() for _ in range(web_processes)]
    web = [
        site.start(f"{name}-web-{i + 1}", [str(BIN / "statusdesk"), "serve", "--port", str(p)], env)
        for i, p in enumerate(ports)
    ]
    site.start(f"{name}-worker", [str(BIN / "statusdesk"), "worker"], env)
    for port, process in zip(ports, web, strict=True):
        wait_http(f"http://127.0.0.1:{port}/healthz", process)
    return Production(env, var, public, database, ports, token)


def production_front(site: Site, production: Production, name: str, upstreams: list[int]) -> str:
    """deploy/nginx.conf in front of `upstreams` (some of the production's ports); its address."""
    port, hop = free_port(), free_port()
    directory = site.root / name
    (directory / "cache").mkdir(parents=True)
    text = production_site(
        DEPLOY_NGINX.read_text(),
        port=port,
        hop_port=hop,
        upstreams=upstreams,
        cache=directory / "cache",
        static=production.var / "static",
        public=production.public,
    )
    process = start_nginx(site, name, nginx_main(directory, text))
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/healthz", process)
    return base


def setup_production(site: Site, args: argparse.Namespace) -> tuple[Setup, str, int]:
    production = start_production(site, args, name="production", web_processes=args.web_processes)
    base = production_front(site, production, "nginx-production", production.ports)
    incident = open_incident(base, production.token)
    note = (
        f"deploy/nginx.conf (public files, micro-cache) → {args.web_processes} × statusdesk serve "
        f"+ worker, "
        f"PostgreSQL, Redis db {args.redis_db}"
    )
    log(
        f"production: {base} → web {production.ports}, database {production.database}, "
        f"active incident {incident}"
    )
    return Setup("production", base, note), production.token, incident


# --- freshness ---------------------------------------------------------------------------------


def freshness(
    base: str, token: str, incident: int, path: str, changes: int, stop: threading.Event
) -> list[float]:
    """Post an update through the API, poll `path` through nginx until it shows: seconds from the
    API's answer (the change is committed) to the first answer that has it."""
    delays = []
    for i in range(changes):
        if stop.is_set():
            break
        marker = f"bench-statuspage change {os.getpid()}-{i}-{time.time_ns()}"
        api(
            base,
            token,
            "POST",
            f"/incidents/{incident}/updates",
            {
                "status": "identified",
                "message": marker,
            },
        )
        committed = time.monotonic()
        deadline = committed + 30
        while time.monotonic() < deadline:
            _, body, _ = fetch(base + path)
            if marker.encode() in body:
                delays.append(time.monotonic() - committed)
                break
            time.sleep(0.01)
        else:
            delays.append(float("inf"))
        stop.wait(0.7 + 0.37 * i % 1.0)  # changes at different points of the clock's second
    return delays


def _changes(
    into: list[float],
    base: str,
    token: str,
    incident: int,
    path: str,
    changes: int,
    stop: threading.Event,
) -> None:
    stop.wait(2)  # under load first
    into.extend(freshness(base, token, incident, path, changes, stop))


# --- report ------------------------------------------------------------------------------------


@dataclass
class Row:
    setup: str
    path: str
    runs: list[WrkResult]

    @property
    def rps(self) -> float:
        return statistics.median(r.rps for r in self.runs)

    @property
    def p50(self) -> float:
        return statistics.median(r.p50_ms for r in self.runs)

    @property
    def p99(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.runs)


def report(
    rows: dict[tuple[str, str], Row],
    setups: dict[str, Setup],
    paths: list[str],
    fresh: dict[str, list[float]],
    args: argparse.Namespace,
) -> tuple[str, bool]:
    md = args.markdown
    lines: list[str] = []
    ok = True

    def table(header: list[str], body: list[list[str]]) -> None:
        if md:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines.extend("| " + " | ".join(r) + " |" for r in body)
        else:
            widths = [max(len(x) for x in col) for col in zip(header, *body, strict=True)]
            for r in [header, *body]:
                lines.append("  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip())
        lines.append("")

    def verdict(good: bool) -> str:
        nonlocal ok
        ok = ok and good
        return "PASS" if good else "FAIL"

    rounds = f", median of {args.rounds} rounds" if args.rounds > 1 else ""
    lines.append(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency{rounds}, "
        f"each after {args.warmup} s of warm-up"
        f" ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end)"
    )
    lines.append("")
    body = []
    for (name, path), row in rows.items():
        checks = []
        if name in ("make-run", "production"):
            checks.append(f"errors {verdict(row.failed == 0)}")
            checks.append(f"p99 {verdict(row.p99 <= P99_MS)}")
        body.append(
            [
                name,
                path,
                f"{row.rps:,.0f}",
                f"{row.p50:.1f}",
                f"{row.p99:.1f}",
                str(row.failed),
                ", ".join(checks),
            ]
        )
    table(["set-up", "path", "requests/s", "p50 ms", "p99 ms", "errors", "targets"], body)

    body = []
    for path in paths:
        for name, ceiling, target in (
            ("make-run", "bare-asgi", MAKE_RUN_RATIO),
            ("production", "nginx", PRODUCTION_RATIO),
        ):
            if (name, path) in rows and (ceiling, path) in rows:
                # Round by round (each set-up ran right after its ceiling), then the median.
                ratios = [
                    a.rps / b.rps
                    for a, b in zip(
                        rows[(name, path)].runs, rows[(ceiling, path)].runs, strict=True
                    )
                ]
                ratio = statistics.median(ratios)
                spread = f" ({min(ratios):.2f}–{max(ratios):.2f})" if len(ratios) > 1 else ""
                body.append(
                    [
                        path,
                        f"{name} / {ceiling}",
                        f"{ratio:.2f}{spread}",
                        f"≥ {target}",
                        verdict(ratio >= target),
                    ]
                )
    if body:
        table(["path", "ratio", "measured", "target", ""], body)

    for path, delays in fresh.items():
        if not delays:
            continue
        worst = max(delays)
        lines.append(
            f"freshness of {path} (production, {len(delays)} changes through /api/v1/ under load, "
            f"polled through nginx): median {statistics.median(delays):.2f} s, "
            f"worst {worst:.2f} s, target ≤ {FRESH_SECONDS:.0f} s: "
            f"{verdict(worst <= FRESH_SECONDS)}"
        )
    if fresh:
        lines.append("")
    for setup in setups.values():
        lines.append(f"{'- ' if md else ''}{setup.name}: {setup.note}")
    return "\n".join(lines), ok


# --- main --------------------------------------------------------------------------------------


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="measure each set-up N times")
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds of the same load first, not counted"
    )
    parser.add_argument("--path", action="append", dest="paths", help=f"default: {PATHS}")
    parser.add_argument(
        "--setups",
        default="make-run,nginx,bare-asgi,production",
        help="which set-ups to measure (make-run is always started: its bytes are the content)",
    )
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--changes", type=int, default=8, help="freshness: changes to time")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--redis-port", type=int, default=6379)
    parser.add_argument("--redis-db", type=int, default=14, help="flushed before and after")
    parser.add_argument("--markdown", action="store_true", help="print the tables in Markdown")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = parser.parse_args(argv)
    paths = args.paths or PATHS
    wanted = [s.strip() for s in args.setups.split(",") if s.strip()]

    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, _interrupted)
    site = Site(args.keep)
    try:
        return _run(site, args, paths, wanted)
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    finally:
        site.close()


def _run(site: Site, args: argparse.Namespace, paths: list[str], wanted: list[str]) -> int:
    setups: dict[str, Setup] = {}
    make_run, _, _ = setup_make_run(site, args)
    setups["make-run"] = make_run
    pages: dict[str, tuple[Path, str]] = {}
    for i, path in enumerate(paths):
        url = make_run.base + path
        body = wait_for(url, INCIDENT_NAME.encode(), timeout=15) if "json" in path else b""
        status, body, content_type = fetch(url)
        if status != 200:
            raise SystemExit(f"{url} answers {status}: nothing to measure there yet")
        if INCIDENT_NAME.encode() not in body:
            log(f"note: {path} does not show the active incident")
        file = site.root / "pages" / f"{i}.body"
        file.parent.mkdir(exist_ok=True)
        file.write_bytes(body)
        pages[path] = (file, content_type or "application/octet-stream")
        log(f"{path}: {len(body):,} bytes, {content_type}")
    (site.root / "pages").chmod(0o755)

    if "nginx" in wanted:
        setups["nginx"] = setup_nginx(site, pages)
    if "bare-asgi" in wanted:
        setups["bare-asgi"] = setup_bare_asgi(site, pages)
    production: tuple[Setup, str, int] | None = None
    if "production" in wanted:
        production = setup_production(site, args)
        setups["production"] = production[0]
        for path in paths:
            status, _, _ = fetch(production[0].base + path)
            if status != 200:
                raise SystemExit(f"production {path} answers {status}")
    # Each set-up right after the ceiling it is compared with: the machine's load drifts.
    order = ["bare-asgi", "make-run", "nginx", "production"]
    measured = [setups[name] for name in order if name in wanted and name in setups]

    rows: dict[tuple[str, str], Row] = {}
    fresh: dict[str, list[float]] = {}
    for round_ in range(args.rounds):
        for setup in measured:
            for path in paths:
                stop = threading.Event()
                thread = None
                if production is not None and setup.name == "production" and round_ == 0:
                    _, token, incident = production

                    thread = threading.Thread(
                        target=_changes,
                        args=(
                            fresh.setdefault(path, []),
                            setup.base,
                            token,
                            incident,
                            path,
                            args.changes,
                            stop,
                        ),
                        daemon=True,
                    )
                    thread.start()
                if args.warmup:
                    run_wrk(setup.base + path, args, duration=args.warmup)  # not counted
                result = run_wrk(setup.base + path, args)
                if thread is not None:
                    stop.set()
                    thread.join()
                rows.setdefault((setup.name, path), Row(setup.name, path, [])).runs.append(result)
                log(
                    f"round {round_ + 1} {setup.name} {path}: {result.rps:,.0f} req/s, "
                    f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
                    f"errors {result.failed}"
                )
    text, ok = report(rows, setups, paths, fresh, args)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
