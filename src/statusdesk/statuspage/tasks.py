"""The worker keeps the snapshot's clock-bound parts current (today's uptime, "resolved in the
last 7 days") when nothing changes: a rebuild every 5 minutes (a no-op write when nothing moved).
Once an hour the uptime of the whole window is computed again instead of kept (kept_days.py): the
kept cells are exact when every event reached a rebuild, and this bounds what two rebuilds racing
each other could leave stale to an hour."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from statusdesk.statuspage import kept_days
from statusdesk.statuspage.snapshot import rebuild_snapshot


@db_periodic_task(crontab(minute="*/5"), name="statuspage.refresh_snapshot")
def refresh_snapshot() -> None:
    refresh(timezone.now())


def refresh(now: datetime) -> None:
    """The periodic refresh at `now`: in the first five minutes of an hour the kept uptime cells
    are forgotten, so the whole window is computed and kept again."""
    if now.minute < 5:
        kept_days.forget()
    rebuild_snapshot()
