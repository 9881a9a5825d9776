"""The figures of an incident follow its events (docs/events.md): every step of the incident and
every save of its postmortem rewrites its one row, read from the current data (so the order the
runs come in does not matter)."""

from __future__ import annotations

from statusdesk.analytics.figures import refresh_figures
from statusdesk.core.models import Event
from statusdesk.core.reactions import reaction
from statusdesk.incidents.events import IncidentEvent
from statusdesk.postmortems.events import PostmortemEvent

FIGURE_KINDS = [
    IncidentEvent.INCIDENT_CONFIRMED,
    IncidentEvent.INCIDENT_PUBLISHED,
    IncidentEvent.INCIDENT_UPDATED,
    IncidentEvent.INCIDENT_RESOLVED,
    PostmortemEvent.WRITTEN,
    PostmortemEvent.PUBLISHED,
    PostmortemEvent.REVISED,
]


@reaction("analytics.incident_figures", kinds=FIGURE_KINDS)
def refresh_after_change(event: Event) -> None:
    name, _, pk = event.subject.partition(":")
    if name == "incident" and pk.isdigit():
        refresh_figures([int(pk)])
