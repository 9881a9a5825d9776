from __future__ import annotations

import pytest
from django.db import transaction
from django.utils import timezone

from statusdesk.core.events import record
from statusdesk.core.models import AppendOnlyError, Event, EventKind

pytestmark = pytest.mark.django_db


def record_one(actor) -> Event:
    with transaction.atomic():
        return record(EventKind.REPORT_FILED, at=timezone.now(), actor=actor, note="x")


def test_events_are_append_only(manager):
    event = record_one(manager)
    event.data = {"note": "changed"}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(kind=EventKind.INCIDENT_RESOLVED)
    with pytest.raises(AppendOnlyError):
        Event.objects.all().delete()
    assert Event.objects.get(pk=event.pk).data == {"note": "x"}


@pytest.mark.django_db(transaction=True)
def test_event_outside_a_transaction_is_refused(manager):
    with pytest.raises(RuntimeError, match="same transaction"):
        record(EventKind.REPORT_FILED, at=timezone.now(), actor=manager)


def test_event_rolls_back_with_its_change(manager):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record(EventKind.REPORT_FILED, at=timezone.now(), actor=manager)
        1 / 0  # noqa: B018 - the change fails after its event was written
    assert Event.objects.count() == 0
