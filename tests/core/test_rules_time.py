"""Display zone, the `yy-mm-dd hh:mm` timeline format (R14) and duration wording (R16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statusdesk.core.errors import RuleViolation
from statusdesk.core.time import describe_duration, effective_time, format_timeline
from statusdesk.core.timezones import parse_display_zone


@pytest.mark.parametrize(
    ("value", "offset_hours"),
    [("UTC-5", -5), ("utc+2", 2), ("-05:00", -5), ("UTC", 0), ("UTC+5:30", 5.5)],
)
def test_display_zone_offsets(value, offset_hours):
    zone = parse_display_zone(value)
    assert zone.utcoffset(datetime(2026, 1, 1)) == timedelta(hours=offset_hours)


def test_display_zone_by_name():
    zone = parse_display_zone("America/Bogota")
    assert zone.utcoffset(datetime(2026, 1, 1)) == timedelta(hours=-5)


@pytest.mark.parametrize("value", ["Mars/Olympus", "UTC+25", "five"])
def test_display_zone_rejects_nonsense(value):
    with pytest.raises(ValueError, match="STATUSDESK_DISPLAY_TZ"):
        parse_display_zone(value)


def test_r14_timeline_timestamp_in_utc_minus_5():
    assert format_timeline(datetime(2026, 11, 2, 3, 7, tzinfo=UTC)) == "26-11-01 22:07"


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(minutes=45), "45 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(seconds=90), "1.5 minutes"),
        (timedelta(seconds=0), "0 minutes"),
        (timedelta(minutes=59, seconds=58), "1 hour"),  # rounds to 60 minutes: next unit
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=3, minutes=30), "3.5 hours"),
        (timedelta(hours=23, minutes=59), "1 day"),
        (timedelta(days=2, hours=7), "2.3 days"),
        (timedelta(days=29, hours=23, minutes=50), "1 month"),
        (timedelta(days=45), "1.5 months"),
    ],
)
def test_r16_duration_wording(span, words):
    assert describe_duration(span) == words


def test_r16_negative_duration_is_an_error():
    with pytest.raises(ValueError):
        describe_duration(timedelta(seconds=-1))


@given(st.floats(min_value=0, max_value=10 * 365 * 86400, allow_nan=False))
def test_r16_wording_never_shows_a_unit_threshold(seconds):
    amount, unit = describe_duration(seconds).split(" ")
    assert len(amount.split(".")[-1]) <= 1 or "." not in amount
    limits = {"minute": 60, "minutes": 60, "hour": 24, "hours": 24, "day": 30, "days": 30}
    if unit in limits:
        assert float(amount) < limits[unit]
    assert (unit.endswith("s")) == (amount != "1")


@pytest.mark.parametrize(
    "at",
    [
        datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),
    ],
)
def test_backfilled_time_before_1970_is_refused(at):
    with pytest.raises(RuleViolation) as refused:
        effective_time(at)
    assert refused.value.field == "at"


def test_backfilled_time_is_kept_in_utc():
    at = datetime(2026, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert effective_time(at) == datetime(2026, 3, 1, 15, 0, tzinfo=UTC)
    assert effective_time(at).tzinfo == UTC
