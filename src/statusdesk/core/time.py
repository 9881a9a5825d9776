"""Time as the process document writes it: the display zone, `yy-mm-dd hh:mm`, and durations.

R16: under 1 hour in minutes, from 1 hour to under 1 day in hours, from 1 day to under 1 month in
days, then months of 30 days; at most one decimal; a value that rounds up to the next unit's
threshold is written in the next unit; singular for exactly 1.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import timezone

from statusdesk.core.errors import RuleViolation

# The earliest time a step may be back-dated to.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)

MINUTE = 60.0
HOUR = 60 * MINUTE
DAY = 24 * HOUR
MONTH = 30 * DAY

# (unit name, seconds per unit, seconds at which the next unit starts)
_UNITS = [
    ("minute", MINUTE, HOUR),
    ("hour", HOUR, DAY),
    ("day", DAY, MONTH),
    ("month", MONTH, float("inf")),
]


def to_display(value: datetime) -> datetime:
    return value.astimezone(settings.DISPLAY_ZONE)


def display_zone_name() -> str:
    return str(settings.DISPLAY_ZONE.tzname(timezone.now()))


def format_timeline(value: datetime) -> str:
    """R14: a timeline timestamp, `yy-mm-dd hh:mm` in the display zone."""
    return to_display(value).strftime("%y-%m-%d %H:%M")


def _one_decimal(seconds: float, size: float) -> str:
    """At most one decimal, rounded half up on the decimal value (4.25 -> '4.3'), not on the
    binary float (where round(4.25, 1) is 4.2)."""
    value = Decimal(repr(seconds)) / Decimal(int(size))
    rounded = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rounded:.1f}"
    return text[:-2] if text.endswith(".0") else text


def describe_duration(span: timedelta | float) -> str:
    """R16 wording of an elapsed time: '45 minutes', '3.5 hours', '1 day', '2.3 months'."""
    seconds = span.total_seconds() if isinstance(span, timedelta) else float(span)
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    for name, size, next_at in _UNITS:
        amount = _one_decimal(seconds, size)
        if float(amount) * size < next_at:
            return f"{amount} {name}" if amount == "1" else f"{amount} {name}s"
    raise AssertionError("unreachable: the last unit has no upper bound")


def effective_time(
    at: datetime | None,
    *,
    not_before: datetime | None = None,
    not_before_label: str = "the previous step",
    field: str = "at",
) -> datetime:
    """The moment a step happened: now, or a back-filled `at` (never future, never out of order)."""
    now = timezone.now()
    if at is None:
        if not_before is not None and not_before > now:
            return not_before
        return now
    if timezone.is_naive(at):
        raise RuleViolation(
            f"'{field}' must carry a time zone (for example 2026-11-02T14:30:00-05:00)",
            field=field,
        )
    try:
        at = at.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00
        raise RuleViolation(f"'{field}' is out of range", field=field) from None
    if at < EARLIEST:
        raise RuleViolation(
            f"'{field}' must be after {EARLIEST:%Y-%m-%d}: older is a typo, not history",
            field=field,
        )
    if at > now + timedelta(seconds=5):
        raise RuleViolation(f"'{field}' cannot be in the future", field=field)
    if not_before is not None and at < not_before:
        raise RuleViolation(
            f"'{field}' ({format_timeline(at)}) cannot be before {not_before_label} "
            f"({format_timeline(not_before)})",
            field=field,
        )
    return at
