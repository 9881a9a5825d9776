"""The public snapshot's rebuild time and queries, as the history grows.

    python -m bench.snapshot [--backend sqlite|postgres|both] [--sizes 1000,50000] [--rounds 5]

For each backend and size: a database of its own under var/bench/snapshot-<backend>-<N>/
(PostgreSQL: `bench_snapshot_<N>` on `--postgres-url`, created and dropped here only), migrated,
filled **directly** (bulk inserts, not through the services: bench/generate.py takes hours at
50,000) with N published incidents spread evenly over the past 365 days, as the services leave
them: a report and an issue each, 1–3 affected components, 1–3 updates, the events a step
records (published, updated, resolved, and `component.status_changed` at the publication and the
resolution), 1 % still open in the last two weeks. 50,000 a year is ~12,300 in the 90-day window.
A seed is kept and reused (`--fresh` makes it again).

Then, in a child process on that database (Django's file cache under its var directory):

- **cold**: the rebuild with an empty cache (a flushed cache, a new deployment, a new day's
  first rebuild before this branch), median of `--rounds`;
- **warm**: `rebuild_snapshot()` again with the cache the previous rebuild left (every rebuild
  the reaction runs after a change), median of `--rounds`;
- **after a change**: one incident published through the services (which records its events),
  then the rebuild the reaction would run, median of `--rounds`;
- **back-filled**: a step back-filled 30 days ago, then the rebuild (the expensive case).

Each with this process's CPU time (less moved by the other processes of a shared machine) and
the number of queries of one rebuild. Prints a table and writes
var/bench/snapshot-results.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(os.environ.get("STATUSDESK_BENCH_DIR", REPO / "var" / "bench"))
COMPONENTS = 8


# --- inside: the child process on one database ----------------------------------------------


def _seed(incidents: int, *, days: int = 365, seed: int = 1) -> dict[str, Any]:
    """N published incidents over `days`, bulk-inserted in the shape the services leave them."""
    from django.db import transaction
    from django.utils import timezone

    from statusdesk.accounts.roles import Role
    from statusdesk.accounts.services import ensure_user
    from statusdesk.core.models import Event, EventSubject
    from statusdesk.incidents.models import (
        AffectedComponent,
        Component,
        Incident,
        IncidentUpdate,
        Issue,
        Report,
    )

    rng = random.Random(seed)
    manager, _ = ensure_user("manager1@example.com", role=Role.INCIDENT_MANAGER, full_name="M")
    ensure_user("developer1@example.com", role=Role.DEVELOPER, full_name="D")
    components = list(Component.objects.order_by("position", "name"))
    for n in range(len(components), COMPONENTS):
        components.append(
            Component.objects.create(key=f"bench-{n}", name=f"Bench component {n}", position=n)
        )
    now = timezone.now()
    start = now - timedelta(days=days)
    step = timedelta(days=days) / incidents
    batch = 1000
    t0 = time.monotonic()
    for first in range(0, incidents, batch):
        rows = []
        for n in range(first, min(first + batch, incidents)):
            at = start + step * n + timedelta(seconds=rng.randint(0, 600))
            open_ = at > now - timedelta(days=14) and rng.random() < 0.01
            hours = rng.uniform(0.5, 6)
            rows.append((at, open_, hours))
        with transaction.atomic():
            reports = Report.objects.bulk_create(
                Report(
                    title=f"Login fails with an error 500 ({first + i})",
                    description="Customers report that login fails since the last deploy.",
                    reporter="Customer",
                    filed_by=manager,
                    medium="email",
                    detection="customer",
                    users_affected=10,
                    reported_at=at,
                    status="confirmed",
                    closed_at=at,
                )
                for i, (at, _, _) in enumerate(rows)
            )
            issues = Issue.objects.bulk_create(
                Issue(title="Login fails", description="The cause.", created_at=at)
                for at, _, _ in rows
            )
            made = Incident.objects.bulk_create(
                Incident(
                    report=report,
                    issue=issue,
                    manager=manager,
                    status="investigating" if open_ else "resolved",
                    name=f"Login fails with an error 500 ({report.pk})",
                    message="We are looking into it.",
                    severity=rng.choice(["partial_outage", "major_outage", "degraded_performance"]),
                    confirmed_at=at,
                    assigned_at=at,
                    published_at=at + timedelta(minutes=5),
                    last_update_at=at + timedelta(hours=hours / 2),
                    resolved_at=None if open_ else at + timedelta(hours=hours),
                )
                for report, issue, (at, open_, hours) in zip(reports, issues, rows, strict=True)
            )
            updates, affected, events = [], [], []
            for incident, (at, open_, hours) in zip(made, rows, strict=True):
                chosen = rng.sample(components, rng.randint(1, 3))
                statuses = {str(c.pk): "partial_outage" for c in chosen}
                published = at + timedelta(minutes=5)
                resolved = at + timedelta(hours=hours)
                steps = [("publication", "investigating", published, statuses)]
                for k in range(rng.randint(0, 2)):
                    steps.append(
                        ("update", "identified", at + timedelta(hours=hours * (k + 1) / 4), {})
                    )
                if not open_:
                    done = dict.fromkeys(statuses, "operational")
                    steps.append(("resolution", "resolved", resolved, done))
                for kind, status, when, given in steps:
                    updates.append(
                        IncidentUpdate(
                            incident=incident,
                            kind=kind,
                            status=status,
                            message="We are looking into the cause; the error rate is high.",
                            component_statuses=given,
                            author=manager,
                            at=when,
                        )
                    )
                    event_kind = {
                        "publication": "incident.published",
                        "update": "incident.updated",
                        "resolution": "incident.resolved",
                    }[kind]
                    events.append((event_kind, f"incident:{incident.pk}", when, {}))
                    for key, new in given.items():
                        old = "operational" if new != "operational" else "partial_outage"
                        events.append(
                            (
                                "component.status_changed",
                                f"component:{key}",
                                when,
                                {
                                    "component_id": int(key),
                                    "incident_id": incident.pk,
                                    "previous": old,
                                    "status": new,
                                },
                            )
                        )
                for c in chosen:
                    affected.append(
                        AffectedComponent(
                            incident=incident, component=c, status="partial_outage", active=open_
                        )
                    )
            IncidentUpdate.objects.bulk_create(updates)
            AffectedComponent.objects.bulk_create(affected)
            events.sort(key=lambda e: e[2])
            made_events = Event.objects.bulk_create(
                Event(kind=k, subject=s, at=when, actor=manager, data=d) for k, s, when, d in events
            )
            EventSubject.objects.bulk_create(
                EventSubject(event=e, key=e.subject) for e in made_events
            )
        print(f"  seeded {first + len(rows)} / {incidents}", file=sys.stderr, flush=True)
    return {"seed_seconds": round(time.monotonic() - t0, 1)}


def _measure(rounds: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from statusdesk.incidents.models import Component, Incident
    from statusdesk.statuspage import snapshot
    from statusdesk.statuspage.uptime import window_start
    from tests import factories

    def timed(before: Any = None) -> tuple[float, int, float]:
        if before is not None:
            before()
        with CaptureQueriesContext(connection) as queries:
            t0, c0 = time.perf_counter(), time.process_time()
            snapshot.rebuild_snapshot()
            took, cpu = time.perf_counter() - t0, time.process_time() - c0
        return took, len(queries), cpu

    def cold() -> None:
        snapshot.cache().clear()
        snapshot.forget_local()

    def series(before: Any = None) -> dict[str, Any]:
        runs = [timed(before) for _ in range(rounds)]
        times = [t for t, _, _ in runs]
        return {
            "median_ms": round(1000 * statistics.median(times), 1),
            "min_ms": round(1000 * min(times), 1),
            # This process's CPU time (less moved by other processes on a shared machine; the
            # PostgreSQL server's own time is not in it).
            "cpu_ms": round(1000 * statistics.median(c for _, _, c in runs), 1),
            "queries": statistics.median(q for _, q, _ in runs),
        }

    from statusdesk.accounts.models import User

    manager = User.objects.get(email="manager1@example.com")
    developer = User.objects.get(email="developer1@example.com")
    components = list(Component.objects.order_by("pk")[:2])
    now = timezone.now()
    in_window = Incident.objects.filter(
        published_at__gte=window_start(now, snapshot.settings.DISPLAY_ZONE)
    ).count()
    result: dict[str, Any] = {
        "incidents": Incident.objects.count(),
        "in_window": in_window,
        "cold": series(cold),
    }
    timed()  # warm the cache
    result["warm"] = series()

    def change() -> None:
        factories.a_published_incident(manager, developer, components)

    result["after_change"] = series(change)

    def backfill() -> None:
        factories.a_past_incident(
            manager,
            developer,
            components,
            days_ago=30,
            hours=2,
            name="Back-filled",
            component_ids=[components[0].pk],
        )

    result["backfilled"] = series(backfill)
    return result


def inside(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    import django

    django.setup()
    from django.core.management import call_command

    from statusdesk.incidents.models import Incident

    call_command("migrate", "--noinput", verbosity=0)
    seeded: dict[str, Any] = {}
    if not Incident.objects.exists():
        seeded = _seed(args.incidents)
    print(json.dumps({**seeded, **_measure(args.rounds)}), flush=True)


# --- outside: databases, children, the table ----------------------------------------------


def _env(backend: str, size: int, postgres_url: str) -> tuple[dict[str, str], Path]:
    var = BENCH / f"snapshot-{backend}-{size}"
    var.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="statusdesk.settings",
        STATUSDESK_VAR_DIR=str(var),
        STATUSDESK_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "src")]),
    )
    if backend == "postgres":
        base = postgres_url.rsplit("/", 1)[0]
        env["DATABASE_URL"] = f"{base}/bench_snapshot_{size}"
    return env, var


def _postgres(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-q", "-c", sql], check=True, capture_output=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--sizes", default="1000,50000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="make the seeds again")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "STATUSDESK_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    if args.inside:
        inside(rest)
        return
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        for size in [int(s) for s in args.sizes.split(",")]:
            env, var = _env(backend, size, args.postgres_url)
            if backend == "sqlite" and args.fresh:
                (var / "statusdesk.sqlite3").unlink(missing_ok=True)
            if backend == "postgres":
                name = f"bench_snapshot_{size}"
                if args.fresh:
                    _postgres(args.postgres_url, f"DROP DATABASE IF EXISTS {name}")
                with contextlib.suppress(subprocess.CalledProcessError):  # kept from before
                    _postgres(args.postgres_url, f"CREATE DATABASE {name}")
            print(f"{backend}, {size} incidents …", file=sys.stderr, flush=True)
            out = subprocess.run(
                [sys.executable, "-m", "bench.snapshot", "--inside"]
                + ["--incidents", str(size), "--rounds", str(args.rounds)],
                cwd=REPO,
                env=env,
                check=True,
                stdout=subprocess.PIPE,
                text=True,
            ).stdout
            row = {"backend": backend, "size": size, **json.loads(out.strip().splitlines()[-1])}
            results.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    BENCH.mkdir(parents=True, exist_ok=True)
    (BENCH / f"snapshot-results-{os.environ.get('BENCH_LABEL', 'run')}.json").write_text(
        json.dumps({"at": datetime.now().isoformat(), "results": results}, indent=2)
    )
    print("| backend | incidents (in 90 days) | cold | warm | after a change | back-filled |")
    print("|---|---|---|---|---|---|")
    for r in results:
        cells = [
            f"{r[k]['median_ms']:.0f} ms ({r[k]['cpu_ms']:.0f} ms CPU) · {r[k]['queries']:.0f} q"
            for k in ("cold", "warm", "after_change", "backfilled")
        ]
        print(f"| {r['backend']} | {r['incidents']:,} ({r['in_window']:,}) | " + " | ".join(cells))


if __name__ == "__main__":
    main()
