"""R10 follow-up: reminders with a controlled clock (time-machine). The clock of the reminders is
the incident's own: publication at T sets the update due at T + interval."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from statusdesk.core.models import Event
from statusdesk.desk import services as desk
from statusdesk.desk.events import DeskEvent
from statusdesk.desk.models import Message, MessageKind, Reminder
from statusdesk.incidents import services
from statusdesk.incidents.models import Incident
from tests.factories import a_desk_of, a_published_incident, update_fields

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def start():
    """The moment of publication, held still (tick=False) and moved by the tests."""
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False) as traveller:
        yield traveller, moment


@pytest.fixture
def incident(start, admin_user, manager, developer, components) -> Incident:
    a_desk_of(admin_user, 4)
    return a_published_incident(manager, developer, components, reminder_interval_minutes=60)


def _at(start, minutes: float) -> None:
    traveller, moment = start
    traveller.move_to(moment + timedelta(minutes=minutes))


def test_r10_no_reminder_before_the_interval(start, incident, mailoutbox) -> None:
    _at(start, 59)
    assert desk.send_due_reminders() == []
    assert not mailoutbox


def test_r10_one_reminder_per_missed_interval_to_the_manager(
    start, incident, manager, mailoutbox
) -> None:
    _at(start, 61)
    sent = desk.send_due_reminders()
    assert len(sent) == 1 and not sent[0].escalated and sent[0].missed == 1
    assert [m.to for m in mailoutbox] == [[manager.email]]
    assert f"INC-{incident.pk} needs a status page update" in mailoutbox[0].subject
    post = Message.objects.get(kind=MessageKind.REMINDER)
    assert "every 60 minutes" in post.text
    assert Event.objects.filter(kind=DeskEvent.REMINDER_SENT).count() == 1
    # The same interval again, later in it: nothing more.
    _at(start, 100)
    assert desk.send_due_reminders() == []
    assert len(mailoutbox) == 1
    incident.refresh_from_db()
    assert incident.next_reminder_at == start[1] + timedelta(minutes=120)


def test_r10_escalates_to_the_whole_desk_after_two_missed_intervals(
    start, incident, manager, mailoutbox
) -> None:
    _at(start, 61)
    desk.send_due_reminders()
    _at(start, 121)
    [second] = desk.send_due_reminders()
    assert second.escalated and second.missed == 2
    recipients = set(mailoutbox[-1].to)
    assert manager.email in recipients
    assert {f"member{n}@desk.example" for n in range(1, 5)} <= recipients
    assert "Escalated" in mailoutbox[-1].subject
    assert Message.objects.filter(kind=MessageKind.REMINDER).count() == 2
    assert [r.pk for r in desk.overdue_for(manager)] == [incident.pk]


def test_r10_posting_an_update_resets_the_clock(start, incident, manager, mailoutbox) -> None:
    _at(start, 61)
    desk.send_due_reminders()
    _at(start, 70)
    services.post_update(actor=manager, incident=incident, **update_fields())
    _at(start, 125)  # would be the second interval without the update
    assert desk.send_due_reminders() == []
    _at(start, 131)
    [after] = desk.send_due_reminders()
    assert after.missed == 1 and not after.escalated


def test_r10_a_claim_is_taken_once(start, incident) -> None:
    _at(start, 61)
    now = timezone.now()
    first = desk.claim_reminder(incident.pk, now)
    second = desk.claim_reminder(incident.pk, now)
    assert first is not None and second is None
    assert Reminder.objects.count() == 1


def test_r10_no_reminder_once_resolved_or_without_reminders(
    start, admin_user, manager, developer, components, mailoutbox
) -> None:
    a_desk_of(admin_user, 4)
    quiet = a_published_incident(manager, developer, components, reminders=False)
    assert quiet.next_reminder_at is None
    _at(start, 200)
    assert desk.send_due_reminders() == []
    assert not mailoutbox


def test_r10_the_console_shows_the_banner_and_the_update_cadence(
    start, incident, manager, developer
) -> None:
    from django.test import Client

    console = Client()
    console.force_login(manager)
    assert 'data-testid="reminder-banner"' not in console.get("/manage/").content.decode()
    _at(start, 61)
    desk.send_due_reminders()
    html = console.get("/manage/").content.decode()
    assert 'data-testid="reminder-banner"' in html and f"INC-{incident.pk}" in html
    other = Client()
    other.force_login(developer)  # not the manager, not escalated yet
    assert 'data-testid="reminder-banner"' not in other.get("/manage/").content.decode()
    _at(start, 90)
    services.post_update(actor=manager, incident=incident, **update_fields())
    page = console.get(f"/manage/incidents/{incident.pk}/").content.decode()
    assert 'data-testid="reminder-banner"' not in page
    # 90 minutes between the publication and the update, in the console's wording (R16).
    assert "every 2 hours on average (longest gap 2 hours) over 1 gap" in page


def test_r10_after_a_worker_outage_of_three_intervals_one_escalated_catch_up_reminder(
    start, incident, manager, mailoutbox
) -> None:
    """Nothing ran at +60, +120 and +180: the worker that comes back at +181 sends ONE reminder
    that says how many intervals were missed, escalated at once (2 or more), not three."""
    _at(start, 181)
    [reminder] = desk.send_due_reminders()
    assert reminder.missed == 3 and reminder.skipped == 2 and reminder.escalated
    assert reminder.due_at == start[1] + timedelta(minutes=60)  # the claimed (oldest) time
    assert len(mailoutbox) == 1  # one e-mail
    # The manager and the whole desk: its four standing members and the assigned developer.
    assert manager.email in mailoutbox[0].to and len(mailoutbox[0].to) == 6
    assert mailoutbox[0].subject.startswith("Escalated: ")
    assert "(3 intervals missed)" in mailoutbox[0].subject
    [post] = Message.objects.filter(kind=MessageKind.REMINDER)
    assert "3 update intervals have passed without a public update" in post.text
    assert "worker was not running at 2 earlier reminder times" in post.text
    assert "Escalated to the whole desk" in post.text
    event = Event.objects.get(kind=DeskEvent.REMINDER_SENT)
    assert event.data["missed"] == 3 and event.data["skipped"] == 2
    incident.refresh_from_db()
    # The next reminder is at the next interval boundary after now, on the same grid.
    assert incident.next_reminder_at == start[1] + timedelta(minutes=240)
    _at(start, 239)
    assert desk.send_due_reminders() == []
    _at(start, 241)
    [following] = desk.send_due_reminders()
    assert following.missed == 4 and following.skipped == 0 and following.escalated


def test_r10_two_workers_catching_up_send_one_reminder(start, incident, mailoutbox) -> None:
    """Two workers that come back at once after the outage, at the same moment: one claims the
    catch-up reminder, the other finds it claimed."""
    _at(start, 181)
    now = timezone.now()
    first = desk.send_due_reminders(now)
    second = desk.send_due_reminders(now)
    assert len(first) == 1 and second == []
    assert Reminder.objects.count() == 1 and len(mailoutbox) == 1
    assert Message.objects.filter(kind=MessageKind.REMINDER).count() == 1


@pytest.mark.postgres
def test_r10_threads_racing_at_catch_up_send_one_reminder(start, incident) -> None:
    """Four threads, each with its own connection, claim at once (PostgreSQL: the SQLite test
    database lives in memory, where threads cannot wait for each other; real worker processes
    race on a SQLite file in test_rules_reminder_workers.py)."""
    import threading

    from django.db import connection

    _at(start, 181)
    now = timezone.now()
    barrier = threading.Barrier(4)
    results: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(len(desk.send_due_reminders(now)))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [0, 0, 0, 1]
    assert Reminder.objects.count() == 1
