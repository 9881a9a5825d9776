"""The worker's part of the follow-up (R10): every minute, claim the due reminders."""

from __future__ import annotations

import logging

from django.db import close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from statusdesk.desk import services

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"), name="desk.send_reminders")
def send_reminders() -> None:
    sent = services.send_due_reminders()
    if sent:
        log.info("sent %d reminder(s) to post an update", len(sent))


@on_startup(name="desk.reminders_on_startup")
def reminders_on_startup() -> None:
    """A worker that starts (perhaps after one was stopped) sends what is due at once."""
    try:
        sent = services.send_due_reminders()
        log.info("start-up reminders: sent %d", len(sent))
    except Exception:
        log.exception("start-up reminders failed; the periodic task will try again")
    finally:
        close_old_connections()


@db_task(name="desk.mail_mentions")
def mail_mentions(message_id: int) -> None:
    """E-mail the readers @mentioned in one message (the periodic task mails any left over)."""
    services.mail_pending_mentions(message_id)


@db_task(name="desk.mirror_posts")
def mirror_posts() -> None:
    """Copy the owed desk posts to the chat room, in order (docs/desk.md, the mirror)."""
    services.send_mirror_posts()


@db_periodic_task(crontab(minute="*"), name="desk.mirror_sweep")
def mirror_sweep() -> None:
    """Every minute: send what a lost task or a killed worker left owed."""
    if services.mirror_owed():
        services.send_mirror_posts()
