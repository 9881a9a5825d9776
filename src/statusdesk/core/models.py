"""The append-only event log, and the reactions each committed event still owes.

Every state change of every app is an Event: its kind (declared by the app that records it), the
subjects it is about (stream keys such as `incident:42`, `component:3`, `desk`), when it happened,
who did it and a payload of ids and values. Current state lives on each app's models; history lives
only here: the incident timeline, the audit log, uptime history and the postmortem's Impact
section are read from it.

`core` imports no feature app: an app names its subjects with keys and declares its own kinds
(`statusdesk.core.events.declare_kinds`), so a new app records events without a change here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

# A stream key: "<kind of subject>:<id>" (`incident:42`) or a name (`desk`).
SUBJECT_MAX = 64
KIND_MAX = 64
REACTION_NAME_MAX = 100


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a recorded event."""


class EventQuerySet(models.QuerySet["Event"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("events are append-only: they are never updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("events are append-only: they are never deleted")

    def about(self, *keys: str) -> EventQuerySet:
        """The events about any of these subjects (`incident:42`, `report:7`, …)."""
        return self.filter(pk__in=EventSubject.objects.filter(key__in=keys).values("event_id"))


class Event(models.Model):
    kind = models.CharField(max_length=KIND_MAX, db_index=True)
    # The subject the event is mainly about; `subjects` lists it with every other one.
    subject = models.CharField(max_length=SUBJECT_MAX)
    # When it happened (may be back-filled by an incident manager), and when it was recorded.
    at = models.DateTimeField(db_index=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Ids and values, never names: a renamed component or user keeps its history.
    data = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["subject", "at"], name="core_event_subject_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.subject}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("events are append-only: they are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("events are append-only: they are never deleted")

    @property
    def label(self) -> str:
        from statusdesk.core.events import kind_label

        return kind_label(self.kind)


class EventSubject(models.Model):
    """One subject of an event: an event about an incident's component names both."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="subjects")
    key = models.CharField(max_length=SUBJECT_MAX)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "event"], name="core_event_subject_once")
        ]

    def __str__(self) -> str:
        return self.key


class ReactionRun(models.Model):
    """A reaction that a committed event owes, until it has run once.

    Written in the transaction that records the event, so it exists exactly when the event does
    (never for a rolled-back change, never lost with a process). A worker runs the reaction and
    marks it handled in one transaction; the sweep finds the ones whose queued task was lost."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="reaction_runs")
    reaction = models.CharField(max_length=REACTION_NAME_MAX)
    created_at = models.DateTimeField()
    # Not before this time: now for a new run, later after a failure (backoff).
    due_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    handled_at = models.DateTimeField(null=True, blank=True)
    # Set when the reaction failed on every attempt; `statusdesk reactions retry` tries again.
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "reaction"], name="core_reaction_once")
        ]
        indexes = [
            # The backlog: what the sweep and the health checks read, small however long the log.
            models.Index(
                fields=["due_at"],
                name="core_reaction_pending",
                condition=Q(handled_at__isnull=True, failed_at__isnull=True),
            ),
            models.Index(fields=["handled_at"], name="core_reaction_handled"),
        ]

    def __str__(self) -> str:
        return f"{self.reaction} for event {self.event_id}"

    @property
    def state(self) -> str:
        if self.handled_at is not None:
            return "handled"
        return "failed" if self.failed_at is not None else "pending"


class WorkerHeartbeat(models.Model):
    """The last sign of life of one worker process (`statusdesk worker`), for `statusdesk check`.

    Stamped when the process's consumer starts and by the periodic `core.heartbeat` task, which
    goes through the whole path a background job takes (the scheduler, the queue, a worker thread,
    the database): a recent beat means some worker takes work. A row per process (host and pid);
    a periodic task may run in any worker of the site, so an old row does not prove its process
    dead, only the newest row proves a worker alive."""

    worker = models.CharField(max_length=200, unique=True)  # "<host>:<pid>"
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-beat_at"]

    def __str__(self) -> str:
        return f"{self.worker} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
