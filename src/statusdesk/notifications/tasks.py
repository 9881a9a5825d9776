"""The worker's part of notifications: sending deliveries, confirmations, and the sweep."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.mail import get_connection
from django.db import close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from statusdesk.notifications import services
from statusdesk.notifications.models import Subscriber

log = logging.getLogger(__name__)


@db_task(name="notifications.expand")
def expand_fanout(fanout_id: int) -> None:
    """Expand a notifying event into its deliveries, a batch per transaction."""
    services.expand_fanout(fanout_id)


@db_task(name="notifications.deliver")
def deliver_batch(ids: list[int]) -> None:
    """Send the deliveries among `ids` that are due and not held by another worker."""
    services.deliver(ids)


@db_task(name="notifications.send_confirmation", retries=3, retry_delay=30)
def send_confirmation(subscriber_id: int) -> None:
    from statusdesk.notifications.messages import confirmation_email

    subscriber = Subscriber.objects.filter(pk=subscriber_id, unsubscribed_at__isnull=True).first()
    if subscriber is None:
        return
    get_connection(fail_silently=False).send_messages([confirmation_email(subscriber)])


@db_periodic_task(crontab(minute="*"), name="notifications.sweep")
def sweep_deliveries() -> None:
    """Every minute: queue again the deliveries whose task was lost or whose worker died."""
    queued = services.sweep()
    if queued:
        log.info("delivery sweep: queued %d batch(es) again", queued)


@on_startup(name="notifications.sweep_on_startup")
def sweep_on_startup() -> None:
    """A worker that starts (perhaps after one was killed) first queues what is owed."""
    try:
        services.sweep(grace=timedelta(0), future=True)
    except Exception:
        log.exception("start-up delivery sweep failed; the periodic sweep will try again")
    finally:
        close_old_connections()
