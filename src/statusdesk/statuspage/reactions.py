"""The snapshot is rebuilt after every committed change to public data (docs/events.md)."""

from __future__ import annotations

from statusdesk.core.models import Event
from statusdesk.core.reactions import reaction
from statusdesk.incidents.events import ComponentEvent, IncidentEvent
from statusdesk.postmortems.events import PostmortemEvent
from statusdesk.statuspage.snapshot import rebuild_snapshot

# Every kind that changes what the public sees. `component.status_changed` is not listed: it is
# only ever recorded inside a publication, update or resolution, whose own event (listed) rebuilds
# the snapshot after the same commit, so one step costs one rebuild.
PUBLIC_KINDS = [
    IncidentEvent.INCIDENT_PUBLISHED,
    IncidentEvent.INCIDENT_UPDATED,
    IncidentEvent.INCIDENT_RESOLVED,
    ComponentEvent.ADDED,
    ComponentEvent.CHANGED,
    ComponentEvent.REMOVED,
    # The public incident page and the Incidents Page show the published postmortem (R20), and
    # its text as last revised.
    PostmortemEvent.PUBLISHED,
    PostmortemEvent.REVISED,
]


@reaction("statuspage.rebuild_snapshot", kinds=PUBLIC_KINDS)
def rebuild_after_change(event: Event) -> None:
    # The event itself is handed over: the kept uptime cells apply it even when its transaction
    # committed after later events the id cursor has passed (kept_days.py).
    rebuild_snapshot(touched=[event])
