"""Times as people say them in the console (core/humane.py), and the `<time>` elements of the
console's template filters: R16's decimals ("1.9 minutes") stay in postmortems."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from statusdesk.core.humane import (
    full_date,
    humane_ago,
    humane_duration,
    iso_duration,
    zone_label,
)
from statusdesk.core.timezones import parse_display_zone

# 09:14 on Saturday 28 November 2026 in UTC-5 (the default display zone).
NOW = datetime(2026, 11, 28, 14, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(seconds=0), "less than a minute"),
        (timedelta(seconds=59), "less than a minute"),
        (timedelta(seconds=60), "1 minute"),
        (timedelta(seconds=89), "1 minute"),
        (timedelta(seconds=114), "2 minutes"),  # R16 would say 1.9 minutes
        (timedelta(minutes=45), "45 minutes"),
        (timedelta(minutes=59, seconds=40), "1 hour"),  # rounds to 60 minutes: next unit
        (timedelta(hours=1, minutes=29), "1 hour"),
        (timedelta(hours=1, minutes=30), "2 hours"),  # half up
        (timedelta(hours=3, minutes=10), "3 hours"),
        (timedelta(hours=23, minutes=40), "1 day"),
        (timedelta(days=2, hours=7), "2 days"),
        (timedelta(days=13), "13 days"),
        (timedelta(days=14), "2 weeks"),
        (timedelta(days=29), "4 weeks"),
        (timedelta(days=30), "1 month"),
        (timedelta(days=45), "2 months"),
        (timedelta(days=364), "1 year"),
        (timedelta(days=800), "2 years"),
    ],
)
def test_humane_duration_is_one_whole_unit(span: timedelta, words: str) -> None:
    assert humane_duration(span) == words


@given(st.floats(min_value=0, max_value=20 * 365 * 86400, allow_nan=False))
def test_humane_duration_never_has_a_decimal_and_is_plural_unless_one(seconds: float) -> None:
    words = humane_duration(seconds)
    assert not re.search(r"\d\.\d", words)
    if words != "less than a minute":
        amount, unit = words.split(" ")
        assert int(amount) >= 1
        assert unit.endswith("s") == (amount != "1")


@pytest.mark.parametrize(
    ("before", "words"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=-20), "just now"),  # a clock a little ahead
        (timedelta(minutes=2), "2 minutes ago"),
        (timedelta(minutes=1, seconds=54), "2 minutes ago"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(hours=3), "3 hours ago"),
        (timedelta(hours=9), "9 hours ago"),  # 00:14 today in UTC-5
        (timedelta(hours=10), "10 hours ago"),  # 23:14 yesterday: still said in hours
        (timedelta(hours=30), "yesterday"),  # 03:14 on Friday
        (timedelta(hours=34), "2 days ago"),  # 23:14 on Thursday: two calendar days back
        (timedelta(days=5), "5 days ago"),
        (timedelta(days=20), "3 weeks ago"),
        (timedelta(days=90), "3 months ago"),
        (timedelta(minutes=-30), "in 30 minutes"),
    ],
)
def test_humane_ago(before: timedelta, words: str) -> None:
    assert humane_ago(NOW - before, NOW) == words


def test_yesterday_is_on_the_display_zones_calendar(settings) -> None:
    # 25 hours before 09:14 in UTC-5 is 08:14 yesterday; in UTC+14 it is yesterday as well,
    # but 47 hours back is two days ago in both.
    settings.DISPLAY_ZONE = parse_display_zone("UTC+14")
    assert humane_ago(NOW - timedelta(hours=25), NOW) == "yesterday"
    assert humane_ago(NOW - timedelta(hours=47), NOW) == "2 days ago"


def test_full_date_spells_out_the_day_month_year_and_zone() -> None:
    assert full_date(NOW) == "Saturday 28 November 2026, 09:14 UTC-5"
    assert (
        full_date(datetime(2027, 1, 1, 4, 5, tzinfo=UTC))
        == "Thursday 31 December 2026, 23:05 UTC-5"
    )


@pytest.mark.parametrize(
    ("zone", "label"),
    [("UTC-5", "UTC-5"), ("UTC+5:30", "UTC+5:30"), ("UTC", "UTC"), ("Europe/Paris", "UTC+1")],
)
def test_zone_label(settings, zone: str, label: str) -> None:
    settings.DISPLAY_ZONE = parse_display_zone(zone)
    assert zone_label(NOW) == label


@pytest.mark.parametrize(
    ("span", "iso"),
    [
        (timedelta(0), "PT0M"),
        (timedelta(minutes=20), "PT20M"),
        (timedelta(hours=3, minutes=12), "PT3H12M"),
        (timedelta(hours=5), "PT5H"),
        (timedelta(days=2), "P2D"),
        (timedelta(days=2, hours=4, minutes=1), "P2DT4H1M"),
    ],
)
def test_iso_duration(span: timedelta, iso: str) -> None:
    assert iso_duration(span) == iso


def _render(source: str, **context: object) -> str:
    return Template("{% load console %}" + source).render(Context(context))


def test_when_is_a_time_element_titled_with_the_full_date() -> None:
    html = _render("{{ at|when }}", at=NOW)
    assert html == (
        '<time datetime="2026-11-28T14:14:00+00:00" title="Saturday 28 November 2026, 09:14 UTC-5">'
        '26-11-28 09:14 <span class="tz">UTC-5</span></time>'
    )


def test_ago_since_until_and_duration_read_as_people_say_them() -> None:
    from django.utils import timezone

    now = timezone.now()
    ago = _render("{{ at|ago }}", at=now - timedelta(minutes=1, seconds=54))
    assert re.fullmatch(
        r'<time datetime="[^"]+" title="\w+ \d+ \w+ \d{4}, \d\d:\d\d UTC-5">'
        r"2 minutes ago</time>",
        ago,
    ), ago
    since = _render("Open for {{ at|since }}", at=now - timedelta(hours=3, minutes=5))
    assert re.fullmatch(
        r'Open for <time datetime="PT3H5M" title="Since [^"]+ UTC-5">3 hours</time>', since
    ), since
    until = _render("due in {{ at|until }}", at=now + timedelta(minutes=20, seconds=30))
    assert re.fullmatch(r'due in <time datetime="PT20M" title="At [^"]+">20 minutes</time>', until)
    assert _render("{{ at|until }}", at=now - timedelta(minutes=1)) == ""
    lasted = _render(
        "{% duration a b %}", a=now - timedelta(days=2, hours=1), b=now - timedelta(hours=1)
    )
    assert re.fullmatch(r'<time datetime="P2D" title="From [^"]+ to [^"]+">2 days</time>', lasted)
    assert _render("{{ at|ago }}|{{ at|since }}|{{ at|when }}", at=None) == "—|—|—"
