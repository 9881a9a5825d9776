"""The per-incident figures table the analytics read (analytics/figures.py): months in the display
zone (its offset on the day, not today's), kept by the reaction to the events, and equal to what
the Event log says of the same incidents."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.analytics.figures import month_of, refresh_all_figures
from statusdesk.analytics.models import IncidentFigures
from statusdesk.analytics.queries import figures
from statusdesk.core.models import Event
from statusdesk.incidents.models import Component, Incident
from tests.factories import a_backfilled_resolved_incident, a_postmortem

pytestmark = pytest.mark.django_db


def _hours_ago(at: datetime) -> float:
    return (timezone.now() - at).total_seconds() / 3600


def _first_of_this_month_at(hour: int, minute: int = 0) -> datetime:
    now = timezone.now()
    first = datetime(now.year, now.month, 1, hour, minute, tzinfo=UTC)
    if first > now - timedelta(hours=2):  # too fresh to back-fill a whole incident: a month back
        first = datetime(now.year - (now.month == 1), (now.month - 2) % 12 + 1, 1, hour, tzinfo=UTC)
    return first


def test_an_incident_at_two_utc_on_the_first_is_in_the_previous_month_in_utc_minus_5(
    manager: User,
    developer: User,
    components: list[Component],
    django_capture_on_commit_callbacks: Any,
) -> None:
    boundary = _first_of_this_month_at(2)
    after = boundary + timedelta(hours=4)  # 01:00 in UTC-5: this month
    with django_capture_on_commit_callbacks(execute=True):
        for at in (boundary, after):
            a_backfilled_resolved_incident(
                manager, developer, components, reported_hours_ago=_hours_ago(at)
            )
    before = (boundary - timedelta(days=1)).strftime("%Y-%m")
    assert [(m["month"], m["incidents"]) for m in figures().per_month] == [
        (before, 1),
        (boundary.strftime("%Y-%m"), 1),
    ]


def test_months_follow_the_zones_offset_on_that_day(settings: Any) -> None:
    """New York: UTC-4 in July, UTC-5 in November. 04:30 UTC on 1 July is 00:30 on 1 July there,
    though today's offset would say 30 June."""
    settings.DISPLAY_ZONE = ZoneInfo("America/New_York")
    assert month_of(datetime(2026, 7, 1, 4, 30, tzinfo=UTC)) == "2026-07"
    assert month_of(datetime(2026, 7, 1, 3, 30, tzinfo=UTC)) == "2026-06"
    assert month_of(datetime(2026, 12, 1, 4, 30, tzinfo=UTC)) == "2026-11"
    assert month_of(datetime(2026, 12, 1, 5, 30, tzinfo=UTC)) == "2026-12"


def test_a_new_display_zone_regroups_the_kept_months(
    manager: User,
    developer: User,
    components: list[Component],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    boundary = _first_of_this_month_at(2)
    with django_capture_on_commit_callbacks(execute=True):
        a_backfilled_resolved_incident(
            manager, developer, components, reported_hours_ago=_hours_ago(boundary)
        )
    assert figures().per_month[0]["month"] == (boundary - timedelta(days=1)).strftime("%Y-%m")
    settings.DISPLAY_ZONE = ZoneInfo("Europe/Madrid")  # 03:00 or 04:00 on the 1st there
    assert figures().per_month[0]["month"] == boundary.strftime("%Y-%m")
    assert set(IncidentFigures.objects.values_list("zone", flat=True)) == {"Europe/Madrid"}


def test_the_figures_wait_for_the_commit(
    manager: User, developer: User, components: list[Component]
) -> None:
    """Kept by a durable reaction: nothing before the commit (here: never, the test's transaction
    is rolled back), and the back-fill of the migration writes what is missing."""
    incident = a_backfilled_resolved_incident(manager, developer, components)
    assert not IncidentFigures.objects.filter(incident=incident).exists()
    assert refresh_all_figures(only_missing=True) == 1
    assert figures().incidents == 1


def _from_the_events(incidents: list[Incident]) -> dict[str, dict[str, Any]]:
    """The per-month means computed from the Event log alone: the report's filing, the
    resolution, the latest merge date the postmortem's saves recorded."""
    months: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for incident in incidents:
        filed = Event.objects.get(kind="report.filed", subject=f"report:{incident.report_id}")
        resolved = Event.objects.get(kind="incident.resolved", subject=f"incident:{incident.pk}")
        saves = Event.objects.filter(
            kind__in=["postmortem.written", "postmortem.revised"], subject=f"incident:{incident.pk}"
        ).order_by("at", "id")
        merged_text = saves.last().data["cause_merged_at"] if saves.exists() else None
        merged = datetime.fromisoformat(merged_text) if merged_text else None
        month = months[filed.at.astimezone(timezone.get_fixed_timezone(-300)).strftime("%Y-%m")]
        month["n"].append(1)
        month["ttf"].append((resolved.at - filed.at).total_seconds())
        if merged is not None:
            month["ttd"].append((filed.at - merged).total_seconds())
            month["ttr"].append((resolved.at - merged).total_seconds())
    return {
        name: {
            "incidents": len(values["n"]),
            **{
                f"m{key}": round(fmean(values[key])) if values[key] else None
                for key in ("ttd", "ttf", "ttr")
            },
        }
        for name, values in months.items()
    }


def test_the_kept_figures_equal_the_event_logs(
    manager: User,
    developer: User,
    components: list[Component],
    django_capture_on_commit_callbacks: Any,
) -> None:
    incidents = []
    shapes = [  # (hours ago, minutes to resolve, hours from the merge to the report or None)
        (24 * 40, 45, 3.5),
        (24 * 39, 130, 50),
        (24 * 38, 7, None),
        (24 * 5, 61, 0.25),
        (24 * 4, 300, 24 * 9),
        (30, 20, None),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for hours, minutes, merged in shapes:
            incident = a_backfilled_resolved_incident(
                manager,
                developer,
                components,
                reported_hours_ago=hours,
                resolved_after=timedelta(minutes=minutes),
            )
            if merged is not None:
                a_postmortem(
                    manager,
                    incident,
                    cause_merged_at=incident.report.reported_at - timedelta(hours=merged),
                )
            incidents.append(incident)
        # A merge date corrected afterwards: the latest one counts.
        a_postmortem(
            manager,
            incidents[0],
            cause_merged_at=incidents[0].report.reported_at - timedelta(hours=1),
        )
    expected = _from_the_events(incidents)
    kept = {
        row["month"]: {
            "incidents": row["incidents"],
            **{name: row[name]["seconds"] for name in ("mttd", "mttf", "mttr")},
        }
        for row in figures().per_month
    }
    assert kept == expected
    assert figures().incidents == len(shapes)
