"""Reactions after commit: what an app does once an event of a kind it cares about is committed.

A feature app registers a reaction once, at import (its `reactions.py`, imported by its AppConfig):

    @reaction("statuspage.rebuild_snapshot", kinds=[IncidentEvent.PUBLISHED, ...])
    def rebuild_snapshot(event: Event) -> None: ...

The guarantees, and how they are kept:

- **Never inside the transaction, never for a rolled-back change.** `record` writes one
  ReactionRun row per matching reaction in the same transaction as the event; the run is queued
  on the Huey worker only after commit (`transaction.on_commit`). A rollback removes both.
- **Never lost.** The row is durable before anything is queued. If the process dies between
  commit and queueing, or the worker dies while running it, the row stays pending; the sweep
  (every minute, and when a worker starts) finds pending rows and runs them. No id cursor is
  involved: on PostgreSQL ids are taken before commit, so "every id above the last one seen"
  would skip an event that commits late.
- **Once.** A worker claims the row (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite
  serialises writers), runs the reaction and marks the row handled in one transaction: the
  reaction's database writes and the mark commit together or not at all. Two workers, a
  re-queued task and the sweep can all find the same row; only the first to commit acts.

What a reaction must do in return: keep to quick database work (write a desk post, expand an
outbox, rebuild a snapshot). Work that talks to the outside world (SMTP, webhooks) is written as
its own durable rows here and delivered by its own tasks, since a transaction cannot take back an
e-mail. Reactions may run concurrently and in any order; one that cares about order reads the
event's `at` and id.

A reaction that raises is rolled back and tried again later with exponential backoff; after
MAX_ATTEMPTS it is marked failed (visible in `statusdesk reactions` and /healthz) until
`statusdesk reactions retry` is run.
"""

from __future__ import annotations

import logging
import random
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from statusdesk.core.logs import reaction_ran
from statusdesk.core.models import REACTION_NAME_MAX, Event, ReactionRun

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=15)
LONGEST_RETRY = timedelta(hours=1)
# A new run is the queued task's to take; the sweep leaves it alone this long.
SWEEP_GRACE = timedelta(seconds=30)
SWEEP_BATCH = 500
# Handled runs are kept this long (for the backlog figures and for looking into a problem).
KEEP_HANDLED = timedelta(days=7)

ReactionFunction = Callable[[Event], None]


@dataclass(frozen=True)
class Reaction:
    name: str
    kinds: frozenset[str]
    function: ReactionFunction
    when: Callable[[Event], bool] | None = None

    def wants(self, event: Event) -> bool:
        return event.kind in self.kinds and (self.when is None or bool(self.when(event)))


_REACTIONS: dict[str, Reaction] = {}


def reaction(
    name: str, *, kinds: Iterable[str], when: Callable[[Event], bool] | None = None
) -> Callable[[ReactionFunction], ReactionFunction]:
    """Register `function` to run once after each committed event of one of `kinds` (for which
    `when(event)` holds, if given). The name is stored with each run: keep it stable."""
    if not name or len(name) > REACTION_NAME_MAX:
        raise ValueError(f"a reaction name must be 1 to {REACTION_NAME_MAX} characters")

    def register(function: ReactionFunction) -> ReactionFunction:
        known = _REACTIONS.get(name)
        if known is not None and known.function is not function:
            raise ValueError(f"a reaction named {name!r} is already registered")
        _REACTIONS[name] = Reaction(name, frozenset(str(k) for k in kinds), function, when)
        return function

    return register


def registered_reactions() -> dict[str, Reaction]:
    return dict(_REACTIONS)


def unregister(name: str) -> None:
    """For tests that register a reaction of their own."""
    _REACTIONS.pop(name, None)


# --- owing: in the transaction that records the event ---------------------------------------


def owe_reactions(event: Event) -> list[ReactionRun]:
    """Write the runs this event owes, and queue them for after the commit."""
    now = timezone.now()
    runs = [
        ReactionRun(event=event, reaction=r.name, created_at=now, due_at=now)
        for r in _REACTIONS.values()
        if r.wants(event)
    ]
    if not runs:
        return []
    ReactionRun.objects.bulk_create(runs)
    event_id = event.pk
    transaction.on_commit(lambda: _queue(event_id), robust=True)
    return runs


def _queue(event_id: int, *, delay: float | None = None) -> None:
    try:
        from statusdesk.core.tasks import react

        if delay:
            react.schedule((event_id,), delay=delay)
        else:
            react(event_id)
    except Exception:
        # The run is safe in the database: the sweep will find it.
        log.warning(
            "could not queue the reactions of event %s; the sweep will run them",
            event_id,
            exc_info=True,
        )


# --- handling: on the worker --------------------------------------------------------------


def _backoff(attempts: int) -> timedelta:
    delay = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)
    return delay * random.uniform(0.8, 1.2)


def handle_run(run_id: int) -> bool:
    """Run one owed reaction if nobody has; True when this call ran it."""
    with transaction.atomic():
        run = (
            ReactionRun.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(pk=run_id, handled_at__isnull=True, failed_at__isnull=True)
            .filter(due_at__lte=timezone.now())
            .first()
        )
        if run is None:
            return False  # handled, failed for good, not due yet, or another worker has it
        registered = _REACTIONS.get(run.reaction)
        started = time.monotonic()
        try:
            if registered is None:
                raise LookupError(f"no reaction named {run.reaction!r} in this process")
            with transaction.atomic():  # a savepoint: a failure takes back the reaction's writes
                registered.function(run.event)
        except Exception as exc:
            gave_up = _record_failure(run, exc)
            _log_run(run, started, "failed" if gave_up else "retrying")
            return False
        ReactionRun.objects.filter(pk=run.pk).update(
            handled_at=timezone.now(), attempts=F("attempts") + 1
        )
        _log_run(run, started, "handled")
        return True


def incident_of_event(event: Event) -> int | None:
    """The incident an event is about, when it names one (its subject, else its data)."""
    kind, _, key = event.subject.partition(":")
    if kind == "incident" and key.isdigit():
        return int(key)
    named = event.data.get("incident_id") if isinstance(event.data, dict) else None
    return named if isinstance(named, int) else None


def _log_run(run: ReactionRun, started: float, outcome: str) -> None:
    reaction_ran(
        reaction=run.reaction,
        event_id=run.event_id,
        incident_id=incident_of_event(run.event),
        started=started,
        outcome=outcome,
        attempt=run.attempts + 1,
    )


def _record_failure(run: ReactionRun, exc: BaseException) -> bool:
    """In the claiming transaction: count the attempt, keep the error, choose the next try.
    True when this was the last attempt."""
    attempts = run.attempts + 1
    now = timezone.now()
    gave_up = attempts >= MAX_ATTEMPTS
    due = now + _backoff(attempts)
    ReactionRun.objects.filter(pk=run.pk).update(
        attempts=attempts,
        last_error="".join(traceback.format_exception(exc))[-4000:],
        due_at=due,
        failed_at=now if gave_up else None,
    )
    if gave_up:
        log.error(
            "reaction %s for event %s failed %d times; giving up (statusdesk reactions retry)",
            run.reaction,
            run.event_id,
            attempts,
            exc_info=exc,
        )
        return True
    log.warning(
        "reaction %s for event %s failed (attempt %d), next try at %s",
        run.reaction,
        run.event_id,
        attempts,
        due.isoformat(),
        exc_info=exc,
    )
    event_id = run.event_id
    delay = (due - now).total_seconds()
    transaction.on_commit(lambda: _queue(event_id, delay=delay), robust=True)
    return False


def pending_runs() -> Any:
    return ReactionRun.objects.filter(handled_at__isnull=True, failed_at__isnull=True)


def handle_event(event_id: int) -> int:
    """Run every reaction the event still owes; returns how many this call ran."""
    ids = list(pending_runs().filter(event_id=event_id).values_list("pk", flat=True))
    return sum(handle_run(pk) for pk in ids)


def sweep(*, grace: timedelta = SWEEP_GRACE, batch: int = SWEEP_BATCH) -> int:
    """Run the owed reactions whose queued task was lost (a process died, the queue was down).

    Also forgets handled runs older than KEEP_HANDLED. Returns how many reactions ran."""
    now = timezone.now()
    due = pending_runs().filter(due_at__lte=now - grace).order_by("due_at", "pk")
    ran = sum(handle_run(pk) for pk in due.values_list("pk", flat=True)[:batch])
    ReactionRun.objects.filter(handled_at__lt=now - KEEP_HANDLED).delete()
    return ran


def retry_failed() -> int:
    """Give the runs that failed for good another round of attempts."""
    return ReactionRun.objects.filter(handled_at__isnull=True, failed_at__isnull=False).update(
        failed_at=None, attempts=0, due_at=timezone.now()
    )


def backlog() -> dict[str, Any]:
    """How far behind the reactions are: pending and failed runs, the oldest pending one's age
    (since its event was recorded), and the lag: how long the longest-waiting run that is due
    now has been due (a run waiting out its backoff is not late yet)."""
    now = timezone.now()
    pending = pending_runs()
    times = pending.aggregate(oldest=Min("created_at"), first_due=Min("due_at"))
    oldest, first_due = times["oldest"], times["first_due"]
    return {
        "pending": pending.count(),
        "failed": ReactionRun.objects.filter(
            handled_at__isnull=True, failed_at__isnull=False
        ).count(),
        "oldest_pending_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
        "lag_seconds": (
            round((now - first_due).total_seconds(), 1)
            if first_due is not None and first_due <= now
            else 0.0
        ),
    }
