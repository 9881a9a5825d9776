"""Uptime: one cell per day of a component's history, from its status changes (a pure function).

Weighting (documented in docs/statuspage.md): a minute of major outage counts fully as down, a
minute of partial outage counts as 30 % down (as Statuspage counts it), degraded performance and
maintenance count as up (they are shown, not counted). A day's uptime is the share of its elapsed
part (today: up to now) during which the component existed; a day wholly before the component
was added, or wholly in the future, has no data.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

# How much of a minute at each status counts as down.
DOWN_WEIGHT: dict[str, float] = {
    "operational": 0.0,
    "under_maintenance": 0.0,
    "degraded_performance": 0.0,
    "partial_outage": 0.3,
    "major_outage": 1.0,
}
# From least to most serious, to name a day's worst status.
_SERIOUSNESS = {
    "operational": 0,
    "under_maintenance": 1,
    "degraded_performance": 2,
    "partial_outage": 3,
    "major_outage": 4,
}
DAYS = 90


@dataclass(frozen=True)
class DayIncident:
    """A published incident that affected the component on that day."""

    id: str
    name: str
    impact: str  # none / minor / major / critical


@dataclass(frozen=True)
class IncidentSpan:
    """A published incident that affected the component: from publication to resolution."""

    id: str
    name: str
    impact: str
    start: datetime
    end: datetime | None  # None while it is open


@dataclass(frozen=True)
class DayCell:
    day: date  # in the display zone
    # Percent up over the elapsed part of the day the component existed; None: no data.
    uptime: float | None
    worst: str | None  # the most serious status seen that day (None: no data)
    seconds: dict[str, float]  # seconds at each status that day
    incidents: tuple[DayIncident, ...]

    @property
    def has_data(self) -> bool:
        return self.uptime is not None


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """Midnight to midnight in the display zone (23 or 25 hours on a DST change), in UTC: Python
    subtracts and compares two times of one zone by their wall clocks."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def window_start(now: datetime, zone: tzinfo, days: int = DAYS) -> datetime:
    """The first instant of the oldest day shown."""
    today = now.astimezone(zone).date()
    return day_bounds(today - timedelta(days=days - 1), zone)[0]


def uptime_series(
    *,
    now: datetime,
    zone: tzinfo,
    added_at: datetime | None,
    initial_status: str,
    changes: Sequence[tuple[datetime, str]],
    incidents: Sequence[IncidentSpan] = (),
    days: int = DAYS,
) -> list[DayCell]:
    """`days` cells, oldest first, ending today (in `zone`).

    `initial_status` is the component's status at the start of the window, `changes` the
    (time, new status) changes after it, in any order; `added_at` when the component was added
    (None: before the window). `incidents` are those that affected the component."""
    now = now.astimezone(UTC)
    added_at = added_at.astimezone(UTC) if added_at is not None else None
    ordered = sorted(((at.astimezone(UTC), status) for at, status in changes), key=lambda c: c[0])
    incidents = [
        IncidentSpan(
            s.id,
            s.name,
            s.impact,
            s.start.astimezone(UTC),
            s.end.astimezone(UTC) if s.end else None,
        )
        for s in incidents
    ]
    today = now.astimezone(zone).date()
    times = [at for at, _ in ordered]
    # Incidents in the order a day lists them; swept day by day (a day's begin and finish only
    # grow): those started before the day's finish join, those ended before its begin leave.
    waiting = sorted(incidents, key=lambda span: (span.start, span.id))
    joined = 0
    active: list[IncidentSpan] = []
    cells = []
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        start, end = day_bounds(day, zone)
        begin = max(start, added_at) if added_at is not None else start
        finish = min(end, now)
        if begin >= finish:
            cells.append(DayCell(day, None, None, {}, ()))
            continue
        seconds = _seconds_by_status(begin, finish, initial_status, ordered, times)
        total = sum(seconds.values())
        down = sum(DOWN_WEIGHT.get(status, 0.0) * spent for status, spent in seconds.items())
        worst = max(seconds, key=lambda status: _SERIOUSNESS.get(status, 0))
        while joined < len(waiting) and waiting[joined].start < finish:
            active.append(waiting[joined])
            joined += 1
        active = [span for span in active if span.end is None or span.end >= begin]
        touched = tuple(DayIncident(span.id, span.name, span.impact) for span in active)
        uptime = round(100.0 * (total - down) / total, 2)
        cells.append(DayCell(day, uptime, worst, seconds, touched))
    return cells


def _seconds_by_status(
    begin: datetime,
    finish: datetime,
    initial: str,
    ordered: Sequence[tuple[datetime, str]],
    times: Sequence[datetime],
) -> dict[str, float]:
    """Seconds at each status from `begin` to `finish`; `ordered` sorted by time, `times` their
    times (found by bisection: a day costs its own changes, not the window's)."""
    first = bisect_right(times, begin)  # the changes after `begin`
    status = ordered[first - 1][1] if first else initial
    seconds: dict[str, float] = {}
    cursor = begin
    for index in range(first, len(ordered)):
        at, new = ordered[index]
        if at >= finish:
            break
        seconds[status] = seconds.get(status, 0.0) + (at - cursor).total_seconds()
        cursor, status = at, new
    seconds[status] = seconds.get(status, 0.0) + (finish - cursor).total_seconds()
    return {status: spent for status, spent in seconds.items() if spent > 0}


def overall_uptime(cells: Sequence[DayCell]) -> float | None:
    """The uptime over every day with data (weighted by how long each was observed)."""
    total = down = 0.0
    for cell in cells:
        for status, spent in cell.seconds.items():
            total += spent
            down += DOWN_WEIGHT.get(status, 0.0) * spent
    return round(100.0 * (total - down) / total, 2) if total else None
