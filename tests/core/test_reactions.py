"""Reactions after commit, in this process (the queue runs at once here): after commit, never for
a rolled-back change, exactly once, retried with backoff, recovered by the sweep.

tests/core/test_reaction_worker.py does the same through real worker processes and queues."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from statusdesk.core import reactions
from statusdesk.core.errors import RuleViolation
from statusdesk.core.models import Event, ReactionRun
from statusdesk.incidents import services
from statusdesk.incidents.events import IncidentEvent
from tests.factories import an_assigned_incident, publication
from tests.noticeboard.models import Echo, Notice
from tests.noticeboard.reactions import COPY
from tests.noticeboard.services import post_notice


def _run(event_id: int) -> ReactionRun:
    return ReactionRun.objects.get(event_id=event_id, reaction=COPY)


@pytest.mark.django_db(transaction=True)
def test_a_committed_step_runs_its_reaction_once_after_commit():
    with transaction.atomic():
        notice = post_notice("Lunch is served")
        # Inside the transaction the reaction is owed, not run.
        run = ReactionRun.objects.get(reaction=COPY)
        assert run.handled_at is None
        assert Echo.objects.count() == 0
    echo = Echo.objects.get()
    assert (echo.event_id, echo.text) == (run.event_id, notice.text)
    run.refresh_from_db()
    assert run.state == "handled" and run.attempts == 1
    # Asking again changes nothing: it ran once.
    assert reactions.handle_event(run.event_id) == 0
    assert reactions.sweep(grace=timedelta(0)) == 0
    assert Echo.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_step_triggers_nothing():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        post_notice("Never mind")
        1 / 0  # noqa: B018 - the step fails after recording its event
    assert ReactionRun.objects.count() == 0
    assert Echo.objects.count() == 0
    assert reactions.sweep(grace=timedelta(0)) == 0


@pytest.mark.django_db(transaction=True)
def test_a_refused_process_step_triggers_nothing(manager, developer, components):
    """A real step that fails validation after its checks began writes no event, no run."""
    from statusdesk.core.reactions import reaction, unregister

    seen: list[int] = []
    reaction("test.published", kinds=[IncidentEvent.INCIDENT_PUBLISHED])(
        lambda event: seen.append(event.pk)
    )
    try:
        incident = an_assigned_incident(manager, developer)
        with pytest.raises(RuleViolation):
            services.publish_incident(
                actor=manager, incident=incident, **publication(components, workaround_url="x")
            )
        assert ReactionRun.objects.filter(reaction="test.published").count() == 0
        services.publish_incident(actor=manager, incident=incident, **publication(components))
        assert len(seen) == 1
    finally:
        unregister("test.published")


@pytest.mark.django_db(transaction=True)
def test_a_reaction_is_owed_only_where_it_wants_the_event():
    post_notice("Nothing to see", quiet=True)
    assert ReactionRun.objects.count() == 0
    assert Echo.objects.count() == 0


@pytest.mark.django_db
def test_the_sweep_runs_what_was_committed_but_never_queued():
    """In this test's transaction, which never commits, `on_commit` never fires: the run is owed
    and not queued, as after a crash between commit and queueing. The sweep runs it once."""
    post_notice("Lost in the queue")
    run = ReactionRun.objects.get()
    assert Echo.objects.count() == 0
    # A fresh run is left to its queued task for a grace period...
    assert reactions.sweep() == 0
    # ...after which the sweep takes it.
    ReactionRun.objects.filter(pk=run.pk).update(due_at=timezone.now() - timedelta(minutes=1))
    assert reactions.sweep() == 1
    assert reactions.sweep(grace=timedelta(0)) == 0
    assert Echo.objects.count() == 1
    assert reactions.backlog() == {
        "pending": 0,
        "failed": 0,
        "oldest_pending_seconds": 0.0,
        "lag_seconds": 0.0,
    }


@pytest.mark.django_db
def test_a_failing_reaction_is_rolled_back_and_retried_with_backoff():
    post_notice("Flaky", fail_times=2)
    run = ReactionRun.objects.get()
    assert reactions.handle_run(run.pk) is False
    run.refresh_from_db()
    assert run.attempts == 1 and run.state == "pending"
    assert "the notice board is down" in run.last_error
    assert run.due_at > timezone.now() + timedelta(seconds=10)  # backoff, not a busy loop
    assert Echo.objects.count() == 0  # the failed attempt's writes were taken back
    assert reactions.handle_run(run.pk) is False  # not due yet
    for expected_attempts in (2, 3):
        ReactionRun.objects.filter(pk=run.pk).update(due_at=timezone.now())
        reactions.handle_run(run.pk)
        run.refresh_from_db()
        assert run.attempts == expected_attempts
    assert run.state == "handled"
    assert Echo.objects.count() == 1


@pytest.mark.django_db
def test_a_reaction_that_always_fails_is_marked_failed_then_retried_on_demand():
    notice = post_notice("Broken", broken=True)
    run = ReactionRun.objects.get()
    for _ in range(reactions.MAX_ATTEMPTS):
        ReactionRun.objects.filter(pk=run.pk).update(due_at=timezone.now())
        reactions.handle_run(run.pk)
    run.refresh_from_db()
    assert run.state == "failed" and run.attempts == reactions.MAX_ATTEMPTS
    assert reactions.backlog()["failed"] == 1
    assert reactions.sweep(grace=timedelta(0)) == 0  # a failed run waits for a person
    # Someone fixes the cause, then asks for another round.
    Notice.objects.filter(pk=notice.pk).update(broken=False)
    assert reactions.retry_failed() == 1
    assert reactions.handle_run(run.pk) is True
    assert Echo.objects.count() == 1


@pytest.mark.django_db
def test_handled_runs_are_forgotten_after_a_week_and_never_run_again():
    post_notice("Old news")
    run = ReactionRun.objects.get()
    assert reactions.handle_run(run.pk)
    ReactionRun.objects.filter(pk=run.pk).update(handled_at=timezone.now() - timedelta(days=8))
    reactions.sweep(grace=timedelta(0))
    assert not ReactionRun.objects.exists()
    assert Echo.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_one_run_run_it_once():
    """Several threads (each with its own database connection) handle the same owed run at once:
    one runs it, the others skip the locked row. PostgreSQL only: the SQLite test database lives
    in memory, where threads cannot wait for each other; worker processes race on a real SQLite
    file in test_reaction_worker.py."""
    post_notice("Contested", quiet=True)  # not wanted by the reaction, so not run at commit...
    event = Event.objects.get()
    # ...then owed by hand: a run that nobody queued, which every thread finds at once.
    ReactionRun.objects.create(
        event=event, reaction=COPY, created_at=timezone.now(), due_at=timezone.now()
    )
    barrier = threading.Barrier(4)
    results: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(reactions.handle_event(event.pk))
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [0, 0, 0, 1]
    assert Echo.objects.count() == 1


@pytest.mark.django_db
def test_the_backlog_counts_pending_and_failed_runs_and_the_oldest_age():
    post_notice("Waiting")
    ReactionRun.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    figures = reactions.backlog()
    assert figures["pending"] == 1 and figures["failed"] == 0
    assert 290 < figures["oldest_pending_seconds"] < 400


def test_a_reaction_name_is_registered_once():
    from statusdesk.core.reactions import reaction

    with pytest.raises(ValueError, match="already registered"):
        reaction(COPY, kinds=["notice.posted"])(lambda event: None)


@pytest.mark.django_db
def test_the_reactions_command_shows_the_backlog_and_sweeps(capsys):
    from django.core.management import call_command

    post_notice("Via the command")
    call_command("reactions")
    out = capsys.readouterr().out
    assert "pending: 1" in out and COPY in out
    call_command("reactions", "sweep")
    out = capsys.readouterr().out
    assert "ran 1 reaction(s)" in out and "pending: 0" in out
