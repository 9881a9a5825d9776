"""The uptime cells of finished days, kept between rebuilds (in the shared cache), so that a
rebuild reads and computes today only, plus the days a new event touched.

A finished day's cell changes only when an event lands in it or before it (a back-filled step: its
`at` tells the day), when an incident shown in it changes (its events), when the component is added
again, or when the status the window starts with changes (a cell with no change in the window
before it takes that status). Each rebuild reads the events recorded since the last one (by id: the
primary key's index; the last LOOKBACK ids are read again, so an event whose transaction committed
after a later one's is still seen; the rebuild reaction also hands its own event over, applied
whatever the cursor says, and the hourly refresh computes everything again), and recomputes, per
component, from the first day any of them touched to today. Everything before that day is taken
from the kept cells, and the status at its start from the kept day before it. A cold or flushed
cache, a change of display zone, or too many new events at once: everything is recomputed (what a
full rebuild does).

The result is exactly what computing the whole window gives, as long as each status change's
`previous` is the status before it (which the services guarantee when steps are recorded in time
order; tests/statuspage/test_kept_days.py compares the two).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.core.cache import caches

from statusdesk.core.models import Event
from statusdesk.incidents.events import ComponentEvent, IncidentEvent
from statusdesk.incidents.models import Component, Incident
from statusdesk.statuspage import shapes
from statusdesk.statuspage.uptime import (
    DAYS,
    DayCell,
    DayIncident,
    IncidentSpan,
    day_bounds,
    uptime_series,
)

KEPT_KEY = "statuspage:uptime:kept"
TOKEN_KEY = "statuspage:uptime:kept-token"
# Event ids read again at each rebuild (a transaction that commits after later ones).
LOOKBACK = 200
# More new events than this since the last rebuild: recompute everything.
MAX_NEW_EVENTS = 5_000
KEPT_TIMEOUT = 2 * 24 * 60 * 60

INCIDENT_KINDS = [
    IncidentEvent.INCIDENT_PUBLISHED,
    IncidentEvent.INCIDENT_UPDATED,
    IncidentEvent.INCIDENT_RESOLVED,
]
COMPONENT_KINDS = [
    ComponentEvent.STATUS_CHANGED,
    ComponentEvent.ADDED,
    ComponentEvent.CHANGED,
    ComponentEvent.REMOVED,
]


@dataclass(frozen=True)
class KeptDay:
    cell: DayCell
    end_status: str  # the status at the end of the day
    from_initial: bool  # no change in the window before the day's end: `end_status` is `initial`

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as plain tuples (C speed; dataclasses pickle by their __dict__): tens of
        # thousands of DayIncidents at 12,000 incidents in the window.
        cell = self.cell
        incidents = tuple((i.id, i.name, i.impact) for i in cell.incidents)
        plain = (cell.day, cell.uptime, cell.worst, cell.seconds, incidents)
        return (_kept_day, (plain, self.end_status, self.from_initial))


def _kept_day(plain: tuple[Any, ...], end_status: str, from_initial: bool) -> KeptDay:
    day, uptime, worst, seconds, incidents = plain
    cell = DayCell(day, uptime, worst, seconds, tuple(DayIncident(*i) for i in incidents))
    return KeptDay(cell, end_status, from_initial)


@dataclass(frozen=True)
class KeptComponent:
    added_at: datetime | None
    initial: str  # the status the window started with when these were computed
    days: dict[date, KeptDay]


@dataclass(frozen=True)
class Kept:
    zone: str
    seen: int  # the highest event id read
    applied: frozenset[int]  # the ids read in (seen - LOOKBACK, seen]
    components: dict[int, KeptComponent] = field(default_factory=dict)
    token: str = ""  # names this value (TOKEN_KEY)


# The value this process stored last (a worker rebuilds again and again).
_held: dict[str, Kept] = {}


def forget() -> None:
    """Drop the kept cells (the next rebuild computes the whole window)."""
    caches["default"].delete_many([KEPT_KEY, TOKEN_KEY])
    _held.clear()


def _subject_pk(subject: str) -> int | None:
    _, _, pk = subject.partition(":")
    return int(pk) if pk.isdigit() else None


def uptime_cells(
    *,
    now: datetime,
    zone: tzinfo,
    components: Sequence[Component],
    added_at: dict[int, datetime],
    incremental: bool = True,
    handed: Sequence[Event] = (),
) -> dict[str, list[DayCell]]:
    """The 90 cells of every component, oldest first (what `uptime_series` gives over the whole
    window), reusing the kept cells of finished days unless `incremental` is false.

    `handed` are events the caller knows are new (the rebuild reaction passes its own event):
    they are applied whatever the id cursor says, so an event whose transaction committed long
    after later ones is applied by its own reaction, exactly once after its commit."""
    cache = caches["default"]
    zone_key = shapes.zone_name(zone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=DAYS - 1)
    window_start = day_bounds(first, zone)[0]

    kept: Kept | None = None
    if incremental:
        try:
            # This process's copy when the cache still names it (unpickling costs ~0.05 s).
            token = cache.get(TOKEN_KEY)
            held = _held.get("kept")
            if held is not None and token is not None and held.token == token:
                found: Any = held
            else:
                found = cache.get(KEPT_KEY)
        except Exception:  # no answer, or kept by another version of this code: compute all
            found = None
        if isinstance(found, Kept) and found.zone == zone_key:
            kept = found

    # The events since the last rebuild (read before the data, so nothing committed in between
    # is missed: it has a higher id, and the next rebuild reads it).
    dirty: dict[int, date] = {}
    applied: set[int] = set()
    if kept is not None:
        rows = list(
            Event.objects.filter(
                pk__gt=kept.seen - LOOKBACK, kind__in=[*INCIDENT_KINDS, *COMPONENT_KINDS]
            )
            .order_by("pk")
            .values_list("pk", "kind", "subject", "at")[: MAX_NEW_EVENTS + 1]
        )
        if len(rows) > MAX_NEW_EVENTS:
            kept = None
        else:
            read = {row[0] for row in rows}
            wanted = {*INCIDENT_KINDS, *COMPONENT_KINDS}
            rows += [
                (event.pk, event.kind, event.subject, event.at)
                for event in handed
                if event.pk not in read and event.kind in wanted
            ]
    if kept is None:
        last = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
        seen = last or 0
        # Everything is computed from the data read below: these count as applied.
        applied = set(
            Event.objects.filter(
                pk__gt=seen - LOOKBACK, kind__in=[*INCIDENT_KINDS, *COMPONENT_KINDS]
            ).values_list("pk", flat=True)
        )
    else:
        seen = max([kept.seen, *(pk for pk, *_ in rows)])
        given = {event.pk for event in handed}
        new = [row for row in rows if row[0] not in kept.applied or row[0] in given]
        applied = {pk for pk, *_ in rows if pk > seen - LOOKBACK}
        incident_ids = {
            _subject_pk(subject)
            for _, kind, subject, _ in new
            if kind == IncidentEvent.INCIDENT_PUBLISHED
        }
        published = dict(
            Incident.objects.filter(pk__in=incident_ids).values_list("pk", "published_at")
        )
        everyone = [c.pk for c in components]
        for _, kind, subject, at in new:
            pk = _subject_pk(subject)
            if pk is None:
                continue
            touched = [pk]
            when = at
            if kind in INCIDENT_KINDS:
                touched = everyone  # whichever components it affects (or affected)
                start = published.get(pk)
                if kind == IncidentEvent.INCIDENT_PUBLISHED and start is not None:
                    when = min(at, start)  # its name and impact show from its publication on
            day = min(max(when.astimezone(zone).date(), first), today)
            for target in touched:
                dirty[target] = min(day, dirty.get(target, today))

    # From which day each component is computed again.
    recompute_from: dict[int, date] = {}
    initials: dict[int, str] = {}
    for component in components:
        pk = component.pk
        own = kept.components.get(pk) if kept is not None else None
        since = first
        if own is not None and own.added_at == added_at.get(pk):
            since = dirty.get(pk, today)
            missing = [d for d in _days(first, today) if d not in own.days]
            if missing:
                since = min(since, missing[0])
            if any(own.days[d].from_initial for d in _days(first, since) if d in own.days):
                initials[pk] = _initial(component, window_start)
                if initials[pk] != own.initial:
                    since = first
        recompute_from[pk] = since

    earliest = min(recompute_from.values(), default=today)
    range_start = day_bounds(earliest, zone)[0]
    changes: dict[int, list[tuple[datetime, str]]] = {}
    status_events = (
        Event.objects.filter(kind=ComponentEvent.STATUS_CHANGED, at__gte=range_start)
        .order_by("at", "id")
        .values_list("at", "data__component_id", "data__status")
    )
    for at, pk, status in status_events:
        changes.setdefault(pk, []).append((at, status))
    spans = _spans(now, range_start)

    result: dict[str, list[DayCell]] = {}
    keep: dict[int, KeptComponent] = {}
    for component in components:
        pk = component.pk
        since = recompute_from[pk]
        own = kept.components.get(pk) if kept is not None else None
        start = day_bounds(since, zone)[0]
        own_changes = [(at, s) for at, s in changes.get(pk, []) if at >= start]
        if since == first:
            initial = initials.get(pk) or _initial(component, window_start)
            before_initial = True
            days: dict[date, KeptDay] = {}
        else:
            assert own is not None
            previous = own.days[since - timedelta(days=1)]
            initial = previous.end_status
            before_initial = previous.from_initial
            days = {d: own.days[d] for d in _days(first, since)}
            initial_of_window = own.initial
        cells = uptime_series(
            now=now,
            zone=zone,
            added_at=added_at.get(pk),
            initial_status=initial,
            changes=own_changes,
            incidents=spans.get(pk, []),
            days=(today - since).days + 1,
        )
        status, index = initial, 0
        for cell in cells:
            end = day_bounds(cell.day, zone)[1]
            while index < len(own_changes) and own_changes[index][0] < end:
                status = own_changes[index][1]
                before_initial = False
                index += 1
            days[cell.day] = KeptDay(cell, status, before_initial)
        if since == first:
            initial_of_window = initial
        result[str(pk)] = [days[d].cell for d in _days(first, today + timedelta(days=1))]
        keep[pk] = KeptComponent(
            added_at=added_at.get(pk),
            initial=initial_of_window,
            days={d: kept_day for d, kept_day in days.items() if d < today},
        )
    if incremental:
        kept = Kept(
            zone=zone_key,
            seen=seen,
            applied=frozenset(applied),
            components=keep,
            token=uuid.uuid4().hex,
        )
        with contextlib.suppress(Exception):  # the next rebuild computes everything
            # The value, then the token naming it: a process holding the value named reuses it.
            cache.set(KEPT_KEY, kept, timeout=KEPT_TIMEOUT)
            cache.set(TOKEN_KEY, kept.token, timeout=KEPT_TIMEOUT)
            _held["kept"] = kept
    return result


def _days(first: date, stop: date) -> Iterable[date]:
    """The days from `first` up to `stop` (excluded)."""
    for offset in range((stop - first).days):
        yield first + timedelta(days=offset)


def _initial(component: Component, window_start: datetime) -> str:
    """The status at the start of the window: what its first change in the window changed from
    (the subject's index), else the component's status."""
    first = (
        Event.objects.filter(
            subject=f"component:{component.pk}",
            kind=ComponentEvent.STATUS_CHANGED,
            at__gte=window_start,
        )
        .order_by("at", "id")
        .values_list("data__previous", flat=True)
        .first()
    )
    return str(first) if first is not None else component.status


def _spans(now: datetime, since: datetime) -> dict[int, list[IncidentSpan]]:
    """The published incidents that affected each component at some time since `since`: the open
    ones and those resolved since (two indexed reads, then their components)."""
    published = Incident.objects.filter(published_at__isnull=False, published_at__lte=now)
    fields = ("pk", "name", "severity", "published_at", "resolved_at")
    rows: list[tuple[Any, ...]] = [
        *published.filter(resolved_at__isnull=True).values_list(*fields),
        *published.filter(resolved_at__gte=since).values_list(*fields),
    ]
    by_id = {row[0]: row for row in rows}
    from statusdesk.incidents.models import AffectedComponent

    spans: dict[int, list[IncidentSpan]] = {}
    touching = AffectedComponent.objects.filter(incident_id__in=list(by_id)).values_list(
        "component_id", "incident_id"
    )
    for component_id, incident_id in touching:
        _, name, severity, start, end = by_id[incident_id]
        spans.setdefault(component_id, []).append(
            IncidentSpan(
                str(incident_id), name, shapes.IMPACT_OF_SEVERITY.get(severity, "none"), start, end
            )
        )
    return spans
