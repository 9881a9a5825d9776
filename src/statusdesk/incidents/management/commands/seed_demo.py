"""`statusdesk seed-demo`: the eight components (R6), the demo users and, on a fresh database, a
short history of past incidents so the status page and the Incidents Page have something to show.
Running it twice changes nothing."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.accounts.roles import Role
from statusdesk.accounts.services import ensure_user
from statusdesk.core.signals import demo_users_seeded
from statusdesk.core.startup import StartupLockTimeout, startup_lock
from statusdesk.incidents import services
from statusdesk.incidents.components import ensure_default_components
from statusdesk.incidents.models import Component, Incident

DEMO_PASSWORD = os.environ.get("STATUSDESK_DEMO_PASSWORD", "statusdesk-demo")

DEMO_USERS: list[tuple[str, Role, str]] = [
    ("admin@example.com", Role.ADMINISTRATOR, "Ada Admin"),
    ("manager@example.com", Role.INCIDENT_MANAGER, "Maria Manager"),
    ("developer@example.com", Role.DEVELOPER, "Dev Eloper"),
    ("desk1@example.com", Role.DESK_MEMBER, "Desk Member One"),
    ("desk2@example.com", Role.DESK_MEMBER, "Desk Member Two"),
    ("desk3@example.com", Role.DESK_MEMBER, "Desk Member Three"),
    ("desk4@example.com", Role.DESK_MEMBER, "Desk Member Four"),
    ("reporter@example.com", Role.REPORTER, "Rita Reporter"),
]


# The demo's past: (days ago, hours it lasted, component keys, severity, name, message, update,
# resolution). Back-filled through the services, as a manager records a past incident.
DEMO_HISTORY: list[tuple[float, float, list[str], str, str, str, str, str]] = [
    (
        62,
        3,
        ["docs"],
        "degraded_performance",
        "Slow documentation search",
        "Searching the documentation takes up to a minute.",
        "The search index is rebuilt; results are fast again for most pages.",
        "Documentation search is back to normal.",
    ),
    (
        27,
        2,
        ["web", "platform"],
        "major_outage",
        "Web console unavailable",
        "The web console answers with an error for every user.",
        "A faulty release was rolled back; we are watching the error rate.",
        "The web console works normally again.\nA fix for the release is under review.",
    ),
    (
        4,
        5,
        ["mailing"],
        "partial_outage",
        "Delayed e-mail notifications",
        "Notification e-mails arrive up to two hours late.",
        "The mail queue is draining; new e-mails go out on time.",
        "Every delayed e-mail has been delivered.",
    ),
]
# Components are back-dated before the history, so the status page's 90 days have data.
DEMO_COMPONENTS_SINCE = timedelta(days=100)


class Command(BaseCommand):
    help = (
        "Seed demo data: the eight default components, one user per role and, on a fresh "
        "database, a few resolved incidents of the last three months."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="do not print the logins")
        parser.add_argument(
            "--no-history", action="store_true", help="no past incidents, only components and users"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Under the start-up lock: two processes seeding a fresh database at once would both find
        # it fresh and back-fill the history twice.
        try:
            with startup_lock(announce=self.stderr.write):
                self._seed(**options)
        except StartupLockTimeout as exc:
            raise CommandError(str(exc)) from exc

    def _seed(self, **options: Any) -> None:
        fresh = not Component.objects.exists() and not Incident.objects.exists()
        components = ensure_default_components(
            at=timezone.now() - DEMO_COMPONENTS_SINCE if fresh else None
        )
        users = 0
        seeded: dict[User, str] = {}
        for email, role, name in DEMO_USERS:
            user, created = ensure_user(email, role=role, full_name=name, password=DEMO_PASSWORD)
            users += int(created)
            seeded[user] = role.value
        demo_users_seeded.send(sender=self.__class__, users=seeded)
        incidents = 0
        if fresh and not options["no_history"]:
            incidents = seed_history()
        self.stdout.write(f"seeded {components} new components and {users} new users")
        if incidents:
            self.stdout.write(f"seeded {incidents} past incidents")
        if options["quiet"]:
            return
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for email, role, _ in DEMO_USERS:
            self.stdout.write(f"  {email:<24} {role.value}")
        self.stdout.write("")


@transaction.atomic
def seed_history() -> int:
    """The demo's resolved incidents, each back-filled step by step (no notifications)."""
    manager = User.objects.get(email="manager@example.com")
    developer = User.objects.get(email="developer@example.com")
    by_key = {c.key: c.pk for c in Component.objects.all()}
    now = timezone.now()
    for days, hours, keys, severity, name, message, update, resolution in DEMO_HISTORY:
        start = now - timedelta(days=days)
        report = services.report_problem(
            actor=manager,
            title=name,
            description=message,
            reporter="support@example.com",
            medium="email",
            detection="reactive",
            users_affected=12,
            could_affect_two_or_more=True,
            at=start,
        )
        incident = services.confirm_incident(
            actor=manager,
            report=report,
            issue_title=name,
            issue_description=message,
            at=start + timedelta(minutes=10),
        )
        services.assign_developer(
            actor=manager, incident=incident, developer=developer, at=start + timedelta(minutes=15)
        )
        services.publish_incident(
            actor=manager,
            incident=incident,
            name=name,
            message=message,
            workaround="No action is needed; follow this incident on the status page.",
            workaround_url="https://docs.example.com/status",
            component_ids=[by_key[key] for key in keys],
            severity=severity,
            at=start + timedelta(minutes=20),
        )
        services.post_update(
            actor=manager,
            incident=incident,
            status="monitoring",
            message=update,
            at=start + timedelta(hours=hours) * 0.6,
        )
        services.resolve_incident(
            actor=manager, incident=incident, message=resolution, at=start + timedelta(hours=hours)
        )
    return len(DEMO_HISTORY)
