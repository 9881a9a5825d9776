"""The workers' sign of life, read by `statusdesk check` (statusdesk.core.readiness).

Each worker process stamps its row when its consumer starts and whenever it runs the periodic
`core.heartbeat` task (every minute). So the newest beat is at most about a minute old while any
worker takes work; older than a few minutes, no worker has run a job since.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.utils import timezone

from statusdesk.core.models import WorkerHeartbeat

# A row not stamped for this long belongs to a process that is gone: forgotten.
FORGET_AFTER = timedelta(days=1)
# What `statusdesk check` accepts by default: the minute of the periodic task, plus a busy queue.
MAX_AGE = timedelta(minutes=3)

_STARTED_AT = timezone.now()


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def beat(now: datetime | None = None) -> None:
    """Stamp this process's heartbeat, and forget the rows of long-gone processes."""
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker=this_worker(),
        defaults={"beat_at": now},
        create_defaults={"beat_at": now, "started_at": _STARTED_AT},
    )
    WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()


def newest() -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.order_by("-beat_at").first()


def recent(within: timedelta, now: datetime | None = None) -> list[WorkerHeartbeat]:
    """The workers that beat within `within` (at least these are alive)."""
    now = now or timezone.now()
    return list(WorkerHeartbeat.objects.filter(beat_at__gte=now - within))
