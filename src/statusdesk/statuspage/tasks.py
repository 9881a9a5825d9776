"""The worker keeps the snapshot's clock-bound parts current (today's uptime, "resolved in the
last 7 days") when nothing changes: a rebuild every 5 minutes (a no-op write when nothing moved)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from statusdesk.statuspage.snapshot import rebuild_snapshot


@db_periodic_task(crontab(minute="*/5"), name="statuspage.refresh_snapshot")
def refresh_snapshot() -> None:
    rebuild_snapshot()
