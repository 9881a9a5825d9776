"""The event log: append-only, in the change's transaction, subjects any app can name, kinds each
app declares (a second app, tests.noticeboard, records its own without a change to core)."""

from __future__ import annotations

import pytest
from django.db import models, transaction
from django.utils import timezone

from statusdesk.core.events import (
    UnknownEventKind,
    declare_kinds,
    declared_kinds,
    kind_label,
    record,
    subject_key,
)
from statusdesk.core.models import AppendOnlyError, Event, EventSubject
from statusdesk.incidents.events import IncidentEvent
from tests.noticeboard.events import NoticeEvent
from tests.noticeboard.services import post_notice

pytestmark = pytest.mark.django_db


def record_one(actor) -> Event:
    with transaction.atomic():
        return record(
            IncidentEvent.REPORT_FILED, subject="report:1", at=timezone.now(), actor=actor, n=1
        )


def test_events_are_append_only(manager):
    event = record_one(manager)
    event.data = {"n": 2}
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(pk=event.pk).update(kind=IncidentEvent.INCIDENT_RESOLVED)
    with pytest.raises(AppendOnlyError):
        Event.objects.all().delete()
    assert Event.objects.get(pk=event.pk).data == {"n": 1}


@pytest.mark.django_db(transaction=True)
def test_event_outside_a_transaction_is_refused(manager):
    with pytest.raises(RuntimeError, match="same transaction"):
        record(IncidentEvent.REPORT_FILED, subject="report:1", at=timezone.now(), actor=manager)
    assert Event.objects.count() == 0


def test_event_rolls_back_with_its_change(manager):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        record(IncidentEvent.REPORT_FILED, subject="report:1", at=timezone.now(), actor=manager)
        1 / 0  # noqa: B018 - the change fails after its event was written
    assert Event.objects.count() == 0
    assert EventSubject.objects.count() == 0


def test_an_undeclared_kind_is_refused(manager):
    with pytest.raises(UnknownEventKind, match="report.filde"), transaction.atomic():
        record("report.filde", subject="report:1", at=timezone.now(), actor=manager)
    assert Event.objects.count() == 0


def test_two_apps_cannot_declare_one_kind_with_two_meanings():
    class Clash(models.TextChoices):
        POSTED = "notice.posted", "Something else entirely"

    with pytest.raises(ValueError, match="already declared"):
        declare_kinds(Clash)
    assert kind_label("notice.posted") == "Notice posted"


def test_a_kind_must_name_its_app():
    class Bare(models.TextChoices):
        POSTED = "posted", "Posted"

    with pytest.raises(ValueError, match="app.what"):
        declare_kinds(Bare)


def test_a_second_app_records_its_own_events_without_touching_core(manager):
    """tests.noticeboard declares `notice.posted` and names its subjects; core knows nothing of
    it, yet the event is recorded, labelled and found by its subjects like any other."""
    notice = post_notice("Coffee machine fixed", actor=manager, mood="relieved")
    event = Event.objects.get(kind=NoticeEvent.POSTED)
    assert event.subject == f"notice:{notice.pk}" == subject_key(notice)
    assert event.label == "Notice posted"
    assert declared_kinds()["notice.posted"] == "Notice posted"
    assert event.data == {"notice_id": notice.pk, "mood": "relieved"}
    assert list(Event.objects.about("noticeboard")) == [event]
    assert list(Event.objects.about(f"notice:{notice.pk}")) == [event]
    assert set(event.subjects.values_list("key", flat=True)) == {
        "noticeboard",
        f"notice:{notice.pk}",
    }


def test_events_are_found_by_any_of_their_subjects(manager):
    with transaction.atomic():
        first = record(
            IncidentEvent.INCIDENT_CONFIRMED,
            subject="incident:7",
            also=["report:3"],
            at=timezone.now(),
            actor=manager,
        )
        record(IncidentEvent.REPORT_FILED, subject="report:4", at=timezone.now(), actor=manager)
    assert list(Event.objects.about("report:3")) == [first]
    assert list(Event.objects.about("incident:7")) == [first]
    assert Event.objects.about("report:3", "report:4").count() == 2


def test_a_subject_must_be_saved_before_its_events(manager):
    from tests.noticeboard.models import Notice

    with pytest.raises(ValueError, match="no id yet"), transaction.atomic():
        record(NoticeEvent.POSTED, subject=Notice(text="x"), at=timezone.now(), actor=manager)
