"""Telling open browsers that a thread has new messages (Django Channels' layer).

The layer carries only "thread of incident N has news"; each consumer then reads the messages
after the last one it sent from the database, with the access rule checked again. A lost nudge
(another process on the in-memory layer, a Redis hiccup) costs only latency: every consumer also
takes a slow safety look at the database (consumers.py)."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def group_name(incident_id: int) -> str:
    return f"desk.incident.{incident_id}"


def _nudge(incident_id: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group_name(incident_id), {"type": "thread.news"})
    except Exception:
        log.warning("could not nudge the thread of incident %s", incident_id, exc_info=True)


def announce(incident_id: int) -> None:
    """After the commit: the thread of `incident_id` has new messages."""
    transaction.on_commit(lambda: _nudge(incident_id), robust=True)
