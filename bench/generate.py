"""Generate a statusdesk history through the services: reports, incidents and their steps.

Run inside a Django process whose settings point at the database to fill (bench/scale.py starts
it as `python -m bench.generate`, with DATABASE_URL and STATUSDESK_VAR_DIR set). Every row is
written by the process steps of statusdesk.incidents.services, back-filled with `at` over the past
months, in the order a real desk would have recorded them; batches of cases share one transaction
(each step is a savepoint inside it), which is the only shortcut taken.

Prints progress and, as its last line, a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

# Titles, descriptions and messages of realistic length, varied enough for every page.
_WHAT = [
    "Login fails with an error 500",
    "Scanning jobs stay queued",
    "Docs search returns nothing",
    "Extension shows an old version",
    "Mail notifications arrive twice",
    "Repository cloning times out",
    "Agent cannot reach the API",
    "Dashboard charts load slowly",
    "Exports are empty",
    "Webhook deliveries fail",
]
_WHERE = ["for some groups", "for every user", "since the last deploy", "in the EU region", ""]
_DESCRIPTION = (
    "Customers report that {what} {where}. It started around {hour}:00 and reproduces from the "
    "web application and the API alike; the error rate on the dashboards rose at the same time."
)
_UPDATES = [
    ("investigating", "We are looking into the cause; the error rate is still high."),
    ("identified", "The cause is identified: a configuration change; a fix is being prepared."),
    ("monitoring", "A fix is deployed; we are watching the error rate before resolving."),
]
_DISMISS = ["Below the R1 threshold.", "Duplicate of an earlier report.", "Not a fault."]
LONG_INCIDENT_NAME = "Long-running incident with 500 updates"


@dataclass
class People:
    managers: list[Any]
    developers: list[Any]
    filers: list[Any]


def _people() -> People:
    from statusdesk.accounts.roles import Role
    from statusdesk.accounts.services import ensure_user

    def make(email: str, role: Role) -> Any:
        user, _ = ensure_user(email, role=role, full_name=email.split("@")[0].title())
        return user

    managers = [make(f"manager{i}@example.com", Role.INCIDENT_MANAGER) for i in range(1, 4)]
    developers = [make(f"developer{i}@example.com", Role.DEVELOPER) for i in range(1, 6)]
    desk = [make(f"desk{i}@example.com", Role.DESK_MEMBER) for i in range(1, 5)]
    reporters = [make(f"reporter{i}@example.com", Role.REPORTER) for i in range(1, 4)]
    make("admin@example.com", Role.ADMINISTRATOR)
    return People(managers, developers, [*desk, *reporters, *managers])


def _report(
    services: Any,
    rng: random.Random,
    filer: Any,
    manager: Any,
    at: datetime,
    *,
    incident: bool = False,
) -> Any:
    what = rng.choice(_WHAT)
    where = rng.choice(_WHERE)
    users = rng.choice([2, 3, 5, 12, 40, 250] if incident else [1, 1, 2, 3, 5, 12, 40, 250])
    # A desk member files it now; a manager records one that came in earlier (back-filled).
    return services.report_problem(
        actor=manager,
        title=f"{what} {where}".strip(),
        description=_DESCRIPTION.format(what=what.lower(), where=where, hour=at.hour),
        reporter=f"{filer.email.split('@')[0]}@client{rng.randint(1, 400)}.example",
        medium=rng.choice(["email", "issue", "chat", "direct_email", "other"]),
        detection=rng.choice(["proactive", "reactive", "reactive"]),
        users_affected=users,
        could_affect_two_or_more=users >= 2 or rng.random() < 0.3,
        at=at,
    )


def _minutes(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(minutes=rng.randint(low, high), seconds=rng.randint(0, 59))


def _incident(
    services: Any,
    rng: random.Random,
    people: People,
    component_ids: list[int],
    start: datetime,
    *,
    until: str,
    now: datetime,
) -> Any:
    """report → confirm → assign → publish → a few updates → resolve, stopping at `until`."""
    manager = rng.choice(people.managers)
    at = start
    report = _report(services, rng, rng.choice(people.filers), manager, at, incident=True)
    at += _minutes(rng, 2, 40)
    incident = services.confirm_incident(
        actor=manager,
        report=report,
        issue_title=report.title,
        issue_description=report.description,
        issue_url=f"https://gitlab.example.com/product/-/issues/{rng.randint(1, 99999)}",
        at=min(at, now),
    )
    if until == "confirmed":
        return incident
    at += _minutes(rng, 2, 30)
    incident = services.assign_developer(
        actor=manager, incident=incident, developer=rng.choice(people.developers), at=min(at, now)
    )
    if until == "assigned":
        return incident
    at += _minutes(rng, 5, 30)
    components = rng.sample(component_ids, rng.choice([1, 1, 2, 2, 3]))
    severity = rng.choice(
        ["major_outage", "partial_outage", "partial_outage", "degraded_performance"]
    )
    incident = services.publish_incident(
        actor=manager,
        incident=incident,
        name=report.title,
        message=f"{report.title}. We are working on it and will post an update within the hour.",
        workaround="Use the CLI or retry later; see the documentation page for details.",
        workaround_url="https://docs.example.com/workarounds",
        component_ids=components,
        severity=severity,
        at=min(at, now),
    )
    for status, message in _UPDATES[: rng.choice([1, 2, 3, 3, 4]) if until != "published" else 0]:
        at += _minutes(rng, 15, 120)
        statuses = {}
        if status == "monitoring":
            statuses = {str(pk): "degraded_performance" for pk in components}
        services.post_update(
            actor=manager,
            incident=incident,
            status=status,
            message=message,
            component_statuses=statuses,
            at=min(at, now),
        )
    if until == "updated" or until == "published":
        return incident
    at += _minutes(rng, 20, 240)
    return services.resolve_incident(
        actor=manager,
        incident=incident,
        message=f"{report.title} is resolved.\nEverything works normally again.",
        at=min(at, now),
    )


def _long_incident(services: Any, people: People, component_ids: list[int], now: datetime) -> int:
    """One open incident with 500 updates (a long-running outage with hourly updates)."""
    from statusdesk.incidents.models import Incident

    found = Incident.objects.filter(name=LONG_INCIDENT_NAME).first()
    if found is not None:
        return found.pk
    manager, developer = people.managers[0], people.developers[0]
    at = now - timedelta(minutes=30 * 520)
    report = _report(services, random.Random(7), people.filers[0], manager, at, incident=True)
    incident = services.confirm_incident(
        actor=manager,
        report=report,
        issue_title="Storage cluster degraded",
        issue_description="A storage node fails over and over.",
        at=at + timedelta(minutes=5),
    )
    services.assign_developer(
        actor=manager, incident=incident, developer=developer, at=at + timedelta(minutes=10)
    )
    services.publish_incident(
        actor=manager,
        incident=incident,
        name=LONG_INCIDENT_NAME,
        message="Uploads and scans are slow while a storage node is rebuilt.",
        workaround="Retry failed uploads; scans complete later.",
        workaround_url="https://docs.example.com/storage",
        component_ids=component_ids[:3],
        severity="partial_outage",
        at=at + timedelta(minutes=15),
    )
    statuses = ["investigating", "identified", "monitoring"]
    for i in range(500):
        services.post_update(
            actor=manager,
            incident=incident,
            status=statuses[i % 3],
            message=f"Update {i + 1}: the rebuild goes on; {i % 97} of 97 shards are done.",
            component_statuses=(
                {str(component_ids[i % 3]): "degraded_performance"} if i % 10 == 0 else None
            ),
            at=at + timedelta(minutes=20 + 30 * i),
        )
    return incident.pk


def _plan_now() -> datetime:
    """The "now" of the first run, read back from the file written beside its database."""
    from django.conf import settings

    path = settings.VAR_DIR / "bench-plan-now"
    return datetime.fromisoformat(path.read_text().strip())


def _save_plan_now(now: datetime) -> None:
    from django.conf import settings

    path = settings.VAR_DIR / "bench-plan-now"
    if not path.exists():
        path.write_text(now.isoformat())


def generate(incidents: int, reports: int, *, batch: int, seed: int, open_share: float) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from statusdesk.incidents import services
    from statusdesk.incidents.components import ensure_default_components
    from statusdesk.incidents.models import Component, Incident, Report

    if connection.vendor == "postgresql":
        # The loader's own commits need not wait for the disk (its data is regenerated on loss).
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
    ensure_default_components()
    people = _people()
    component_ids = list(Component.objects.order_by("position").values_list("pk", flat=True))
    # Every case files exactly one report, in order, a batch per transaction: the reports already
    # there say how many cases an interrupted run finished, and it goes on from there.
    done = Report.objects.exclude(incident__name=LONG_INCIDENT_NAME).count()

    plan = random.Random(seed)
    now = timezone.now() - timedelta(minutes=5)
    if done:
        now = _plan_now()  # the plan is laid out from the first run's "now", kept beside it
    span = timedelta(days=365)
    recent = timedelta(days=14)
    other_reports = max(reports - incidents, 0)
    # Each case: (start time, kind). Open work sits in the last two weeks.
    cases: list[tuple[datetime, str]] = []
    open_incidents = int(incidents * open_share)
    for _ in range(incidents - open_incidents):
        cases.append((now - span + plan.random() * (span - recent), "resolved"))
    for _ in range(open_incidents):
        until = plan.choices(["confirmed", "assigned", "published", "updated"], [1, 1, 3, 5])[0]
        cases.append((now - plan.random() * recent, until))
    open_reports = int(other_reports * 0.05)
    for _ in range(other_reports - open_reports):
        cases.append((now - span + plan.random() * span, "dismissed"))
    for _ in range(open_reports):
        cases.append((now - plan.random() * recent, "report"))
    cases.sort(key=lambda case: case[0])
    _save_plan_now(now)
    if done:
        print(f"  going on after case {done:,} of {len(cases):,}", flush=True)

    started = time.monotonic()
    window = time.monotonic()
    made_incidents = sum(1 for _, kind in cases[:done] if kind not in {"dismissed", "report"})
    window_incidents = 0
    rates: list[tuple[int, float]] = []
    for offset in range(done, len(cases), batch):
        with transaction.atomic():
            for index in range(offset, min(offset + batch, len(cases))):
                start, kind = cases[index]
                rng = random.Random(f"{seed}:{index}")
                if kind in {"dismissed", "report"}:
                    manager = rng.choice(people.managers)
                    report = _report(services, rng, rng.choice(people.filers), manager, start)
                    if kind == "dismissed":
                        services.dismiss_report(
                            actor=manager,
                            report=report,
                            reason=rng.choice(_DISMISS),
                            at=min(start + _minutes(rng, 5, 600), now),
                        )
                    continue
                _incident(services, rng, people, component_ids, start, until=kind, now=now)
                made_incidents += 1
                window_incidents += 1
                if made_incidents % 1000 == 0:
                    elapsed = time.monotonic() - window
                    rate = window_incidents / elapsed if elapsed else 0.0
                    rates.append((made_incidents, round(rate, 1)))
                    print(
                        f"  {made_incidents:>6,} incidents, {index + 1:>7,} of {len(cases):,} "
                        f"cases ({time.monotonic() - started:6.0f} s; the last 1,000 incidents "
                        f"with the reports between them in {elapsed:5.1f} s)",
                        flush=True,
                    )
                    window = time.monotonic()
                    window_incidents = 0
    with transaction.atomic():
        long_id = _long_incident(services, people, component_ids, now)
    return {
        "incidents": Incident.objects.count(),
        "reports": Report.objects.count(),
        "open_incidents": Incident.objects.exclude(status="resolved").count(),
        "open_reports": Report.objects.filter(status="open").count(),
        "long_incident_id": long_id,
        "seconds": round(time.monotonic() - started, 1),
        "incidents_per_second_by_thousand": rates,
        "generated": True,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--reports", type=int, default=150_000)
    parser.add_argument("--batch", type=int, default=100, help="cases per transaction")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--open-share", type=float, default=0.01)
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    summary = generate(
        args.incidents, args.reports, batch=args.batch, seed=args.seed, open_share=args.open_share
    )
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
