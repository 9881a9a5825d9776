"""Writing to the event log. Services call `record` inside their transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from statusdesk.core.models import Event, EventKind

if TYPE_CHECKING:
    from statusdesk.accounts.models import User


def record(
    kind: EventKind,
    *,
    at: datetime,
    actor: User | None,
    report: Any = None,
    incident: Any = None,
    component: Any = None,
    **data: Any,
) -> Event:
    """Append one event. Must run inside the transaction that makes the change it describes."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events are written in the same transaction as their change")
    return Event.objects.create(
        kind=kind,
        at=at,
        actor=actor,
        report=report,
        incident=incident,
        component=component,
        data=data,
    )
