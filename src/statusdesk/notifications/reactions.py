"""The fan-out: an incident step whose "notify subscribers" is set becomes one delivery per
matching subscriber (a durable reaction after commit, statusdesk.core.reactions); each component
status change that step causes becomes one delivery per matching webhook subscriber (Statuspage's
component update notification; e-mail subscribers read it in the incident's message)."""

from __future__ import annotations

from collections.abc import Iterable

from statusdesk.core.models import Event
from statusdesk.core.reactions import reaction
from statusdesk.incidents.events import ComponentEvent, IncidentEvent
from statusdesk.notifications import services

FAN_OUT = "notifications.fan_out"
FAN_OUT_COMPONENT = "notifications.fan_out_component"

# The kinds that notify subscribers when their payload's `notify` is true. Another app (the
# postmortems) adds its own with notify_on(); the payload names an `incident:<id>` subject and
# may carry the `update_id` the notification is about.
NOTIFYING_KINDS: set[str] = {
    IncidentEvent.INCIDENT_PUBLISHED,
    IncidentEvent.INCIDENT_UPDATED,
    IncidentEvent.INCIDENT_RESOLVED,
}


def _wants(event: Event) -> bool:
    return bool(event.data.get("notify"))


def fan_out(event: Event) -> None:
    services.start_fanout(event)


def notify_on(kinds: Iterable[str]) -> None:
    """Notify subscribers of these kinds too (call it from an app's ready())."""
    NOTIFYING_KINDS.update(str(kind) for kind in kinds)
    reaction(FAN_OUT, kinds=NOTIFYING_KINDS, when=_wants)(fan_out)


notify_on([])
# A component's status change carries the `notify` of the step that caused it: a back-filled step
# without notify changes components without telling anyone, as it sends no incident message.
reaction(FAN_OUT_COMPONENT, kinds=[ComponentEvent.STATUS_CHANGED], when=_wants)(fan_out)
