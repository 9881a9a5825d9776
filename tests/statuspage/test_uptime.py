"""Uptime per day, from a component's status changes (statusdesk.statuspage.uptime, a pure
function): partial days, overlapping incidents, a component added mid-window, a day with no
events, today partly elapsed, no data before the component existed."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from statusdesk.accounts.models import User
from statusdesk.incidents import services
from statusdesk.incidents.models import Component
from statusdesk.statuspage.snapshot import rebuild_snapshot
from statusdesk.statuspage.uptime import (
    DOWN_WEIGHT,
    IncidentSpan,
    overall_uptime,
    uptime_series,
    window_start,
)
from tests.factories import a_published_incident

ZONE = timezone(timedelta(hours=-5), "UTC-5")
# 15:00 in UTC-5 on 2026-11-20: today is 15 hours old.
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=ZONE)
TODAY = date(2026, 11, 20)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


def series(**kwargs: object) -> dict[date, object]:
    defaults: dict[str, object] = {
        "now": NOW,
        "zone": ZONE,
        "added_at": None,
        "initial_status": "operational",
        "changes": [],
    }
    defaults.update(kwargs)
    cells = uptime_series(**defaults)  # type: ignore[arg-type]
    return {cell.day: cell for cell in cells}


def test_ninety_days_oldest_first_ending_today_in_the_display_zone() -> None:
    cells = uptime_series(
        now=NOW, zone=ZONE, added_at=None, initial_status="operational", changes=[]
    )
    assert len(cells) == 90
    assert cells[-1].day == TODAY
    assert cells[0].day == TODAY - timedelta(days=89)
    assert window_start(NOW, ZONE) == datetime(2026, 8, 23, tzinfo=ZONE)


def test_a_day_with_no_events_is_fully_up() -> None:
    cell = series()[date(2026, 11, 10)]
    assert cell.uptime == 100.0
    assert cell.worst == "operational"
    assert cell.seconds == {"operational": 86400.0}
    assert cell.incidents == ()


def test_a_day_with_no_events_keeps_the_status_it_started_with() -> None:
    # A major outage began the day before and lasted past midnight into the next day.
    cells = series(changes=[(at(9, 12), "major_outage"), (at(11, 6), "operational")])
    assert cells[date(2026, 11, 9)].uptime == 50.0
    assert cells[date(2026, 11, 10)].uptime == 0.0  # no event that day, down all day
    assert cells[date(2026, 11, 11)].uptime == 75.0


def test_partial_day_of_major_outage_counts_fully_down() -> None:
    cells = series(changes=[(at(15, 6), "major_outage"), (at(15, 12), "operational")])
    cell = cells[date(2026, 11, 15)]
    assert cell.uptime == 75.0  # 6 of 24 hours down
    assert cell.worst == "major_outage"
    assert cell.seconds == {"operational": 18 * 3600.0, "major_outage": 6 * 3600.0}


def test_partial_outage_counts_as_thirty_percent_down_and_degraded_as_up() -> None:
    assert DOWN_WEIGHT["partial_outage"] == 0.3
    cells = series(
        changes=[
            (at(15, 0), "partial_outage"),
            (at(15, 10), "degraded_performance"),
            (at(15, 20), "operational"),
        ]
    )
    cell = cells[date(2026, 11, 15)]
    # 10 hours at 30 % down = 3 hours down of 24.
    assert cell.uptime == round(100 * 21 / 24, 2)
    assert cell.worst == "partial_outage"


def test_today_counts_only_its_elapsed_part() -> None:
    # Down from 09:00 to now (15:00): 6 of the 15 elapsed hours.
    cell = series(changes=[(at(20, 9), "major_outage")])[TODAY]
    assert cell.uptime == 60.0
    assert sum(cell.seconds.values()) == 15 * 3600.0


def test_a_component_added_mid_window_has_no_data_before_and_counts_from_its_addition() -> None:
    cells = series(added_at=at(12, 18))
    assert cells[date(2026, 11, 11)].uptime is None
    assert not cells[date(2026, 11, 11)].has_data
    assert cells[date(2026, 8, 23)].uptime is None
    added = cells[date(2026, 11, 12)]
    assert added.uptime == 100.0
    assert sum(added.seconds.values()) == 6 * 3600.0  # from 18:00 only
    assert cells[date(2026, 11, 13)].uptime == 100.0


def test_a_component_added_mid_day_and_down_at_once_is_down_for_its_part_of_the_day() -> None:
    cells = series(added_at=at(12, 18), changes=[(at(12, 21), "major_outage")])
    assert cells[date(2026, 11, 12)].uptime == 50.0  # 3 of its 6 hours


def test_overlapping_incidents_on_one_component_are_listed_once_each_and_not_counted_twice() -> (
    None
):
    first = IncidentSpan("7", "Login fails", "major", at(14, 8), at(14, 14))
    second = IncidentSpan("8", "Slow pages", "critical", at(14, 10), at(15, 2))
    # The component's own history: the worst of the two while both were open.
    cells = series(
        changes=[
            (at(14, 8), "partial_outage"),
            (at(14, 10), "major_outage"),
            (at(15, 2), "operational"),
        ],
        incidents=[second, first],
    )
    day = cells[date(2026, 11, 14)]
    assert [i.id for i in day.incidents] == ["7", "8"]  # by start, each once
    assert day.incidents[1].impact == "critical"
    down_hours = 2 * 0.3 + 14 * 1.0  # 08–10 partial, 10–24 major
    assert day.uptime == round(100 * (24 - down_hours) / 24, 2)
    next_day = cells[date(2026, 11, 15)]
    assert [i.id for i in next_day.incidents] == ["8"]
    assert next_day.uptime == round(100 * 22 / 24, 2)
    assert cells[date(2026, 11, 16)].incidents == ()


def test_an_open_incident_touches_every_day_up_to_today() -> None:
    open_one = IncidentSpan("9", "Mail delayed", "minor", at(18, 23), None)
    cells = series(changes=[(at(18, 23), "degraded_performance")], incidents=[open_one])
    for day in (18, 19, 20):
        assert [i.id for i in cells[date(2026, 11, day)].incidents] == ["9"]
        assert cells[date(2026, 11, day)].uptime == 100.0  # degraded counts as up
    assert cells[date(2026, 11, 17)].incidents == ()


def test_changes_in_any_order_and_an_initial_status_before_the_window() -> None:
    cells = series(
        initial_status="major_outage",
        changes=[(at(1, 12), "partial_outage"), (at(1, 6), "operational")],
    )
    # Down at the start of the window until 1 Nov 06:00.
    assert cells[date(2026, 10, 31)].uptime == 0.0
    assert cells[date(2026, 11, 1)].uptime == round(100 * (24 - 6 - 12 * 0.3) / 24, 2)


def test_a_day_lasts_23_hours_across_a_daylight_saving_change() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    now = datetime(2026, 3, 10, 12, 0, tzinfo=zone)
    cells = {
        c.day: c
        for c in uptime_series(
            now=now, zone=zone, added_at=None, initial_status="operational", changes=[]
        )
    }
    assert sum(cells[date(2026, 3, 8)].seconds.values()) == 23 * 3600.0


def test_overall_uptime_weighs_days_by_how_long_they_were_observed() -> None:
    cells = uptime_series(
        now=NOW,
        zone=ZONE,
        added_at=at(19, 0),
        initial_status="operational",
        changes=[(at(19, 0), "major_outage"), (at(19, 12), "operational")],
    )
    # 39 hours observed (24 + 15), 12 down.
    assert overall_uptime(cells) == round(100 * 27 / 39, 2)
    assert overall_uptime(cells[:10]) is None


@pytest.mark.parametrize("zone", [UTC, ZONE])
def test_a_future_component_has_no_data_at_all(zone: timezone) -> None:
    cells = uptime_series(
        now=NOW,
        zone=zone,
        added_at=NOW + timedelta(hours=1),
        initial_status="operational",
        changes=[],
    )
    assert all(cell.uptime is None for cell in cells)


# --- from the event log, through the snapshot ------------------------------------------------


@pytest.mark.django_db
def test_the_snapshot_reads_uptime_from_the_component_events(
    manager: User, developer: User, components: list[Component]
) -> None:
    incident = a_published_incident(manager, developer, components)
    services.resolve_incident(actor=manager, incident=incident, message="Resolved.")
    snapshot = rebuild_snapshot()
    assert snapshot is not None
    platform = snapshot.uptime[str(components[0].pk)]
    docs = snapshot.uptime[str(components[2].pk)]
    assert len(platform) == 90
    # The components were added today: no data before.
    assert all(cell.uptime is None for cell in platform[:-1])
    today = platform[-1]
    assert today.worst == "partial_outage"
    assert [i.id for i in today.incidents] == [str(incident.pk)]
    assert today.incidents[0].impact == "major"
    assert today.uptime is not None and today.uptime < 100.0
    assert set(today.seconds) == {"operational", "partial_outage"}
    assert docs[-1].uptime == 100.0 and docs[-1].incidents == ()
    details = snapshot.component_details[str(components[0].pk)]
    assert details.uptime == today.uptime
    assert details.code_name == "Integrates"


def _reference_cells(
    *,
    now: datetime,
    zone: Any,
    added_at: datetime | None,
    initial: str,
    changes: list[tuple[datetime, str]],
    incidents: list[IncidentSpan],
) -> list[tuple[Any, ...]]:
    """The plain reading of the rules, day by day over every change and incident (what
    uptime_series computed before it bisected and swept)."""
    ordered = sorted(changes, key=lambda c: c[0])
    today = now.astimezone(zone).date()
    cells: list[tuple[Any, ...]] = []
    for offset in range(89, -1, -1):
        day = today - timedelta(days=offset)
        start = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        begin = max(start, added_at) if added_at else start
        finish = min(end.astimezone(UTC), now)
        if begin >= finish:
            cells.append((day, None, None, {}, ()))
            continue
        status = initial
        for at, new in ordered:
            if at > begin:
                break
            status = new
        seconds: dict[str, float] = {}
        cursor = begin
        for at, new in ordered:
            if begin < at < finish:
                seconds[status] = seconds.get(status, 0.0) + (at - cursor).total_seconds()
                cursor, status = at, new
        seconds[status] = seconds.get(status, 0.0) + (finish - cursor).total_seconds()
        seconds = {k: v for k, v in seconds.items() if v > 0}
        total = sum(seconds.values())
        down = sum(DOWN_WEIGHT[k] * v for k, v in seconds.items())
        touched = tuple(
            s.id
            for s in sorted(incidents, key=lambda s: (s.start, s.id))
            if s.start < finish and (s.end is None or s.end >= begin)
        )
        cells.append((day, round(100.0 * (total - down) / total, 2), seconds, touched))
    return cells


@pytest.mark.parametrize("seed", range(20))
def test_the_series_matches_the_plain_reading_of_the_rules(seed: int) -> None:
    rng = random.Random(seed)
    now = NOW.astimezone(UTC)
    origin = now - timedelta(days=95)

    def moment() -> datetime:
        return origin + timedelta(minutes=rng.randrange(95 * 24 * 60))

    statuses = list(DOWN_WEIGHT)
    changes = [(moment(), rng.choice(statuses)) for _ in range(rng.randrange(0, 300))]
    spans = []
    for n in range(rng.randrange(0, 60)):
        begun = moment()
        ended = None if rng.random() < 0.1 else begun + timedelta(hours=rng.uniform(0, 72))
        spans.append(IncidentSpan(str(n), f"incident {n}", "minor", begun, ended))
    added = None if rng.random() < 0.5 else moment()
    initial = rng.choice(statuses)
    got = uptime_series(
        now=now,
        zone=ZONE,
        added_at=added,
        initial_status=initial,
        changes=changes,
        incidents=spans,
    )
    expected = _reference_cells(
        now=now, zone=ZONE, added_at=added, initial=initial, changes=changes, incidents=spans
    )
    plain = [
        (c.day, None, None, {}, ())
        if c.uptime is None
        else (c.day, c.uptime, c.seconds, tuple(i.id for i in c.incidents))
        for c in got
    ]
    assert plain == expected
