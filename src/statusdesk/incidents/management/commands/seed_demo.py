"""`statusdesk seed-demo`: the eight components (R6) and the demo users. Running it twice changes
nothing."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand

from statusdesk.accounts.roles import Role
from statusdesk.accounts.services import ensure_user
from statusdesk.incidents.components import ensure_default_components

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


class Command(BaseCommand):
    help = "Seed demo data: the eight default components and one user per role."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="do not print the logins")

    def handle(self, *args: Any, **options: Any) -> None:
        components = ensure_default_components()
        users = 0
        for email, role, name in DEMO_USERS:
            _, created = ensure_user(email, role=role, full_name=name, password=DEMO_PASSWORD)
            users += int(created)
        self.stdout.write(f"seeded {components} new components and {users} new users")
        if options["quiet"]:
            return
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for email, role, _ in DEMO_USERS:
            self.stdout.write(f"  {email:<24} {role.value}")
        self.stdout.write("")
