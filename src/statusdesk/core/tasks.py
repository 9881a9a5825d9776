"""The worker's part of the reactions after commit (statusdesk.core.reactions)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from statusdesk.core import heartbeat, reactions

log = logging.getLogger(__name__)


@db_task(name="core.react")
def react(event_id: int) -> None:
    """Run the reactions one committed event still owes."""
    reactions.handle_event(event_id)


@db_periodic_task(crontab(minute="*"), name="core.sweep_reactions")
def sweep_reactions() -> None:
    """Every minute: run the owed reactions whose queued task was lost."""
    ran = reactions.sweep()
    if ran:
        log.info("sweep: ran %d reaction(s) whose task was lost or retried", ran)


@on_startup(name="core.sweep_on_startup")
def sweep_on_startup() -> None:
    """A worker that starts (perhaps after one was killed) first runs what is owed."""
    try:
        ran = reactions.sweep(grace=timedelta(0))
        if ran:
            log.info("start-up sweep: ran %d owed reaction(s)", ran)
    except Exception:
        log.exception("start-up sweep failed; the periodic sweep will try again")
    finally:
        close_old_connections()


@db_periodic_task(crontab(minute="*"), name="core.heartbeat")
def stamp_heartbeat() -> None:
    """Every minute: this worker is alive and takes work (read by `statusdesk check`)."""
    heartbeat.beat()


@on_startup(name="core.heartbeat_on_startup")
def heartbeat_on_startup() -> None:
    """A worker that starts is alive at once, before the first periodic beat."""
    try:
        heartbeat.beat()
    except Exception:
        log.exception("start-up heartbeat failed; the periodic heartbeat will try again")
    finally:
        close_old_connections()
