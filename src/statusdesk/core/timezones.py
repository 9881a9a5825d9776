"""The display zone: timestamps are stored in UTC and shown in one configured zone."""

from __future__ import annotations

import re
from datetime import UTC, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def parse_display_zone(value: str) -> tzinfo:
    """Read `UTC-5`, `-05:00`, `UTC+5:30`, `UTC` or an IANA name such as `America/Bogota`."""
    text = value.strip()
    if text.upper() in {"UTC", "GMT", "Z", ""}:
        return UTC
    match = _OFFSET.match(text)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta >= timedelta(hours=15):
            raise ValueError(f"STATUSDESK_DISPLAY_TZ={value!r}: offset out of range")
        offset = -delta if sign == "-" else delta
        label = "UTC" + sign + hours.lstrip("0") + (f":{minutes}" if minutes else "")
        return timezone(offset, label if delta else "UTC")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"STATUSDESK_DISPLAY_TZ={value!r} is neither an offset like UTC-5 nor a zone name"
        ) from exc
