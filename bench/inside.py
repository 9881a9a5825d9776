"""The parts of the benchmark that run inside a statusdesk process (Django set up on the database
under test): prepare a run, measure the cost of publishing, explain the list queries.

    python -m bench.inside prepare | publish-cost --count 100 | explain

Started by bench/scale.py with DATABASE_URL and STATUSDESK_VAR_DIR set; prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

from bench.generate import LONG_INCIDENT_NAME


def _manager() -> Any:
    from statusdesk.accounts.models import User

    return User.objects.get(email="manager1@example.com")


def prepare() -> dict[str, Any]:
    """Migrate (a seed made before a new migration gets it), then a session for the console,
    API tokens, and the ids and cursors the pages are read with."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from statusdesk.accounts.models import User
    from statusdesk.accounts.services import create_api_token
    from statusdesk.core.paging import CONSOLE_PAGE_SIZE, encode_cursor
    from statusdesk.incidents.models import Incident, Report

    call_command("migrate", "--noinput", verbosity=0)

    def session(user: User) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        # What a sign-in through the form records (the throttling backend only refuses).
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        assert store.session_key is not None
        return store.session_key

    manager = _manager()
    reporter = User.objects.get(email="reporter1@example.com")
    incidents = Incident.objects.count()
    reports = Report.objects.count()
    resolved = Incident.objects.filter(status="resolved").order_by("-confirmed_at", "-id")
    typical = resolved.filter(updates__kind="update").distinct()[100]
    long_incident = Incident.objects.get(name=LONG_INCIDENT_NAME)
    old_incident = Incident.objects.order_by("confirmed_at", "id")[10]
    old_report = Report.objects.order_by("reported_at", "id")[10]
    dismissed = Report.objects.filter(status="dismissed").count()
    return {
        "incidents": incidents,
        "reports": reports,
        "open_incidents": Incident.objects.exclude(status="resolved").count(),
        "open_reports": Report.objects.filter(status="open").count(),
        "updates_of_long_incident": long_incident.updates.count(),
        "manager_session": session(manager),
        "reporter_session": session(reporter),
        "manager_token": create_api_token(manager.email, name="bench")[1],
        "incident_id": typical.pk,
        "report_id": typical.report_id,
        "long_incident_id": long_incident.pk,
        "last_incident_page": -(-incidents // CONSOLE_PAGE_SIZE),
        "last_dismissed_page": -(-dismissed // CONSOLE_PAGE_SIZE),
        "old_incident_cursor": encode_cursor(old_incident.confirmed_at, old_incident.pk),
        "old_report_cursor": encode_cursor(old_report.reported_at, old_report.pk),
    }


def publish_cost(count: int) -> dict[str, Any]:
    """How long each step takes now, with this database's history: `count` incidents confirmed
    and assigned (not timed), then each published, updated and resolved (each step timed)."""
    from django.db import connection

    from statusdesk.accounts.models import User
    from statusdesk.incidents import services
    from statusdesk.incidents.models import Component, Incident

    manager = _manager()
    developer = User.objects.get(email="developer1@example.com")
    components = list(Component.objects.order_by("position").values_list("pk", flat=True))
    before = Incident.objects.count()
    made = []
    for i in range(count):
        report = services.report_problem(
            actor=manager,
            title=f"Benchmark incident {i}",
            description="Measured by bench/inside.py publish-cost.",
            reporter="bench@example.com",
            medium="email",
            detection="proactive",
            users_affected=5,
        )
        incident = services.confirm_incident(
            actor=manager, report=report, issue_title="Bench", issue_description="Bench"
        )
        made.append(
            services.assign_developer(actor=manager, incident=incident, developer=developer)
        )
    steps: dict[str, list[float]] = {"publish": [], "update": [], "resolve": []}
    for i, incident in enumerate(made):
        affected = [components[i % 8], components[(i + 3) % 8]]
        started = time.perf_counter()
        services.publish_incident(
            actor=manager,
            incident=incident,
            name="Benchmark outage",
            message="Measured.",
            workaround="None.",
            workaround_url="https://docs.example.com/bench",
            component_ids=affected,
            severity="partial_outage",
        )
        steps["publish"].append(time.perf_counter() - started)
    for incident in made:
        started = time.perf_counter()
        services.post_update(
            actor=manager, incident=incident, status="monitoring", message="A fix is deployed."
        )
        steps["update"].append(time.perf_counter() - started)
    for incident in made:
        started = time.perf_counter()
        services.resolve_incident(
            actor=manager, incident=incident, message="Resolved.\nAll works again."
        )
        steps["resolve"].append(time.perf_counter() - started)
    result: dict[str, Any] = {"vendor": connection.vendor, "incidents_before": before}
    for step, seconds in steps.items():
        result[f"{step}_ms"] = round(statistics.median(seconds) * 1000, 2)
    lifecycle = [sum(parts) for parts in zip(*steps.values(), strict=True)]
    result["published_updated_resolved_per_second"] = round(1 / statistics.median(lifecycle), 1)
    return result


def explain() -> dict[str, str]:
    """The plan of every list and dashboard query, as the database chooses it with this data."""
    from django.utils import timezone

    from statusdesk.accounts.models import User
    from statusdesk.incidents import queries
    from statusdesk.incidents.models import Incident, Report
    from statusdesk.incidents.timeline import incident_events

    manager = _manager()
    reporter = User.objects.get(email="reporter1@example.com")
    old = Incident.objects.order_by("confirmed_at", "id")[10]
    long_incident = (
        Incident.objects.filter(name=LONG_INCIDENT_NAME).first() or Incident.objects.first()
    )
    assert long_incident is not None
    plans = {
        "incidents, all": queries.incidents_with_status(manager, None)[:51],
        "incidents, open": queries.incidents_with_status(manager, "open")[:51],
        "incidents, resolved": queries.incidents_with_status(manager, "resolved")[:51],
        "incidents, one status": queries.incidents_with_status(manager, "monitoring")[:51],
        "incidents, after a cursor": queries.incidents_with_status(manager, None).filter(
            confirmed_at__lte=old.confirmed_at
        )[:51],
        "reports, all": queries.reports_with_status(manager, None)[:51],
        "reports, open": queries.reports_with_status(manager, "open")[:51],
        "reports, a reporter's": queries.reports_with_status(reporter, None)[:51],
        "dashboard, oldest open incidents": queries.open_incidents(manager)[:10],
        "dashboard, oldest open reports": queries.open_reports(manager)[:10],
        "incident page, latest updates": queries.incident_updates(long_incident).order_by(
            "-at", "-id"
        )[:20],
        "incident page, latest timeline": incident_events(long_incident).order_by("-at", "-id")[
            :50
        ],
    }
    counts = {
        "dashboard, open incidents (count)": Incident.objects.filter(
            status__in=queries.OPEN_STATUSES
        ),
        "dashboard, overdue (count)": Incident.objects.filter(
            status__in=queries.OPEN_STATUSES, next_update_due_at__lt=timezone.now()
        ),
        "dashboard, open reports (count)": queries.open_reports(manager),
        "console, all incidents (count)": Incident.objects.all(),
        "console, dismissed reports (count)": Report.objects.filter(status="dismissed"),
    }
    explained = {name: rows.explain() for name, rows in plans.items()}
    for name, rows in counts.items():
        explained[name] = rows.order_by().values("pk").explain()
    return explained


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["prepare", "publish-cost", "explain"])
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args(argv)

    import django

    django.setup()
    if args.command == "prepare":
        result: Any = prepare()
    elif args.command == "publish-cost":
        result = publish_cost(args.count)
    else:
        result = explain()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
