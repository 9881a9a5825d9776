"""The public side's snapshot: everything the status page, its JSON, feeds and badge show, built
from the published data once per committed change and served from Django's cache.

The contract (stable: the public pages build on it)
===================================================

`current_snapshot() -> Snapshot` returns the snapshot of the published data (built on demand when
the cache holds none). Every dict below is plain JSON data; times in them are ISO 8601 strings with
the display zone's offset (`2026-11-28T09:51:10.123-05:00`), ids are strings.

`Snapshot` (frozen):

- `version: str` — a hash of the content; changes exactly when something shown changes (a
  day's `seconds`, which grow with the clock, are left out of it).
- `built_at: datetime` (UTC) — when this content was read from the database.
- `last_modified: datetime` (UTC, whole seconds) — when this version first appeared (HTTP
  Last-Modified).
- `page: dict` — Statuspage's page object: `id, name, url, time_zone, updated_at`.
- `status: dict` — `{"indicator": none|maintenance|minor|major|critical, "description": ...}`.
- `components: list[dict]` — Statuspage component objects, in their order on the page: `id, name,
  status (operational|degraded_performance|partial_outage|major_outage|under_maintenance),
  created_at, updated_at, position, description (str or None), showcase, start_date, group_id,
  page_id, group, only_show_if_degraded`.
- `component_details: dict[str, ComponentDetails]` — by component id: `code_name`,
  `status_label` ("Partial outage"), `uptime` (overall % over the days with data, or None).
- `uptime: dict[str, list[DayCell]]` — by component id: 90 cells, oldest first, ending today in
  the display zone (statusdesk.statuspage.uptime.DayCell: `day`, `uptime` (% or None = no data),
  `worst` status that day, `seconds` per status, `incidents` (DayIncident: `id, name, impact`)).
- `unresolved: list[dict]` — Statuspage incident objects of the published, unresolved incidents,
  the most recently published first: `id, name, status (investigating|identified|monitoring|
  resolved), created_at, updated_at, monitoring_at, resolved_at, impact (none|minor|major|
  critical), shortlink, started_at, page_id, incident_updates (newest first: id, status, body,
  incident_id, created_at, updated_at, display_at, affected_components ([{code, name, old_status,
  new_status}] or None), deliver_notifications, custom_tweet, tweet_id), components`.
- `recent_resolved: list[dict]` — the same objects, resolved in the last 7 days, the latest
  resolution first.
- `incidents: list[dict]` — the 50 most recently published incidents, any status (incidents.json).
- `details: dict[str, IncidentDetails]` — by incident id, for every incident in the three lists
  above: what the HTML shows besides Statuspage's fields: `message` (the publication's message),
  `workaround`, `workaround_url` (the documentation link), `severity` (R5's value),
  `severity_label`, `path` (`/incidents/<id>`), `postmortem` (the published postmortem as
  statusdesk.postmortems.queries.public_postmortems shapes it, or None).
- `feed_entries: list[FeedEntry]` — the 50 latest public updates, newest first (`id, incident_id,
  incident_name, status, status_label, body, at (datetime), path`).
- `documents: dict[str, bytes]` — the JSON bytes of every `/api/v2/` path, ready to send.

Nothing else is ever in it: no report, no unpublished incident, no issue, no internal field.
`published_incident(incident_id)` gives one published incident (any age) in the same shape, for
pages that reach beyond the snapshot's lists.

Serving: `cached_response(request, key, render, content_type, vary=(), cors=False)` is the one
helper every public view uses. It renders `render(snapshot)` once per (snapshot version, `key`),
keeps the bytes in the cache, and answers with ETag, Last-Modified, Cache-Control and 304 on a
matching If-None-Match / If-Modified-Since. `key` names the representation: the path, plus
whatever else the bytes depend on (`page:/:en`, `page:/incidents?page=2:es`); `vary` names the
request headers it depends on (`("Accept-Language",)`). A warm request runs no database query.
The answer is also kept by the ASGI fast path in front of Django (fastpath.py) until the version
changes, so `render` must depend on the snapshot, `key` and the `vary` headers only: never on the
signed-in user, a cookie, a session or a CSRF token (an answer that sets a cookie is not kept,
but is still cached by key). The one exception is the language of the HTML pages, which comes
from the switcher's cookie or Accept-Language: it is part of their key, they vary on
`("Accept-Language", "Cookie")`, and the fast path keeps them per value of the language cookie.
`published_incident()` runs queries: call it inside `render`, so it runs once per version.

Rebuilding: `rebuild_snapshot()` (the reaction to every event that changes public data, see
reactions.py, and every few minutes, for today's uptime) reads the database and stores a new
snapshot when the content changed. Its cost does not grow with the history: the lists are read
with bounded queries, and the uptime cells of finished days are kept between rebuilds, so only
today and the days a new (back-filled) event touched are computed (kept_days.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.test.signals import setting_changed
from django.utils import timezone

from statusdesk.core.models import Event
from statusdesk.incidents.events import ComponentEvent
from statusdesk.incidents.models import (
    AffectedComponent,
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Severity,
)
from statusdesk.statuspage import kept_days, shapes
from statusdesk.statuspage.uptime import (
    DayCell,
    overall_uptime,
)

log = logging.getLogger(__name__)

RECENT_INCIDENTS = 50  # incidents.json: the 50 most recent
RECENTLY_RESOLVED = timedelta(days=7)
FEED_ENTRIES = 50
# A snapshot older than this is rebuilt on demand even if no event asked for it (today's uptime
# and "resolved in the last 7 days" move with the clock; the worker rebuilds every 5 minutes).
STALE_AFTER = timedelta(minutes=15)
# Public answers: a client (or a proxy) may keep an answer but must ask again before using it, so
# a change is visible at once; asking again costs a 304 from the snapshot (docs/statuspage.md).
CACHE_CONTROL = "public, max-age=0, must-revalidate"
# How long a rendered representation stays in the cache (old versions are never asked for again).
RENDER_TIMEOUT = 60 * 60
# How long a process trusts the version it last read from the shared cache.
VERSION_RECHECK_SECONDS = 0.1
# A cold cache: one process builds; the others wait this long for it, then build themselves.
BUILD_LOCK_SECONDS = 30
BUILD_WAIT_SECONDS = 5.0

SNAPSHOT_KEY = "statuspage:snapshot"
POINTER_KEY = "statuspage:current"
LOCK_KEY = "statuspage:building"

API_PATHS = (
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
)


@dataclass(frozen=True)
class ComponentDetails:
    code_name: str
    status_label: str
    uptime: float | None


@dataclass(frozen=True)
class IncidentDetails:
    message: str
    workaround: str
    workaround_url: str
    severity: str
    severity_label: str
    path: str
    # The published postmortem (R12–R20), plain data: statusdesk.postmortems.queries
    # .public_postmortems; None until it is published.
    postmortem: dict[str, Any] | None = None


@dataclass(frozen=True)
class FeedEntry:
    id: str
    incident_id: str
    incident_name: str
    status: str
    status_label: str
    body: str
    at: datetime
    path: str


@dataclass(frozen=True)
class Snapshot:
    version: str
    built_at: datetime
    last_modified: datetime
    page: dict[str, Any]
    status: dict[str, str]
    components: list[dict[str, Any]]
    component_details: dict[str, ComponentDetails]
    uptime: dict[str, list[DayCell]]
    unresolved: list[dict[str, Any]]
    recent_resolved: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    details: dict[str, IncidentDetails]
    feed_entries: list[FeedEntry]
    documents: dict[str, bytes] = field(repr=False)


@dataclass(frozen=True)
class Pointer:
    """What the shared cache says about the current snapshot (small: read on every request)."""

    version: str
    built_at: datetime
    last_modified: datetime


def cache() -> Any:
    """The shared cache (settings.CACHES: a file cache under the var directory, or Redis)."""
    return caches["default"]


_pointer_backend: Any = None


def _pointer_cache() -> Any:
    """One backend object for reading the pointer from any thread or task (Django's `caches`
    gives each asyncio task a backend of its own: a new Redis connection pool each time)."""
    global _pointer_backend
    if _pointer_backend is None:
        _pointer_backend = caches.create_connection("default")
    return _pointer_backend


@receiver(setting_changed)
def _caches_changed(*, setting: str, **kwargs: Any) -> None:
    global _pointer_backend
    if setting == "CACHES":
        _pointer_backend = None
        forget_local()


def public_url() -> str:
    return str(settings.STATUSDESK_PUBLIC_URL).rstrip("/")


def incident_path(incident_id: int | str) -> str:
    """The public incident page (the public pages serve it)."""
    return f"/incidents/{incident_id}"


# --- building: reading the published data ---------------------------------------------------


class _Builder:
    """One build: a few queries, whatever the size of the history."""

    def __init__(
        self, now: datetime, *, incremental: bool = True, touched: Sequence[Event] = ()
    ) -> None:
        self.now = now
        self.incremental = incremental
        self.touched = touched
        self.zone: tzinfo = settings.DISPLAY_ZONE
        self.url = public_url()
        self.page_id = shapes.page_id(self.url)
        self.components = list(Component.objects.order_by("position", "name"))
        self.component_by_id = {c.pk: c for c in self.components}
        self._component_times()
        self.objects = {c.pk: self._component_object(c) for c in self.components}

    # components ------------------------------------------------------------------------

    def _component_times(self) -> None:
        """When each component was added and last changed (administrators' events: few rows)."""
        self.added_at: dict[int, datetime] = {}
        self.edited_at: dict[int, datetime] = {}
        events = Event.objects.filter(
            kind__in=[ComponentEvent.ADDED, ComponentEvent.CHANGED]
        ).values_list("kind", "subject", "at")
        for kind, subject, at in events:
            pk = _subject_pk(subject)
            if pk is None:
                continue
            if kind == ComponentEvent.ADDED:
                self.added_at[pk] = min(at, self.added_at.get(pk, at))
            self.edited_at[pk] = max(at, self.edited_at.get(pk, at))

    def _component_object(self, component: Component) -> dict[str, Any]:
        created = self.added_at.get(component.pk)
        times = [t for t in (created, self.edited_at.get(component.pk)) if t is not None]
        if component.status_changed_at is not None:
            times.append(component.status_changed_at)
        updated = max(times) if times else None
        return shapes.component_object(
            pk=component.pk,
            name=component.name,
            status=component.status,
            description=component.description,
            position=component.position,
            # A component made outside the services has no "added" event: its first change.
            created_at=created or updated or self.now,
            updated_at=updated or self.now,
            page=self.page_id,
            zone=self.zone,
        )

    # uptime ------------------------------------------------------------------------------

    def uptime(self) -> dict[str, list[DayCell]]:
        """The 90 cells of each component: finished days kept from the previous rebuild unless an
        event touched them (kept_days.py), today and the touched days computed."""
        return kept_days.uptime_cells(
            now=self.now,
            zone=self.zone,
            components=self.components,
            added_at=self.added_at,
            incremental=self.incremental,
            handed=self.touched,
        )

    # incidents ---------------------------------------------------------------------------

    def incidents(
        self, incidents: Sequence[Incident]
    ) -> tuple[dict[int, dict[str, Any]], dict[str, IncidentDetails]]:
        """Statuspage incident objects (and the HTML's details) for these published incidents:
        two queries for all of them (their updates, their components)."""
        ids = [i.pk for i in incidents]
        updates: dict[int, list[IncidentUpdate]] = {pk: [] for pk in ids}
        for update in IncidentUpdate.objects.filter(incident_id__in=ids).order_by("at", "id"):
            updates[update.incident_id].append(update)
        affected: dict[int, list[int]] = {pk: [] for pk in ids}
        rows = AffectedComponent.objects.filter(incident_id__in=ids).order_by(
            "component__position", "component__name"
        )
        for incident_id, component_id in rows.values_list("incident_id", "component_id"):
            affected[incident_id].append(component_id)
        from statusdesk.postmortems.queries import public_postmortems

        postmortems = public_postmortems(ids)
        objects = {}
        details = {}
        for incident in incidents:
            objects[incident.pk] = self._incident_object(
                incident, updates[incident.pk], affected[incident.pk]
            )
            details[str(incident.pk)] = IncidentDetails(
                message=incident.message,
                workaround=incident.workaround,
                workaround_url=incident.workaround_url,
                severity=incident.severity,
                severity_label=_label(Severity, incident.severity),
                path=incident_path(incident.pk),
                postmortem=postmortems.get(incident.pk),
            )
        return objects, details

    def _incident_object(
        self, incident: Incident, updates: list[IncidentUpdate], component_ids: list[int]
    ) -> dict[str, Any]:
        assert incident.published_at is not None
        shown = []
        given: dict[str, str] = {}  # what this incident gave each component so far
        monitoring_at = None
        for update in updates:
            affected = None
            if update.component_statuses:
                affected = []
                for key, status in update.component_statuses.items():
                    component = self.component_by_id.get(int(key))
                    if component is None:
                        continue
                    old = given.get(key, ComponentStatus.OPERATIONAL)
                    affected.append(shapes.affected_component(key, component.name, old, status))
                    given[key] = status
            if update.status == IncidentStatus.MONITORING and monitoring_at is None:
                monitoring_at = update.at
            shown.append(
                shapes.update_object(
                    pk=update.pk,
                    incident_pk=incident.pk,
                    status=update.status,
                    body=update.message,
                    at=update.at,
                    notify=update.notify,
                    affected=affected,
                    zone=self.zone,
                )
            )
        shown.reverse()  # newest first
        return shapes.incident_object(
            pk=incident.pk,
            name=incident.name,
            status=incident.status,
            published_at=incident.published_at,
            updated_at=incident.last_update_at or incident.published_at,
            monitoring_at=monitoring_at,
            resolved_at=incident.resolved_at,
            impact=shapes.IMPACT_OF_SEVERITY.get(incident.severity, "none"),
            shortlink=self.url + incident_path(incident.pk),
            page=self.page_id,
            updates=shown,
            components=[self.objects[pk] for pk in component_ids if pk in self.objects],
            zone=self.zone,
        )

    def feed(self) -> list[FeedEntry]:
        latest = (
            IncidentUpdate.objects.filter(incident__published_at__isnull=False)
            .select_related("incident")
            .order_by("-at", "-id")[:FEED_ENTRIES]
        )
        return [
            FeedEntry(
                id=str(update.pk),
                incident_id=str(update.incident_id),
                incident_name=update.incident.name,
                status=update.status,
                status_label=_label(IncidentStatus, update.status),
                body=update.message,
                at=update.at,
                path=incident_path(update.incident_id),
            )
            for update in latest
        ]


def _subject_pk(subject: str) -> int | None:
    _, _, pk = subject.partition(":")
    return int(pk) if pk.isdigit() else None


def _label(choices: Any, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def published() -> Any:
    """The incidents the public may see: published ones (a report, a confirmed incident not yet
    published, never appear)."""
    return Incident.objects.filter(published_at__isnull=False)


def build_snapshot(
    *,
    now: datetime | None = None,
    previous: Pointer | None = None,
    incremental: bool = True,
    touched: Sequence[Event] = (),
) -> Snapshot:
    """Read the published data and shape it. The uptime cells of finished days come from the
    previous rebuild unless an event touched them (kept_days.py; `incremental=False`: computed
    over the whole window, as a cold cache does)."""
    now = now or timezone.now()
    builder = _Builder(now, incremental=incremental, touched=touched)
    open_incidents = list(
        published().exclude(status=IncidentStatus.RESOLVED).order_by("-published_at", "-id")
    )
    recent = list(published().order_by("-published_at", "-id")[:RECENT_INCIDENTS])
    resolved = list(
        published()
        .filter(status=IncidentStatus.RESOLVED, resolved_at__gte=now - RECENTLY_RESOLVED)
        .order_by("-resolved_at", "-id")
    )
    everyone = {i.pk: i for i in [*open_incidents, *recent, *resolved]}
    objects, details = builder.incidents(list(everyone.values()))
    components = [builder.objects[c.pk] for c in builder.components]
    uptime = builder.uptime()
    component_details = {
        str(c.pk): ComponentDetails(
            code_name=c.code_name,
            status_label=_label(ComponentStatus, c.status),
            uptime=overall_uptime(uptime[str(c.pk)]),
        )
        for c in builder.components
    }
    unresolved = [objects[i.pk] for i in open_incidents]
    status = shapes.indicator(
        [c.status for c in builder.components], [o["impact"] for o in unresolved]
    )
    changed = [o["updated_at"] for o in [*components, *objects.values()]]
    page = {
        "id": builder.page_id,
        "name": settings.STATUSDESK_PAGE_NAME,
        "url": builder.url,
        "time_zone": shapes.zone_name(builder.zone),
        # The latest public change (ISO strings of one zone sort as times).
        "updated_at": max(changed, default=None) or shapes.iso(now, builder.zone),
    }
    content: dict[str, Any] = {
        "page": page,
        "status": status,
        "components": components,
        "unresolved": unresolved,
        "recent_resolved": [objects[i.pk] for i in resolved],
        "incidents": [objects[i.pk] for i in recent],
    }
    documents = _documents(content)
    feed = builder.feed()
    from statusdesk.postmortems.queries import published_count_mark

    # Postmortems of incidents beyond the lists are read when their page is asked for: the mark
    # changes the version (and so the cached pages) whenever one is published.
    version = _version(
        content,
        component_details,
        _shown_uptime(uptime),
        details,
        feed,
        published_count_mark(),
    )
    built_at = now
    if previous is not None and previous.version == version:
        last_modified = previous.last_modified
    else:
        last_modified = now.replace(microsecond=0)
        if previous is not None and last_modified <= previous.last_modified:
            # Two versions within one second must still differ for If-Modified-Since.
            last_modified = previous.last_modified + timedelta(seconds=1)
    return Snapshot(
        version=version,
        built_at=built_at,
        last_modified=last_modified,
        page=page,
        status=status,
        components=components,
        component_details=component_details,
        uptime=uptime,
        unresolved=content["unresolved"],
        recent_resolved=content["recent_resolved"],
        incidents=content["incidents"],
        details=details,
        feed_entries=feed,
        documents=documents,
    )


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _documents(content: dict[str, Any]) -> dict[str, bytes]:
    """Statuspage's eight public files (maintenances: none scheduled in statusdesk yet, so their
    lists are always present and empty)."""
    page = content["page"]
    return {
        "/api/v2/summary.json": to_json(
            {
                "page": page,
                "components": content["components"],
                "incidents": content["unresolved"],
                "scheduled_maintenances": [],
                "status": content["status"],
            }
        ),
        "/api/v2/status.json": to_json({"page": page, "status": content["status"]}),
        "/api/v2/components.json": to_json({"page": page, "components": content["components"]}),
        "/api/v2/incidents.json": to_json({"page": page, "incidents": content["incidents"]}),
        "/api/v2/incidents/unresolved.json": to_json(
            {"page": page, "incidents": content["unresolved"]}
        ),
        "/api/v2/scheduled-maintenances.json": to_json(
            {"page": page, "scheduled_maintenances": []}
        ),
        "/api/v2/scheduled-maintenances/upcoming.json": to_json(
            {"page": page, "scheduled_maintenances": []}
        ),
        "/api/v2/scheduled-maintenances/active.json": to_json(
            {"page": page, "scheduled_maintenances": []}
        ),
    }


def _version(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _shown_uptime(uptime: dict[str, list[DayCell]]) -> dict[str, list[Any]]:
    """What is shown of each day, as plain lists (the hook below would be called for each of
    tens of thousands of DayIncidents at 12,000 incidents in the window): its day, uptime, worst
    status and incidents. A day's seconds grow with the clock while today lasts and are left out,
    so a rebuild that changes nothing shown keeps the version (and every ETag with it)."""
    return {
        pk: [
            [
                cell.day.isoformat(),
                cell.uptime,
                cell.worst,
                [[i.id, i.name, i.impact] for i in cell.incidents],
            ]
            for cell in cells
        ]
        for pk, cells in uptime.items()
    }


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        # A day's seconds per status grow with the clock while today lasts; what is shown of a
        # day (its uptime, worst status, incidents) is in the version, so a rebuild that changes
        # nothing shown keeps the version (and every ETag and Last-Modified with it).
        return {
            name: getattr(value, name)
            for name in value.__dataclass_fields__
            if not (isinstance(value, DayCell) and name == "seconds")
        }
    return str(value)


def published_incident(incident_id: int) -> tuple[dict[str, Any], IncidentDetails] | None:
    """One published incident (any age) in the snapshot's shape, or None if the public may not
    see it: for pages that reach beyond the snapshot's lists (a few queries)."""
    incident = published().filter(pk=incident_id).first()
    if incident is None:
        return None
    builder = _Builder(timezone.now())
    objects, details = builder.incidents([incident])
    return objects[incident.pk], details[str(incident.pk)]


# --- the cache: storing, reading, rebuilding --------------------------------------------------

_memo_lock = threading.Lock()
_build_lock = threading.Lock()


class _Memo:
    """This process's copy of the current snapshot and its rendered answers, so a warm request
    reads one small key (the pointer) from the shared cache at most every 0.1 s."""

    pointer: Pointer | None = None
    checked: float = 0.0
    snapshot: Snapshot | None = None
    rendered: dict[str, Rendered] = {}  # replaced whole, never changed in place


@dataclass(frozen=True)
class Rendered:
    body: bytes
    etag: str
    content_type: str


_trouble_logged = 0.0


def _cache_trouble() -> None:
    """Log that the shared cache failed, at most once a minute (not once per request)."""
    global _trouble_logged
    now = time.monotonic()
    if now - _trouble_logged > 60:
        _trouble_logged = now
        log.warning(
            "the cache does not answer; public answers come from the database", exc_info=True
        )


def current_pointer(*, fresh: bool = False) -> Pointer | None:
    """The current snapshot's version (read from the shared cache at most every 0.1 s)."""
    now = time.monotonic()
    if fresh or _Memo.pointer is None or now - _Memo.checked > VERSION_RECHECK_SECONDS:
        try:
            pointer = _pointer_cache().get(POINTER_KEY)
        except Exception:
            _cache_trouble()
            pointer = None
        with _memo_lock:
            _Memo.pointer = pointer if isinstance(pointer, Pointer) else None
            _Memo.checked = now
    return _Memo.pointer


def _remember(snapshot: Snapshot) -> None:
    with _memo_lock:
        if _Memo.snapshot is None or _Memo.snapshot.version != snapshot.version:
            _Memo.rendered = {}
        _Memo.snapshot = snapshot
        _Memo.pointer = Pointer(snapshot.version, snapshot.built_at, snapshot.last_modified)
        _Memo.checked = time.monotonic()


def forget_local() -> None:
    """Drop this process's copies (tests; a process that must re-read the shared cache)."""
    with _memo_lock:
        _Memo.pointer = None
        _Memo.snapshot = None
        _Memo.rendered = {}
        _Memo.checked = 0.0


def store(snapshot: Snapshot) -> None:
    """Make `snapshot` the current one: the snapshot first, then the pointer that names it."""
    store_cache = cache()
    store_cache.set(SNAPSHOT_KEY, snapshot, timeout=None)
    store_cache.set(
        POINTER_KEY,
        Pointer(snapshot.version, snapshot.built_at, snapshot.last_modified),
        timeout=None,
    )
    _remember(snapshot)
    # The files a web server in front serves, when STATUSDESK_PUBLIC_DIR names their directory.
    from statusdesk.statuspage.export import export_public_files

    export_public_files(snapshot)


def rebuild_snapshot(*, touched: Sequence[Event] = ()) -> Snapshot | None:
    """Read the published data again and make it current. Returns the snapshot stored, or None
    when another process stored a newer reading meanwhile (two rebuilds racing: the one that
    read last wins, whichever finishes first). `touched`: events known to be new (the reaction's
    own), applied to the kept uptime cells whatever their id."""
    previous = current_pointer(fresh=True)
    snapshot = build_snapshot(previous=previous, touched=touched)
    latest = current_pointer(fresh=True)
    if latest is not None and latest.built_at > snapshot.built_at:
        return None  # another process stored a newer reading meanwhile
    if previous is not None and previous.version == snapshot.version:
        # Same content: keep the stored snapshot, only note that it was read again (fresh). This
        # process's copy when it is that version (unpickling the shared one costs ~0.1 s at
        # 12,000 incidents in the window).
        held = _Memo.snapshot
        old = held if held is not None and held.version == snapshot.version else None
        if old is None:
            old = cache().get(SNAPSHOT_KEY)
        if isinstance(old, Snapshot) and old.version == snapshot.version:
            snapshot = _with_built_at(old, snapshot.built_at)
    store(snapshot)
    return snapshot


def _with_built_at(snapshot: Snapshot, built_at: datetime) -> Snapshot:
    return replace(snapshot, built_at=built_at)


def is_stale(pointer: Pointer) -> bool:
    return seconds_until_stale(pointer) <= 0


def seconds_until_stale(pointer: Pointer) -> float:
    return (pointer.built_at + STALE_AFTER - timezone.now()).total_seconds()


def current_snapshot() -> Snapshot:
    """The current snapshot: this process's copy when the shared cache still names it, else the
    shared cache's, else (a cold or flushed cache, or a stale snapshot) built now, once."""
    pointer = current_pointer()
    if pointer is not None and not is_stale(pointer):
        held = _Memo.snapshot
        if held is not None and held.version == pointer.version:
            return held
        shared = cache().get(SNAPSHOT_KEY)
        if isinstance(shared, Snapshot) and shared.version == pointer.version:
            _remember(shared)
            return shared
    return _build_on_demand(pointer)


def _build_on_demand(seen: Pointer | None) -> Snapshot:
    """A cold, flushed or stale cache: one process builds while the others wait for it (a lock in
    the cache); a waiter that waits too long builds itself. Never fails for want of a snapshot."""
    with _build_lock:  # the threads of this process wait for one build
        pointer = current_pointer(fresh=True)
        if pointer is not None and not is_stale(pointer) and pointer != seen:
            shared = cache().get(SNAPSHOT_KEY)
            if isinstance(shared, Snapshot) and shared.version == pointer.version:
                _remember(shared)
                return shared
        shared_cache = cache()
        if shared_cache.add(LOCK_KEY, "1", timeout=BUILD_LOCK_SECONDS):
            try:
                built = rebuild_snapshot()
                return built or current_snapshot_after_race()
            finally:
                shared_cache.delete(LOCK_KEY)
        deadline = time.monotonic() + BUILD_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            pointer = current_pointer(fresh=True)
            if pointer is not None and not is_stale(pointer) and pointer != seen:
                shared = shared_cache.get(SNAPSHOT_KEY)
                if isinstance(shared, Snapshot) and shared.version == pointer.version:
                    _remember(shared)
                    return shared
        built = rebuild_snapshot()
        return built or current_snapshot_after_race()


def current_snapshot_after_race() -> Snapshot:
    """A rebuild stood aside for a newer one: read that one (or build, if it is gone already)."""
    shared = cache().get(SNAPSHOT_KEY)
    if isinstance(shared, Snapshot):
        _remember(shared)
        return shared
    snapshot = build_snapshot()
    store(snapshot)
    return snapshot


# --- answering: the one helper every public view uses ---------------------------------------


def http_date(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:24] + '"'


def rendered(
    snapshot: Snapshot, key: str, render: Callable[[Snapshot], bytes], content_type: str
) -> Rendered:
    """The bytes of `key` for this snapshot: this process's copy, the shared cache's, or
    rendered now (and kept in both)."""
    found = _Memo.rendered.get(key) if _Memo.snapshot is snapshot else None
    if found is not None:
        return found
    cache_key = f"statuspage:render:{snapshot.version}:{key}"
    stored = cache().get(cache_key)
    if isinstance(stored, Rendered) and stored.content_type == content_type:
        found = stored
    else:
        body = render(snapshot)
        found = Rendered(body, _etag(body), content_type)
        cache().set(cache_key, found, timeout=RENDER_TIMEOUT)
    with _memo_lock:
        if _Memo.snapshot is snapshot:
            _Memo.rendered = {**_Memo.rendered, key: found}
    return found


def _etags(header: str) -> list[str]:
    return [part.strip().removeprefix("W/") for part in header.split(",") if part.strip()]


def not_modified(
    *, etag: str, last_modified: str, if_none_match: str | None, if_modified_since: str | None
) -> bool:
    """RFC 9110's conditional GET: If-None-Match decides when sent (weak comparison); otherwise
    If-Modified-Since, against Last-Modified."""
    if if_none_match is not None:
        tags = _etags(if_none_match)
        return "*" in tags or etag.removeprefix("W/") in tags
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
            modified = parsedate_to_datetime(last_modified)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return modified <= since
    return False


CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified",
}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since, Cache-Control",
    "Access-Control-Max-Age": "86400",
}


def cached_response(
    request: HttpRequest,
    key: str,
    render: Callable[[Snapshot], bytes],
    content_type: str,
    vary: Iterable[str] = (),
    *,
    cors: bool = False,
) -> HttpResponse:
    """Answer a public GET from the snapshot: `render(snapshot)` runs once per (version, key);
    ETag, Last-Modified and Cache-Control always; 304 when the client's copy is current. Runs no
    database query once the snapshot is built."""
    try:
        snapshot = current_snapshot()
        answer = rendered(snapshot, key, render, content_type)
        shared = True
    except Exception:
        # The shared cache does not answer (Redis down): answer from the database, uncached,
        # rather than fail (a database fault still raises from here).
        _cache_trouble()
        snapshot = build_snapshot()
        body = render(snapshot)
        answer = Rendered(body, _etag(body), content_type)
        shared = False
    last_modified = http_date(snapshot.last_modified)
    response: HttpResponse
    if not_modified(
        etag=answer.etag,
        last_modified=last_modified,
        if_none_match=request.headers.get("If-None-Match"),
        if_modified_since=request.headers.get("If-Modified-Since"),
    ):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(answer.body, content_type=content_type)
    response["ETag"] = answer.etag
    response["Last-Modified"] = last_modified
    response["Cache-Control"] = CACHE_CONTROL
    vary = list(vary)
    if vary:
        response["Vary"] = ", ".join(vary)
    if cors:
        for name, value in CORS_HEADERS.items():
            response[name] = value
    # Tells the fast path in front of Django (statusdesk.statuspage.fastpath) that this answer
    # is the snapshot's, so it may answer the same request from memory until the next version.
    scope = getattr(request, "scope", None)
    if shared and isinstance(scope, dict) and "statusdesk.snapshot" in scope:
        scope["statusdesk.snapshot"] = snapshot.version
    return response


def live_component_objects(now: datetime | None = None) -> dict[int, dict[str, Any]]:
    """Statuspage component objects of every component as the database has them now (not the
    cached snapshot, which is rebuilt after the change), by id: what webhook notifications carry,
    in the same shape as /api/v2/components.json."""
    return _Builder(now or timezone.now()).objects
