"""The uptime cells kept between rebuilds (statusdesk.statuspage.kept_days): a rebuild that reuses
the finished days gives exactly what computing the whole window gives, after a step today, a
back-filled step in a past day, a component added mid-window, and the day's rollover at midnight
in the display zone; and it computes only today when nothing touched a past day."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.incidents import components as component_services
from statusdesk.incidents import services
from statusdesk.incidents.models import Component
from statusdesk.statuspage import kept_days
from statusdesk.statuspage.snapshot import Snapshot, build_snapshot
from tests.factories import (
    a_past_incident,
    a_published_incident,
    a_status_page_history,
    components_from_before,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
# Components from before the window (the conftest's are added today: no data on past days).
def components(db: None) -> list[Component]:
    return components_from_before()


def same_as_full(now: datetime | None = None) -> Snapshot:
    """The incremental build equals the whole window's, cell for cell; returns it."""
    now = now or timezone.now()
    kept = build_snapshot(now=now)
    full = build_snapshot(now=now, incremental=False)
    assert kept.uptime == full.uptime
    assert kept.component_details == full.component_details
    assert kept.version == full.version
    return kept


def incident_days(snapshot: Snapshot, component: Component, incident_id: int) -> list[Any]:
    return [
        cell.day
        for cell in snapshot.uptime[str(component.pk)]
        if str(incident_id) in {i.id for i in cell.incidents}
    ]


def test_steps_today_after_a_history_match_the_full_recompute(
    manager: User, developer: User, components: list[Component]
) -> None:
    a_status_page_history(manager, developer, components)
    same_as_full()  # keeps the finished days
    incident = a_published_incident(
        manager, developer, components, component_ids=[components[0].pk]
    )
    same_as_full()
    services.post_update(actor=manager, incident=incident, status="monitoring", message="Watching.")
    same_as_full()
    services.resolve_incident(actor=manager, incident=incident, message="Fixed.")
    same_as_full()


def test_a_back_filled_step_in_a_past_day_is_recomputed(
    manager: User, developer: User, components: list[Component]
) -> None:
    a_status_page_history(manager, developer, components)
    before = same_as_full()
    web = components[1]
    late = a_past_incident(
        manager,
        developer,
        components,
        days_ago=20,
        hours=30,  # over two days
        name="Back-filled outage",
        severity="major_outage",
        component_ids=[web.pk],
    )
    after = same_as_full()
    days = incident_days(after, web, late.pk)
    # Two or three days of the display zone, by the time of day the test runs at.
    zone = settings.DISPLAY_ZONE
    assert late.published_at is not None and late.resolved_at is not None
    first = late.published_at.astimezone(zone).date()
    last = late.resolved_at.astimezone(zone).date()
    assert days == [first + timedelta(days=n) for n in range((last - first).days + 1)]
    assert len(days) >= 2
    assert incident_days(before, web, late.pk) == []
    changed = [
        new.day
        for old, new in zip(before.uptime[str(web.pk)], after.uptime[str(web.pk)], strict=True)
        if old != new
    ]
    assert changed[: len(days)] == days


def test_a_component_added_mid_window(
    admin_user: User, manager: User, developer: User, components: list[Component]
) -> None:
    a_status_page_history(manager, developer, components)
    now = timezone.now()
    same_as_full(now + timedelta(days=1))
    added = component_services.add_component(actor=admin_user, name="Billing")
    a_published_incident(manager, developer, components, component_ids=[added.pk])
    later = same_as_full(now + timedelta(days=3))
    cells = later.uptime[str(added.pk)]
    assert cells[0].uptime is None  # before it existed
    assert cells[-1].uptime is not None
    same_as_full(now + timedelta(days=4))


def test_the_day_rollover_at_midnight_in_the_display_zone(
    manager: User, developer: User, components: list[Component]
) -> None:
    a_status_page_history(manager, developer, components)
    zone = settings.DISPLAY_ZONE
    day = timezone.now().astimezone(zone).date() - timedelta(days=2)
    evening = datetime.combine(day, time(23, 50), tzinfo=zone)
    same_as_full(evening)
    # Published five minutes before midnight (reported at 23:50), then the next day's first
    # rebuild.
    incident = a_past_incident(
        manager,
        developer,
        components,
        days_ago=(timezone.now() - evening).total_seconds() / 86400,
        hours=0.05,
        name="Just before midnight",
        component_ids=[components[0].pk],
        resolve=False,
    )
    after_midnight = datetime.combine(day + timedelta(days=1), time(0, 10), tzinfo=zone)
    snapshot = same_as_full(after_midnight)
    assert snapshot.uptime[str(components[0].pk)][-1].day == day + timedelta(days=1)
    assert incident_days(snapshot, components[0], incident.pk) == [day, day + timedelta(days=1)]
    same_as_full(after_midnight + timedelta(hours=1))


def test_a_rebuild_with_nothing_new_in_the_past_computes_today_only(
    manager: User, developer: User, components: list[Component], monkeypatch: Any
) -> None:
    a_status_page_history(manager, developer, components)
    build_snapshot()
    computed: list[int] = []
    real = kept_days.uptime_series

    def counting(**kwargs: Any) -> Any:
        computed.append(kwargs["days"])
        return real(**kwargs)

    monkeypatch.setattr(kept_days, "uptime_series", counting)
    a_published_incident(manager, developer, components)
    build_snapshot()
    assert computed == [1] * len(components)


def test_a_flushed_cache_computes_the_whole_window(
    manager: User, developer: User, components: list[Component]
) -> None:
    a_status_page_history(manager, developer, components)
    now = timezone.now()
    first = same_as_full(now)
    kept_days.forget()
    assert build_snapshot(now=now).uptime == first.uptime


def test_an_event_committed_after_later_ones_is_still_applied(
    manager: User, developer: User, components: list[Component]
) -> None:
    a_status_page_history(manager, developer, components)
    same_as_full()
    late = a_past_incident(
        manager,
        developer,
        components,
        days_ago=10,
        hours=3,
        name="Committed late",
        component_ids=[components[2].pk],
    )
    # A rebuild that read ids past these events before their transaction committed.
    from django.core.cache import cache

    from statusdesk.core.models import Event

    kept = cache.get(kept_days.KEPT_KEY)
    newest = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert newest is not None
    cache.set(kept_days.KEPT_KEY, replace(kept, seen=newest + 5, token="another"))
    cache.set(kept_days.TOKEN_KEY, "another")
    snapshot = same_as_full()
    assert incident_days(snapshot, components[2], late.pk) != []


def test_an_event_committed_below_the_cursor_is_applied_by_its_own_reaction(
    manager: User, developer: User, components: list[Component]
) -> None:
    """Past the id cursor's look-back: the rebuild reaction hands its own event over, so the
    event is applied after its commit whatever ids the cursor has passed."""
    from django.core.cache import cache

    from statusdesk.core.models import Event
    from statusdesk.incidents.events import IncidentEvent
    from statusdesk.statuspage.snapshot import rebuild_snapshot

    a_status_page_history(manager, developer, components)
    same_as_full()
    late = a_past_incident(
        manager,
        developer,
        components,
        days_ago=10,
        hours=3,
        name="Committed very late",
        component_ids=[components[2].pk],
    )
    kept = cache.get(kept_days.KEPT_KEY)
    newest = Event.objects.order_by("-pk").values_list("pk", flat=True).first()
    assert newest is not None
    # A rebuild that (before this incident's transaction committed) read ids far past it.
    far = newest + kept_days.LOOKBACK + 50
    cache.set(kept_days.KEPT_KEY, replace(kept, seen=far, token="another"))
    cache.set(kept_days.TOKEN_KEY, "another")
    kept_days._held.clear()
    stale = build_snapshot()
    assert incident_days(stale, components[2], late.pk) == []  # the cursor alone misses it
    cache.set(kept_days.KEPT_KEY, replace(kept, seen=far, token="again"))
    cache.set(kept_days.TOKEN_KEY, "again")
    kept_days._held.clear()
    events = Event.objects.about(f"incident:{late.pk}").filter(
        kind__in=[IncidentEvent.INCIDENT_PUBLISHED, IncidentEvent.INCIDENT_RESOLVED]
    )
    for event in events:  # what the rebuild reaction runs, once per event
        rebuild_snapshot(touched=[event])
    applied = same_as_full()
    assert incident_days(applied, components[2], late.pk) != []


def test_the_hourly_refresh_computes_the_whole_window_again(
    manager: User, developer: User, components: list[Component]
) -> None:
    from django.core.cache import cache

    from statusdesk.statuspage.tasks import refresh

    a_status_page_history(manager, developer, components)
    same_as_full()
    token = cache.get(kept_days.TOKEN_KEY)
    refresh(timezone.now().replace(minute=30))
    assert cache.get(kept_days.TOKEN_KEY) != token  # stored again…
    kept = cache.get(kept_days.KEPT_KEY)
    # …from what was kept: a past cell changed behind the cursor's back stays as it was kept.
    day = sorted(kept.components[components[0].pk].days)[0]
    fake = replace(kept.components[components[0].pk].days[day], end_status="major_outage")
    doctored = replace(
        kept,
        components={
            **kept.components,
            components[0].pk: replace(
                kept.components[components[0].pk],
                days={**kept.components[components[0].pk].days, day: fake},
            ),
        },
        token="doctored",
    )
    cache.set(kept_days.KEPT_KEY, doctored)
    cache.set(kept_days.TOKEN_KEY, "doctored")
    kept_days._held.clear()
    refresh(timezone.now().replace(minute=30))
    assert cache.get(kept_days.KEPT_KEY).components[components[0].pk].days[day] == fake
    refresh(timezone.now().replace(minute=2))  # the hourly one: computed whole
    healed = cache.get(kept_days.KEPT_KEY).components[components[0].pk].days[day]
    assert healed != fake
    same_as_full()
