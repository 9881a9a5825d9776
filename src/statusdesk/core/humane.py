"""Times as people say them in the console: "3 hours ago", "yesterday", "open for 2 days".

R16's wording with a decimal ("1.9 minutes", `time.describe_duration`) belongs to postmortems;
the console rounds to one whole unit, the way a person reads a clock. The exact moment is never
lost: `full_date` spells it out for a `<time>` element's title ("Saturday 28 November 2026, 09:14
UTC-5"), in the display zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from statusdesk.core.time import to_display

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
YEAR = 365 * DAY

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _seconds(span: timedelta | float) -> float:
    return span.total_seconds() if isinstance(span, timedelta) else float(span)


def _round(value: float) -> int:
    """Half up, the way people round ("1 h 30 min" is "2 hours"), not banker's rounding."""
    return int(value + 0.5)


def _count(amount: int, unit: str) -> str:
    return f"{amount} {unit}" if amount == 1 else f"{amount} {unit}s"


def humane_duration(span: timedelta | float) -> str:
    """A span in one whole unit: 'less than a minute', '1 minute', '25 minutes', '3 hours',
    '2 days', '3 weeks', '5 months', '2 years'. An amount that rounds up to the next unit's
    size is said in that unit (59 min 40 s is '1 hour', 23 h 40 min is '1 day')."""
    seconds = abs(_seconds(span))
    if seconds < MINUTE:
        return "less than a minute"
    minutes = _round(seconds / MINUTE)
    if minutes < 60:
        return _count(minutes, "minute")
    hours = _round(seconds / HOUR)
    if hours < 24:
        return _count(hours, "hour")
    days = _round(seconds / DAY)
    if days < 14:
        return _count(days, "day")
    if days < 30:
        return _count(_round(seconds / WEEK), "week")
    months = _round(seconds / MONTH)
    if months < 12:
        return _count(months, "month")
    return _count(max(1, _round(seconds / YEAR)), "year")


def humane_ago(value: datetime, now: datetime) -> str:
    """How long ago a moment was: 'just now', '2 minutes ago', '3 hours ago', 'yesterday',
    '4 days ago', '2 weeks ago'. Days are counted on the calendar of the display zone, so
    'yesterday' is the day before today there. A moment in the future reads 'in 5 minutes'
    (a clock a little ahead, within a minute, is still 'just now')."""
    seconds = (now - value).total_seconds()
    if seconds < 0:
        return "just now" if seconds > -MINUTE else f"in {humane_duration(seconds)}"
    if seconds < MINUTE:
        return "just now"
    if _round(seconds / HOUR) < 24:
        return f"{humane_duration(seconds)} ago"
    calendar_days = (to_display(now).date() - to_display(value).date()).days
    if calendar_days <= 1:
        return "yesterday"
    if calendar_days < 14:
        return f"{calendar_days} days ago"
    return f"{humane_duration(seconds)} ago"


def zone_label(value: datetime) -> str:
    """The display zone's offset at that moment: 'UTC-5', 'UTC+5:30', 'UTC'."""
    offset = to_display(value).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def full_date(value: datetime) -> str:
    """'Saturday 28 November 2026, 09:14 UTC-5': a moment nobody can misread, in the display
    zone (English names whatever the server's locale)."""
    local = to_display(value)
    return (
        f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}, "
        f"{local:%H:%M} {zone_label(value)}"
    )


def iso_duration(span: timedelta | float) -> str:
    """A span for a `<time datetime>` attribute, to the minute: 'PT3H12M', 'P2DT4H', 'PT0M'."""
    total = int(abs(_seconds(span)) // MINUTE)
    days, rest = divmod(total, 24 * 60)
    hours, minutes = divmod(rest, 60)
    time_part = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if days:
        return f"P{days}D" + (f"T{time_part}" if time_part else "")
    return f"PT{time_part or '0M'}"
