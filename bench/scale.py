"""statusdesk at scale: a year of history (50,000 incidents, 150,000 reports), then every page.

    python -m bench.scale [--backend sqlite|postgres|both] [--reuse] [--drop] ...   (make bench)

For each backend:

1. **History**: a seed database filled through the services (bench/generate.py), or the one a
   previous run left (`--reuse`). SQLite: var/bench/seed-sqlite-N/db.sqlite3. PostgreSQL: the
   database `bench_scale_seed_N` on the server of `--postgres-url`. A small seed (1,000 incidents)
   is made the same way for the publishing comparison.
2. **A working copy** of each seed (a file copy; `CREATE DATABASE … TEMPLATE`), so that runs
   start from the same data; migrated, with a console session and an API token.
3. **Publishing cost**: publish, update and resolve incidents through the services on the copy of
   the 1,000-incident seed and on the copy of the large one, in alternating rounds.
4. **Query plans** of every list and dashboard query (EXPLAIN), saved with the results.
5. **A real server** (`statusdesk serve`: uvicorn, one process) on the large copy: every console
   page and API list read in rounds over one keep-alive connection each (median, 90th percentile,
   size), then 50 concurrent API writers each taking incidents through the whole process
   (errors counted), with the server's resident memory (RSS) and its peak.

Prints the figures and writes them to var/bench/results-<backend>.json. Noisy on a shared
machine: compare the medians of repeated runs, and the ratios within one run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.copy import copy_database

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "var" / "bench"

# Targets (bench/README.md): a page or list, the incident with 500 updates, the server's memory.
PAGE_MS = 150
PAGE_BYTES = 300 * 1024
LONG_INCIDENT_MS = 300
RSS_MB = 250


def log(message: str) -> None:
    print(message, flush=True)


# --- databases ----------------------------------------------------------------------------


@dataclass
class Database:
    """One database of the benchmark: where it lives and the environment a process needs."""

    backend: str
    name: str
    url: str
    var: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="statusdesk.settings",
            DATABASE_URL=self.url,
            STATUSDESK_VAR_DIR=str(self.var),
            STATUSDESK_LOG_LEVEL="WARNING",
            PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "src")]),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def command(self, module: str, *args: str) -> None:
        subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=self.env(), check=True)

    def run(self, module: str, *args: str, stream: bool = False) -> dict[str, Any]:
        """Run `python -m module args` on this database; its last line, parsed as JSON."""
        command = [sys.executable, "-m", module, *args]
        process = subprocess.Popen(
            command, cwd=REPO, env=self.env(), stdout=subprocess.PIPE, text=True
        )
        assert process.stdout is not None
        last = ""
        for line in process.stdout:
            if stream and not line.startswith("{"):
                log(line.rstrip())
            last = line
        if process.wait() != 0:
            raise SystemExit(f"{' '.join(command)} failed on {self.name}")
        return dict(json.loads(last))


def _pg_admin(server_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(_pg_url(server_url, "postgres"), autocommit=True) as db:
        db.execute(statement)


def _pg_exists(server_url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(_pg_url(server_url, "postgres"), autocommit=True) as db:
        return (
            db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def _pg_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


_SEEDS: dict[tuple[str, int], Database] = {}


def seed(backend: str, incidents: int, reports: int, args: argparse.Namespace) -> Database:
    """The seed database of this size: generated through the services (PostgreSQL: by default a
    copy of the SQLite seed's rows) unless a previous run's is reused."""
    made = _SEEDS.get((backend, incidents))
    if made is not None:
        return made
    name = f"seed-{backend}-{incidents}"
    var = BENCH / name
    summary = var / "summary.json"
    if backend == "sqlite":
        database = Database(backend, name, f"sqlite:///{var / 'db.sqlite3'}", var)
    else:
        pg_name = f"bench_scale_seed_{incidents}"
        database = Database(backend, pg_name, _pg_url(args.postgres_url, pg_name), var)
    exists = summary.exists() and (
        backend == "sqlite" or _pg_exists(args.postgres_url, database.name)
    )
    if exists and args.reuse:
        log(f"{backend}: reusing {database.name} ({summary.read_text().strip()[:120]}…)")
    elif backend == "postgres" and args.postgres_history == "copy":
        source = seed("sqlite", incidents, reports, args)
        log(f"{backend}: copying the rows of {source.name} into {database.name}")
        _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
        _pg_admin(args.postgres_url, f'CREATE DATABASE "{database.name}"')
        shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True)
        for migrated in (source, database):
            migrated.command("statusdesk.cli", "migrate", "--noinput", "-v", "0")
        started = time.monotonic()
        rows = copy_database(source.var / "db.sqlite3", database.url)
        copied = {"copied_from": source.name, "rows": sum(rows.values())}
        copied["seconds"] = round(time.monotonic() - started, 1)
        log(f"{backend}: {json.dumps(copied)}")
        summary.write_text(
            json.dumps({**json.loads((source.var / "summary.json").read_text()), **copied})
        )
    else:
        log(f"{backend}: generating {incidents:,} incidents and {reports:,} reports into {name}")
        if backend == "postgres":
            _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
            _pg_admin(args.postgres_url, f'CREATE DATABASE "{database.name}"')
        # A partly generated SQLite seed goes on where it stopped (generate.py resumes by batch).
        if not (backend == "sqlite" and args.reuse and (var / "db.sqlite3").exists()):
            shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True, exist_ok=True)
        result = database.run(
            "bench.generate",
            f"--incidents={incidents}",
            f"--reports={reports}",
            f"--batch={args.batch}",
            stream=True,
        )
        summary.write_text(json.dumps(result))
    # A seed made before a new migration gets it once here, not in every working copy.
    database.command("statusdesk.cli", "migrate", "--noinput", "-v", "0")
    _SEEDS[(backend, incidents)] = database
    return database


def working_copy(source: Database, label: str, args: argparse.Namespace) -> Database:
    """A copy of a seed to run on (the runs write to it)."""
    var = BENCH / f"run-{source.backend}-{label}"
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    if source.backend == "sqlite":
        seed_file = source.var / "db.sqlite3"
        with sqlite3.connect(seed_file) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(seed_file, var / "db.sqlite3")
        return Database("sqlite", var.name, f"sqlite:///{var / 'db.sqlite3'}", var)
    name = f"bench_scale_run_{label}"
    _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_admin(args.postgres_url, f'CREATE DATABASE "{name}" TEMPLATE "{source.name}"')
    return Database("postgres", name, _pg_url(args.postgres_url, name), var)


def drop(database: Database, args: argparse.Namespace) -> None:
    if database.backend == "postgres":
        _pg_admin(args.postgres_url, f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
    shutil.rmtree(database.var, ignore_errors=True)


# --- the server and its client ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`statusdesk serve` on a port of its own (uvicorn in this one process)."""

    def __init__(self, database: Database, pool_max: int) -> None:
        self.port = _free_port()
        self.log = (database.var / "server.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "statusdesk.cli", "serve", "--port", str(self.port)],
            cwd=REPO,
            env=database.env(STATUSDESK_DB_POOL_MAX=str(pool_max)),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(self.connection(), "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit(f"the server did not start: see {self.log.name}")
            time.sleep(0.2)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def memory_mb(self) -> dict[str, float]:
        """Resident memory now and its peak (VmRSS, VmHWM), in MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        values = {}
        for line in status.splitlines():
            key, _, rest = line.partition(":")
            if key in {"VmRSS", "VmHWM"}:
                values[key] = round(int(rest.split()[0]) / 1024, 1)
        return {"rss_mb": values["VmRSS"], "peak_rss_mb": values["VmHWM"]}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


def request(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    all_headers = {"Host": "127.0.0.1", **(headers or {})}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    connection.request(method, path, body=data, headers=all_headers)
    response = connection.getresponse()
    return response.status, response.read()


# --- what is measured ---------------------------------------------------------------------


@dataclass
class Page:
    name: str
    path: str
    who: str  # "manager" (console), "reporter" (console), "api" (token)
    limit_ms: float | None = PAGE_MS


def pages(prepared: dict[str, Any]) -> list[Page]:
    incident = prepared["incident_id"]
    long_incident = prepared["long_incident_id"]
    return [
        Page("console: dashboard", "/manage/", "manager"),
        Page("console: incidents, open", "/manage/incidents/?status=open", "manager"),
        Page("console: incidents, resolved", "/manage/incidents/?status=resolved", "manager"),
        Page("console: incidents, all", "/manage/incidents/?status=all", "manager"),
        Page(
            "console: incidents, all, last page",
            f"/manage/incidents/?status=all&page={prepared['last_incident_page']}",
            "manager",
        ),
        Page("console: reports, all", "/manage/reports/", "manager"),
        Page("console: reports, awaiting triage", "/manage/reports/?status=open", "manager"),
        Page(
            "console: reports, dismissed, last page",
            f"/manage/reports/?status=dismissed&page={prepared['last_dismissed_page']}",
            "manager",
        ),
        Page("console: a reporter's dashboard", "/manage/", "reporter"),
        Page("console: a reporter's reports", "/manage/reports/", "reporter"),
        Page("console: an incident", f"/manage/incidents/{incident}/", "manager"),
        Page(
            "console: incident with 500 updates",
            f"/manage/incidents/{long_incident}/",
            "manager",
            LONG_INCIDENT_MS,
        ),
        Page(
            "console: incident with 500 updates, whole history (on request)",
            f"/manage/incidents/{long_incident}/?history=all",
            "manager",
            None,
        ),
        Page("console: a report", f"/manage/reports/{prepared['report_id']}/", "manager"),
        Page("api: GET /incidents", "/api/v1/incidents", "api"),
        Page("api: GET /incidents?status=open", "/api/v1/incidents?status=open", "api"),
        Page("api: GET /incidents?status=resolved", "/api/v1/incidents?status=resolved", "api"),
        Page(
            "api: GET /incidents, a page deep in the history",
            f"/api/v1/incidents?cursor={prepared['old_incident_cursor']}",
            "api",
        ),
        Page("api: GET /incidents?limit=200", "/api/v1/incidents?limit=200", "api", None),
        Page("api: GET /reports", "/api/v1/reports", "api"),
        Page("api: GET /reports?status=open", "/api/v1/reports?status=open", "api"),
        Page(
            "api: GET /reports, a page deep in the history",
            f"/api/v1/reports?cursor={prepared['old_report_cursor']}",
            "api",
        ),
        Page("api: GET /incidents/{id}", f"/api/v1/incidents/{incident}", "api"),
        Page(
            "api: GET /incidents/{id}, 500 updates",
            f"/api/v1/incidents/{long_incident}",
            "api",
            LONG_INCIDENT_MS,
        ),
        Page(
            "api: GET /incidents/{id}/updates, 500 updates",
            f"/api/v1/incidents/{long_incident}/updates",
            "api",
        ),
        Page(
            "api: GET /incidents/{id}/timeline, 500 updates",
            f"/api/v1/incidents/{long_incident}/timeline",
            "api",
        ),
        Page("api: GET /reports/{id}", f"/api/v1/reports/{prepared['report_id']}", "api"),
        Page("api: GET /components", "/api/v1/components", "api"),
        Page("GET /healthz", "/healthz", "api"),
    ]


def measure_pages(server: Server, prepared: dict[str, Any], rounds: int) -> list[dict[str, Any]]:
    """Every page once per round (so a noisy moment touches all pages alike), after a warm-up."""
    headers = {
        "manager": {"Cookie": f"sessionid={prepared['manager_session']}"},
        "reporter": {"Cookie": f"sessionid={prepared['reporter_session']}"},
        "api": {"Authorization": f"Bearer {prepared['manager_token']}"},
    }
    connection = server.connection()
    listed = pages(prepared)
    times: dict[str, list[float]] = {page.name: [] for page in listed}
    sizes: dict[str, int] = {}
    for round_ in range(rounds + 1):
        for page in listed:
            started = time.perf_counter()
            status, body = request(connection, "GET", page.path, headers=headers[page.who])
            elapsed = time.perf_counter() - started
            if status != 200:
                raise SystemExit(f"{page.name}: {page.path} answered {status}: {body[:300]!r}")
            if round_ > 0:  # round 0 warms up
                times[page.name].append(elapsed * 1000)
            sizes[page.name] = len(body)
    results = []
    for page in listed:
        ms = sorted(times[page.name])
        median = statistics.median(ms)
        results.append(
            {
                "page": page.name,
                "path": page.path,
                "median_ms": round(median, 1),
                "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
                "bytes": sizes[page.name],
                "target_ms": page.limit_ms,
                "met": page.limit_ms is None
                or (median <= page.limit_ms and sizes[page.name] <= PAGE_BYTES),
            }
        )
    return results


def concurrent_writers(
    server: Server, prepared: dict[str, Any], writers: int, iterations: int, watch: Callable
) -> dict[str, Any]:
    """`writers` API clients at once, each taking `iterations` incidents from the report to the
    resolution (six requests each); every answer that is not the step's success is an error."""
    headers = {"Authorization": f"Bearer {prepared['manager_token']}"}
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(writers)
    latencies: list[float] = []

    def writer(number: int) -> None:
        connection = server.connection()

        def step(path: str, body: dict[str, Any], expected: int) -> dict[str, Any] | None:
            nonlocal connection
            started = time.perf_counter()
            try:
                status, raw = request(connection, "POST", path, headers=headers, body=body)
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = server.connection()
                with lock:
                    statuses[f"exception {type(exc).__name__}"] += 1
                return None
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                statuses["ok" if status == expected else f"{status}: {raw[:120]!r}"] += 1
            return json.loads(raw) if status == expected else None

        barrier.wait()
        for i in range(iterations):
            report = step(
                "/api/v1/reports",
                {
                    "title": f"Writer {number} incident {i}",
                    "description": "Filed by a concurrent writer.",
                    "reporter": "writer@example.com",
                    "medium": "email",
                    "detection": "proactive",
                    "users_affected": 3,
                    "could_affect_two_or_more": True,
                },
                201,
            )
            if report is None:
                continue
            incident = step(
                f"/api/v1/reports/{report['id']}/confirm",
                {"issue_title": "Concurrent", "issue_description": "Concurrent writers."},
                201,
            )
            if incident is None:
                continue
            path = f"/api/v1/incidents/{incident['id']}"
            step(f"{path}/assign", {"developer": "developer1@example.com"}, 200)
            step(
                f"{path}/publish",
                {
                    "name": "Concurrent outage",
                    "message": "Many writers at once.",
                    "workaround": "Wait.",
                    "workaround_url": "https://docs.example.com/wait",
                    "component_ids": [1 + (number + i) % 8, 1 + (number + i + 3) % 8],
                    "severity": "degraded_performance",
                },
                200,
            )
            step(f"{path}/updates", {"status": "monitoring", "message": "Fixed, watching."}, 201)
            step(f"{path}/resolve", {"message": "Resolved.\nAll good."}, 200)
        connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    stop = threading.Event()
    watched: list[Any] = []
    watcher = threading.Thread(target=lambda: watch(stop, watched))
    watcher.start()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    stop.set()
    watcher.join()
    errors = sum(count for key, count in statuses.items() if key != "ok")
    ordered = sorted(latencies)
    return {
        "writers": writers,
        "requests": sum(statuses.values()),
        "errors": errors,
        "answers": dict(statuses),
        "seconds": round(elapsed, 1),
        "requests_per_second": round(sum(statuses.values()) / elapsed, 1),
        "median_ms": round(statistics.median(ordered), 1) if ordered else None,
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 1) if ordered else None,
        "most_database_connections": max(watched, default=None),
    }


def _connection_watch(database: Database, server: Server, args: argparse.Namespace) -> Callable:
    """Samples the server's database connections (PostgreSQL) and its memory while writers run."""
    peak_rss: list[float] = []

    def watch(stop: threading.Event, seen: list[Any]) -> None:
        db = None
        if database.backend == "postgres":
            import psycopg

            db = psycopg.connect(_pg_url(args.postgres_url, "postgres"), autocommit=True)
        while not stop.wait(0.25):
            if db is not None:
                row = db.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database.name]
                ).fetchone()
                seen.append(row[0] if row else 0)
            peak_rss.append(server.memory_mb()["rss_mb"])
        if db is not None:
            db.close()

    return watch


# --- one backend --------------------------------------------------------------------------


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    small_seed = seed(backend, args.small, args.small * 3, args)
    large_seed = seed(backend, args.incidents, args.reports, args)
    small = working_copy(small_seed, "small", args)
    large = working_copy(large_seed, "large", args)
    result: dict[str, Any] = {"backend": backend}
    try:
        log(f"{backend}: preparing the working copies")
        small.run("bench.inside", "prepare")
        prepared = large.run("bench.inside", "prepare")
        result["data"] = {
            k: prepared[k]
            for k in ("incidents", "reports", "open_incidents", "open_reports")
            + ("updates_of_long_incident",)
        }
        log(f"{backend}: {json.dumps(result['data'])}")

        log(f"{backend}: publishing cost, {args.rounds_publish} rounds on each database")
        costs: dict[str, list[dict[str, Any]]] = {"small": [], "large": []}
        for _ in range(args.rounds_publish):
            for label, database in (("small", small), ("large", large)):
                cost = database.run("bench.inside", "publish-cost", f"--count={args.publish}")
                costs[label].append(cost)
                log(f"  {label}: {json.dumps(cost)}")
        result["publishing"] = _publishing(costs)

        log(f"{backend}: query plans")
        result["plans"] = large.run("bench.inside", "explain")

        log(f"{backend}: serving the large copy; {args.rounds} rounds of every page")
        server = Server(large, args.pool_max)
        try:
            result["memory_at_start"] = server.memory_mb()
            result["pages"] = measure_pages(server, prepared, args.rounds)
            result["memory_after_pages"] = server.memory_mb()
            log(f"{backend}: {args.writers} concurrent API writers")
            result["writers"] = concurrent_writers(
                server,
                prepared,
                args.writers,
                args.iterations,
                _connection_watch(large, server, args),
            )
            result["memory_after_writers"] = server.memory_mb()
        finally:
            server.stop()
    finally:
        if not args.keep_copies:
            drop(small, args)
            drop(large, args)
    result["seconds"] = round(time.monotonic() - started, 1)
    return result


def _publishing(costs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for label, rounds in costs.items():
        summary[label] = {
            "incidents": rounds[0]["incidents_before"],
            **{
                f"{step}_ms": round(statistics.median(r[f"{step}_ms"] for r in rounds), 2)
                for step in ("publish", "update", "resolve")
            },
        }
    for step in ("publish", "update", "resolve"):
        summary[f"{step}_ratio"] = round(
            summary["large"][f"{step}_ms"] / summary["small"][f"{step}_ms"], 2
        )
    summary["rounds"] = costs
    return summary


def report(result: dict[str, Any]) -> None:
    backend = result["backend"]
    log(f"\n== {backend}: {json.dumps(result['data'])}")
    log(f"{'page':<64} {'median':>8} {'p90':>8} {'size':>9}  target")
    for page in result["pages"]:
        target = "" if page["target_ms"] is None else ("met" if page["met"] else "MISSED")
        log(
            f"{page['page']:<64} {page['median_ms']:>6.1f}ms {page['p90_ms']:>6.1f}ms "
            f"{page['bytes'] / 1024:>7.1f}KB  {target}"
        )
    p = result["publishing"]
    log(
        f"publishing at {p['small']['incidents']:,} vs {p['large']['incidents']:,} incidents: "
        f"publish {p['small']['publish_ms']} vs {p['large']['publish_ms']} ms "
        f"(×{p['publish_ratio']}), update ×{p['update_ratio']}, resolve ×{p['resolve_ratio']}"
    )
    w = result["writers"]
    log(
        f"{w['writers']} concurrent writers: {w['requests']} requests, {w['errors']} errors, "
        f"{w['requests_per_second']} req/s, median {w['median_ms']} ms, p90 {w['p90_ms']} ms, "
        f"most database connections {w['most_database_connections']}"
    )
    if w["errors"]:
        log(f"  answers: {w['answers']}")
    log(
        f"server memory: {result['memory_at_start']} at start, {result['memory_after_pages']} "
        f"after the pages, {result['memory_after_writers']} after the writers"
    )


def markdown(results: list[dict[str, Any]]) -> str:
    """The figures of one run per backend side by side, as bench/README.md shows them."""
    names = [r["backend"] for r in results]
    lines = [
        "| page or list | "
        + " | ".join(f"{n}: median · p90 · size" for n in names)
        + " | target |",
        "|---|" + "---|" * len(names) + "---|",
    ]
    for i, page in enumerate(results[0]["pages"]):
        cells = []
        met = []
        for result in results:
            row = result["pages"][i]
            cells.append(
                f"{row['median_ms']:.0f} ms · {row['p90_ms']:.0f} ms · {row['bytes'] / 1024:.0f} KB"
            )
            met.append(row["met"])
        target = "—" if page["target_ms"] is None else f"≤ {page['target_ms']:.0f} ms"
        if page["target_ms"] is not None:
            target += (
                " ✓"
                if all(met)
                else " ✗ " + ", ".join(n for n, ok in zip(names, met, strict=True) if not ok)
            )
        lines.append(f"| {page['page']} | " + " | ".join(cells) + f" | {target} |")
    lines.append("")
    for result in results:
        p, w = result["publishing"], result["writers"]
        data = result["data"]
        lines.append(
            f"- **{result['backend']}** ({data['incidents']:,} incidents, {data['reports']:,} "
            f"reports, {data['open_incidents']} open incidents, {data['open_reports']:,} reports "
            f"awaiting triage): publishing {p['small']['publish_ms']} ms at "
            f"{p['small']['incidents']:,} incidents vs {p['large']['publish_ms']} ms at "
            f"{p['large']['incidents']:,} (×{p['publish_ratio']}); update ×{p['update_ratio']}, "
            f"resolve ×{p['resolve_ratio']}. {w['writers']} concurrent writers: {w['requests']:,} "
            f"requests, **{w['errors']} errors**, {w['requests_per_second']} requests/s, median "
            f"{w['median_ms']} ms, p90 {w['p90_ms']} ms"
            + (
                f", at most {w['most_database_connections']} database connections"
                if w["most_database_connections"] is not None
                else ""
            )
            + f". Server RSS {result['memory_at_start']['rss_mb']} MB at start, "
            f"{result['memory_after_pages']['rss_mb']} MB after the pages, peak "
            f"{result['memory_after_writers']['peak_rss_mb']} MB after the writers."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--reports", type=int, default=150_000)
    parser.add_argument("--small", type=int, default=1_000, help="incidents of the small seed")
    parser.add_argument("--reuse", action="store_true", help="reuse seeds a previous run made")
    parser.add_argument("--drop", action="store_true", help="drop the seeds when done")
    parser.add_argument("--keep-copies", action="store_true", help="keep the working copies")
    parser.add_argument("--batch", type=int, default=200, help="generated cases per transaction")
    parser.add_argument("--rounds", type=int, default=15, help="requests per page")
    parser.add_argument("--publish", type=int, default=100, help="incidents per cost round")
    parser.add_argument("--rounds-publish", type=int, default=3)
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=4, help="incidents per writer")
    parser.add_argument("--pool-max", type=int, default=10, help="STATUSDESK_DB_POOL_MAX")
    parser.add_argument(
        "--postgres-history",
        choices=["copy", "generate"],
        default="copy",
        help="PostgreSQL's history: the SQLite seed's rows copied (default) or generated anew "
        "through the services on PostgreSQL (another hour or more on a 2-core machine)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "STATUSDESK_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server (its database part is ignored: bench_scale_* are made)",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print the last results as tables and stop"
    )
    args = parser.parse_args(argv)
    BENCH.mkdir(parents=True, exist_ok=True)
    if args.markdown:
        found = [BENCH / f"results-{b}.json" for b in ("sqlite", "postgres")]
        print(markdown([json.loads(path.read_text()) for path in found if path.exists()]))
        return
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        result = run_backend(backend, args)
        (BENCH / f"results-{backend}.json").write_text(json.dumps(result, indent=2))
        results.append(result)
        report(result)
        if args.drop:
            for size in (args.small, args.incidents):
                name = f"seed-{backend}-{size}"
                database = Database(backend, f"bench_scale_seed_{size}", "", BENCH / name)
                drop(database, args)
    for result in results:
        report(result)


if __name__ == "__main__":
    main()
