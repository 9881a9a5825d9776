"""Analytics at scale: 100,000 incidents, then /manage/analytics and GET /api/v1/analytics.

    python -m bench.analytics [--backend sqlite|postgres|both] [--incidents 100000] [--reuse]

For each backend: a database (SQLite: var/bench/analytics-sqlite/db.sqlite3; PostgreSQL: the
database `bench_analytics_N` on `--postgres-url`), migrated, filled with N incidents with their
report, issue, affected components, and for 80 % of them a postmortem with a causing merge date and
a taxonomy term or tree. Histories are spread over two years with realistic shapes (TTD from
minutes to weeks, TTF from minutes to days; severities, detections and terms skewed as real ones
are). Rows are written with bulk_create, not through the services: the analytics read these
tables only (never the Event log), and the services would take hours for 100,000 incidents.

Then, in one Django process on that database, the page and the API answer through Django's test
client (the whole view: routing, auth, queries, template or JSON): one cold request, then 5 warm
ones; the median of the warm ones is reported (the issue's target: <= 500 ms each). Warm answers
reuse the figures kept in the cache under the data's change mark (analytics/queries.py); the
mark's own cost and the cost of computing the figures anew (the first request after any change)
are reported too, and the first request of the page and of the API after a change (a
postmortem saved; where the analytics keep per-incident figures, the reaction's rewrite of that
incident's row is done first, untimed, as the worker does it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]

TERMS_WEIGHTED = [
    ("MISSING_TEST", 20),
    ("INCOMPLETE_PERSPECTIVE", 15),
    ("UNHANDLED_EXCEPTION", 12),
    ("THIRD_PARTY_ERROR", 10),
    ("DATA_QUALITY", 8),
    ("FAILED_MIGRATION", 6),
    ("INFRASTRUCTURE_ERROR", 6),
    ("COMMUNICATION_FAILURE", 5),
    ("MISSING_ALERT", 5),
    ("THIRD_PARTY_CHANGE", 4),
    ("LACK_OF_TRACEABILITY", 3),
    ("ROTATION_FAILURE", 2),
    ("IMPOSSIBLE_TO_TEST", 2),
    ("FAILED_LINTER", 1),
    ("NO_SPECIFIED", 1),
]


def generate(count: int, seed: int = 7) -> int:
    """Bulk-write `count` incidents (minus those present); returns how many exist."""
    from django.db import transaction

    from statusdesk.accounts.roles import Role
    from statusdesk.accounts.services import ensure_user
    from statusdesk.incidents.components import ensure_default_components
    from statusdesk.incidents.models import (
        AffectedComponent,
        Component,
        Incident,
        IncidentStatus,
        Issue,
        Report,
        ReportStatus,
    )
    from statusdesk.postmortems.models import Postmortem, PostmortemTerm, TaxonomyTerm

    have = Incident.objects.count()
    if have >= count:
        return have
    ensure_default_components()
    manager, _ = ensure_user("bench-manager@example.com", role=Role.INCIDENT_MANAGER)
    components = list(Component.objects.values_list("pk", flat=True))
    terms = {t.name: t.pk for t in TaxonomyTerm.objects.all()}
    names = [n for n, _ in TERMS_WEIGHTED]
    weights = [w for _, w in TERMS_WEIGHTED]
    rng = random.Random(seed + have)
    now = datetime.now(UTC)
    severities = ["degraded_performance"] * 5 + ["partial_outage"] * 4 + ["major_outage"] * 2
    batch = 5000
    left = count - have
    while left > 0:
        size = min(batch, left)
        left -= size
        with transaction.atomic():
            reports, issues, plans = [], [], []
            for _ in range(size):
                reported = now - timedelta(minutes=rng.randint(60 * 24 * 2, 60 * 24 * 730))
                ttf = timedelta(minutes=int(rng.lognormvariate(4.5, 1.1)) + 5)
                ttd = timedelta(minutes=int(rng.lognormvariate(6.5, 1.6)) + 1)
                detection = "proactive" if rng.random() < 0.35 else "reactive"
                reports.append(
                    Report(
                        title="Login fails with an error 500",
                        description="Customers cannot log in.",
                        reporter="customer@client.example",
                        filed_by=manager,
                        medium=rng.choice(["email", "issue", "chat", "direct_email", "other"]),
                        detection=detection,
                        users_affected=rng.randint(2, 500),
                        reported_at=reported,
                        status=ReportStatus.CONFIRMED,
                        closed_at=reported,
                    )
                )
                issues.append(
                    Issue(title="Login returns 500", description="KeyError", created_at=reported)
                )
                plans.append((reported, ttf, ttd))
            Report.objects.bulk_create(reports)
            Issue.objects.bulk_create(issues)
            incidents = []
            for report, issue, (reported, ttf, _) in zip(reports, issues, plans, strict=True):
                resolved = reported + ttf
                incidents.append(
                    Incident(
                        report=report,
                        issue=issue,
                        manager=manager,
                        status=IncidentStatus.RESOLVED,
                        name="Users cannot log in",
                        message="Logging in fails for some users.",
                        severity=rng.choice(severities),
                        confirmed_at=reported,
                        published_at=reported + timedelta(minutes=5),
                        last_update_at=resolved,
                        resolved_at=resolved,
                    )
                )
            Incident.objects.bulk_create(incidents)
            affected, postmortems = [], []
            for incident, (reported, _, ttd) in zip(incidents, plans, strict=True):
                for component in rng.sample(components, rng.choice([1, 1, 1, 2, 3])):
                    affected.append(
                        AffectedComponent(
                            incident=incident,
                            component_id=component,
                            status=incident.severity,
                            active=False,
                        )
                    )
                if rng.random() < 0.8:
                    postmortems.append(
                        Postmortem(
                            incident=incident,
                            impact="Some customers could not log in.",
                            cause="A change to sessions.",
                            solution="Sessions are read again.",
                            conclusion="Test with old data.",
                            cause_merged_at=reported - ttd,
                            author=manager,
                            created_at=incident.resolved_at,
                            updated_at=incident.resolved_at,
                            published_at=incident.resolved_at,
                        )
                    )
            AffectedComponent.objects.bulk_create(affected)
            Postmortem.objects.bulk_create(postmortems)
            parts = []
            for postmortem in postmortems:
                tree = []
                for name in rng.choices(names, weights, k=rng.choice([1, 1, 2, 2, 3])):
                    if name not in tree:
                        tree.append(name)
                postmortem.taxonomy = " < ".join(tree)
                parts += [
                    PostmortemTerm(postmortem=postmortem, term_id=terms[name], position=i)
                    for i, name in enumerate(tree)
                ]
            Postmortem.objects.bulk_update(postmortems, ["taxonomy"])
            PostmortemTerm.objects.bulk_create(parts)
        print(f"  {count - left} incidents", flush=True)
    return Incident.objects.count()


def keep_figures() -> float | None:
    """The per-incident figures of the incidents written here (bulk_create records no event, so
    no reaction keeps them): what the migration does for the incidents of before. Seconds taken,
    or None where the analytics keep no such table."""
    try:
        from statusdesk.analytics.figures import refresh_all_figures
    except ImportError:
        return None
    started = time.perf_counter()
    refresh_all_figures(only_missing=True)
    return round(time.perf_counter() - started, 1)


def change(incident_id: int) -> None:
    """What saving a postmortem changes, and then what the reaction to its event does."""
    from django.utils import timezone

    from statusdesk.postmortems.models import Postmortem

    Postmortem.objects.filter(incident_id=incident_id).update(updated_at=timezone.now())
    try:
        from statusdesk.analytics.figures import refresh_figures
    except ImportError:
        return
    refresh_figures([incident_id])


def measure(rounds: int = 5) -> dict[str, Any]:
    from django.test import Client

    from statusdesk.accounts.models import User
    from statusdesk.accounts.services import create_api_token

    manager = User.objects.get(email="bench-manager@example.com")
    _, token = create_api_token(manager.email)
    page = Client()
    page.force_login(manager)
    api = Client(headers={"Authorization": f"Bearer {token}"})
    out: dict[str, Any] = {}
    for name, get in (
        ("page /manage/analytics", lambda: page.get("/manage/analytics")),
        ("api /api/v1/analytics", lambda: api.get("/api/v1/analytics")),
    ):
        timings = []
        for number in range(rounds + 1):  # the first is the cold one
            start = time.perf_counter()
            response = get()
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code == 200, response.content[:300]
            if number:
                timings.append(elapsed)
            else:
                out[f"{name} cold ms"] = round(elapsed, 1)
        out[f"{name} median ms"] = round(statistics.median(timings), 1)
        out[f"{name} bytes"] = len(response.content)
    # The first request after a change: a postmortem saved (its row changes; where the figures
    # are kept per incident, the reaction to its event rewrites that incident's row, not timed:
    # the worker does it), then the page or the API asked once. `rounds` changes each.
    from statusdesk.postmortems.models import Postmortem

    changed = list(Postmortem.objects.order_by("-pk").values_list("incident_id", flat=True)[:20])
    for name, get in (
        ("page /manage/analytics", lambda: page.get("/manage/analytics")),
        ("api /api/v1/analytics", lambda: api.get("/api/v1/analytics")),
    ):
        timings = []
        for _ in range(rounds):
            change(changed.pop())
            start = time.perf_counter()
            response = get()
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.content[:300]
        out[f"{name} after a change median ms"] = round(statistics.median(timings), 1)
    # What the cache saves: the change mark every request reads, and the figures computed anew
    # (what the first request after a change pays).
    from statusdesk.analytics.queries import change_mark, compute_figures

    for name, call in (("change mark", change_mark), ("figures computed", compute_figures)):
        timings = []
        for _ in range(rounds):
            start = time.perf_counter()
            call()
            timings.append((time.perf_counter() - start) * 1000)
        out[f"{name} median ms"] = round(statistics.median(timings), 1)
    return out


def inside(count: int) -> None:
    import django
    from django.conf import settings

    django.setup()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client
    started = time.perf_counter()
    total = generate(count)
    generated = time.perf_counter() - started
    kept = keep_figures()
    result = {
        "incidents": total,
        "generate_s": round(generated, 1),
        "figures_kept_s": kept,
        **measure(),
    }
    print(json.dumps(result))


def _pg_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def run(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    var = REPO / "var" / "bench" / f"analytics-{backend}"
    var.mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        url = f"sqlite:///{var / 'db.sqlite3'}"
        if not args.reuse and (var / "db.sqlite3").exists():
            (var / "db.sqlite3").unlink()
    else:
        import psycopg

        name = f"bench_analytics_{args.incidents}"
        with psycopg.connect(_pg_url(args.postgres_url, "postgres"), autocommit=True) as db:
            exists = db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists and not args.reuse:
                db.execute(f'DROP DATABASE "{name}"')
                exists = None
            if not exists:
                db.execute(f'CREATE DATABASE "{name}"')
        url = _pg_url(args.postgres_url, name)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="statusdesk.settings",
        DATABASE_URL=url,
        STATUSDESK_VAR_DIR=str(var),
        STATUSDESK_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "src")]),
    )
    subprocess.run(
        [sys.executable, "-m", "statusdesk.cli", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=env,
        check=True,
    )
    process = subprocess.run(
        [sys.executable, "-m", "bench.analytics", "--inside", "--incidents", str(args.incidents)],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    lines = process.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(line)
    return {"backend": backend, **json.loads(lines[-1])}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--reuse", action="store_true", help="keep an existing database")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        inside(args.incidents)
        return
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        result = run(backend, args)
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
