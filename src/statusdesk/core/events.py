"""Writing to the event log: kinds each app declares, subjects any app can name, `record`.

An app declares its kinds once, as a `TextChoices` whose values are namespaced by a dot
(`"incident.published"`), and registers them when it is imported::

    class DeskEvent(models.TextChoices):
        POSTED = "desk.posted", "Posted in the desk thread"

    declare_kinds(DeskEvent)

Then a service records one inside the transaction that makes the change::

    record(DeskEvent.POSTED, subject=incident, also=["desk"], at=now, actor=user, message_id=7)

A subject is a model instance (named `<model>:<pk>`, e.g. `incident:42`) or a key string. The
reactions registered for the kind (statusdesk.core.reactions) are owed from the same transaction
and run after it commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from statusdesk.core.models import KIND_MAX, SUBJECT_MAX, Event, EventSubject

if TYPE_CHECKING:
    from statusdesk.accounts.models import User

Subject = models.Model | str

_KINDS: dict[str, str] = {}  # kind -> label


class UnknownEventKind(LookupError):
    """A kind nobody declared: a typo, or an app that forgot `declare_kinds`."""


def declare_kinds(kinds: type[models.TextChoices]) -> type[models.TextChoices]:
    """Register an app's event kinds (value -> label). Declaring the same kind twice with another
    label is a mistake and raises, so two apps cannot claim one kind."""
    for value, label in kinds.choices:
        if "." not in value or len(value) > KIND_MAX:
            raise ValueError(f"event kind {value!r} must look like 'app.what' (≤ {KIND_MAX})")
        known = _KINDS.get(value)
        if known is not None and known != str(label):
            raise ValueError(f"event kind {value!r} is already declared as {known!r}")
        _KINDS[value] = str(label)
    return kinds


def declared_kinds() -> dict[str, str]:
    return dict(_KINDS)


def kind_label(kind: str) -> str:
    """A kind's label for people; an undeclared kind (from a removed app) shows as itself."""
    return _KINDS.get(kind, kind)


def subject_key(subject: Subject) -> str:
    """`incident:42` for an Incident with pk 42; a string is already a key."""
    if isinstance(subject, str):
        key = subject
    else:
        if subject.pk is None:
            raise ValueError(f"{subject!r} has no id yet: save it before recording its events")
        key = f"{subject._meta.model_name}:{subject.pk}"
    if not key or len(key) > SUBJECT_MAX:
        raise ValueError(f"subject key {key!r} must be 1 to {SUBJECT_MAX} characters")
    return key


def record(
    kind: str,
    *,
    subject: Subject,
    at: datetime,
    actor: User | None,
    also: Iterable[Subject] = (),
    **data: Any,
) -> Event:
    """Append one event about `subject` (and the `also` subjects). Must run inside the transaction
    that makes the change it describes: it is kept, and its reactions run, only if that commits."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events are written in the same transaction as their change")
    if kind not in _KINDS:
        raise UnknownEventKind(f"event kind {kind!r} is not declared (declare_kinds)")
    main = subject_key(subject)
    keys = list(dict.fromkeys([main, *(subject_key(s) for s in also)]))
    event = Event.objects.create(kind=str(kind), subject=main, at=at, actor=actor, data=data)
    EventSubject.objects.bulk_create([EventSubject(event=event, key=key) for key in keys])
    from statusdesk.core.reactions import owe_reactions

    owe_reactions(event)
    return event
