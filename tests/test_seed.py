"""`make run` seeds demo data; seeding twice must change nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from statusdesk.accounts.models import User
from statusdesk.incidents.management.commands.seed_demo import DEMO_USERS
from statusdesk.incidents.models import Component

DEMO_EMAILS = {email for email, _, _ in DEMO_USERS}


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    call_command("seed_demo", "--quiet")
    first = (
        sorted(User.objects.values_list("email", "password")),
        sorted(Component.objects.values_list("name", "code_name", "status")),
        sorted((g.name, g.permissions.count(), g.user_set.count()) for g in Group.objects.all()),
    )
    call_command("seed_demo", "--quiet")
    second = (
        sorted(User.objects.values_list("email", "password")),
        sorted(Component.objects.values_list("name", "code_name", "status")),
        sorted((g.name, g.permissions.count(), g.user_set.count()) for g in Group.objects.all()),
    )
    assert first == second
    assert {email for email, _ in first[0]} == DEMO_EMAILS
    assert len(first[1]) == 8
    manager = User.objects.get(email="manager@example.com")
    assert manager.has_perm("incidents.manage_incidents")
    assert User.objects.get(email="admin@example.com").is_superuser


def test_make_run_seeding_on_a_fresh_sqlite_database_is_idempotent(tmp_path: Path):
    """The commands `make run` uses, in a fresh var/ directory, seeded twice."""
    env = os.environ | {"STATUSDESK_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    cli = [sys.executable, "-m", "statusdesk.cli"]
    subprocess.run([*cli, "migrate", "--noinput", "-v0"], env=env, check=True)
    first = subprocess.run([*cli, "seed-demo"], env=env, check=True, capture_output=True, text=True)
    assert "seeded 8 new components and 8 new users" in first.stdout
    assert "manager@example.com" in first.stdout and "password" in first.stdout
    second = subprocess.run(
        [*cli, "seed-demo"], env=env, check=True, capture_output=True, text=True
    )
    assert "seeded 0 new components and 0 new users" in second.stdout
    with sqlite3.connect(tmp_path / "statusdesk.sqlite3") as db:
        users = db.execute("select count(*), count(distinct email) from accounts_user").fetchone()
        components = db.execute("select count(*) from incidents_component").fetchone()
        groups = db.execute("select count(*) from auth_group").fetchone()
    assert users == (8, 8)
    assert components == (8,)
    assert groups == (5,)


@pytest.mark.django_db
def test_a_fresh_demo_has_three_months_of_resolved_incidents():
    """The status page of a new `make run` has history: components since 100 days, three
    resolved incidents back-filled through the services, none open, none notified."""
    from statusdesk.core.models import Event
    from statusdesk.incidents.events import ComponentEvent
    from statusdesk.incidents.models import Incident, IncidentStatus
    from statusdesk.statuspage.snapshot import current_snapshot, rebuild_snapshot

    call_command("seed_demo", "--quiet")
    incidents = list(Incident.objects.order_by("published_at"))
    assert [i.status for i in incidents] == [IncidentStatus.RESOLVED] * 3
    assert not any(u.notify for i in incidents for u in i.updates.all())
    added = Event.objects.filter(kind=ComponentEvent.ADDED).values_list("at", flat=True)
    assert max(added) < incidents[0].report.reported_at
    rebuild_snapshot()
    snapshot = current_snapshot()
    assert snapshot.status["indicator"] == "none"
    web = next(c for c in snapshot.components if c["name"] == "Web")
    assert [cell.uptime for cell in snapshot.uptime[web["id"]]].count(None) == 0
    assert min(cell.uptime or 100 for cell in snapshot.uptime[web["id"]]) < 100
    call_command("seed_demo", "--quiet")
    assert Incident.objects.count() == 3


@pytest.mark.django_db
def test_seed_demo_without_history():
    from statusdesk.incidents.models import Incident

    call_command("seed_demo", "--quiet", "--no-history")
    assert Component.objects.count() == 8 and not Incident.objects.exists()
