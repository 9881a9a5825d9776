"""R10 with real worker processes: after an outage of three intervals, two workers that start at
once, and a worker killed and replaced, still send exactly one (catch-up) reminder (claims, not
locks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.processes import a_site, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

START_SECONDS = 90

# Published 210 minutes ago with hourly reminders, no worker since: the reminder times at 150,
# 90 and 30 minutes ago all passed unsent.
OVERDUE = """
from datetime import timedelta
from django.utils import timezone
from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component
m = User.objects.get(email="manager@example.com")
d = User.objects.get(email="developer@example.com")
t = timezone.now() - timedelta(minutes=210)
r = services.report_problem(actor=m, title="Slow scans", description="Scans take hours.",
    reporter="help@example.com", medium="email", detection="reactive", users_affected=5,
    could_affect_two_or_more=True, at=t)
i = services.confirm_incident(actor=m, report=r, issue_title="Slow scans",
    issue_description="The scan queue is stuck.", at=t)
services.assign_developer(actor=m, incident=i, developer=d, at=t)
c = list(Component.objects.order_by("position").values_list("pk", flat=True)[:1])
services.publish_incident(actor=m, incident=i, name="Scans are slow", message="Scans are late.",
    workaround="Wait.", workaround_url="https://docs.example.com/scans", component_ids=c,
    severity="degraded_performance", reminder_interval_minutes=60, at=t)
print(i.pk)
"""


def _mails(var: Path) -> list[Path]:
    return sorted((var / "mail").rglob("*.eml")) if (var / "mail").exists() else []


def _started(site, name: str) -> bool:
    return "start-up reminders:" in site.log(name)


def test_r10_two_workers_and_a_restart_send_one_reminder(tmp_path: Path) -> None:
    with a_site(tmp_path) as site:
        site.cli("seed-demo", "--quiet", "--no-history")
        incident_id = int(site.python(OVERDUE).strip())
        queue = site.queue("reminders")
        first = site.start_worker("worker-1", **queue)
        site.start_worker("worker-2", **queue)
        for name in ("worker-1", "worker-2"):
            wait_for(lambda n=name: _started(site, n), timeout=START_SECONDS, what=f"{name} start")
        reminders = "SELECT count(*) FROM desk_reminder WHERE incident_id = ?"
        assert site.value(reminders, incident_id) == 1
        wait_for(
            lambda: site.value("SELECT count(*) FROM desk_reminder WHERE mailed_at IS NOT NULL"),
            timeout=START_SECONDS,
            what="the reminder's e-mail",
        )
        assert site.value("SELECT count(*) FROM desk_message WHERE kind = 'reminder'") == 1
        assert len(_mails(site.var)) == 1
        # A worker killed and another started: the interval's reminder is not sent again.
        site.kill(first)
        site.start_worker("worker-3", **queue)
        wait_for(lambda: _started(site, "worker-3"), timeout=START_SECONDS, what="worker-3 start")
        assert site.value(reminders, incident_id) == 1
        assert len(_mails(site.var)) == 1
        mail = _mails(site.var)[0].read_text()
        assert "manager@example.com" in mail and "desk1@example.com" in mail  # escalated
        assert "(3 intervals missed)" in mail
        row = "SELECT missed, skipped, escalated FROM desk_reminder WHERE incident_id = ?"
        missed, skipped, escalated = site.sql(row, incident_id)[0]
        assert (missed, skipped, bool(escalated)) == (3, 2, True)
