"""The desk's reactions to the incidents' events, after they commit (docs/events.md): the kickoff
and handover on an assignment (R8), a post for each publication and update, and the release on
resolution (R9). `incidents` does not import the desk."""

from __future__ import annotations

from statusdesk.core.models import Event
from statusdesk.core.reactions import reaction
from statusdesk.desk import services
from statusdesk.desk.events import DeskEvent
from statusdesk.desk.models import MessageKind
from statusdesk.incidents.events import IncidentEvent
from statusdesk.incidents.models import Incident, IncidentUpdate


def _incident(event: Event) -> Incident:
    return Incident.objects.select_related("issue", "manager").get(
        pk=int(event.subject.split(":", 1)[1])
    )


@reaction("desk.kickoff", kinds=[IncidentEvent.DEVELOPER_ASSIGNED])
def kickoff_on_assignment(event: Event) -> None:
    services.kickoff(
        _incident(event),
        developer_id=int(event.data["developer_id"]),
        previous_id=event.data.get("previous_developer_id"),
        at=event.at,
        event_id=event.pk,
    )


@reaction(
    "desk.step_post", kinds=[IncidentEvent.INCIDENT_PUBLISHED, IncidentEvent.INCIDENT_UPDATED]
)
def post_step(event: Event) -> None:
    incident = _incident(event)
    update = IncidentUpdate.objects.get(pk=event.data["update_id"])
    if event.kind == IncidentEvent.INCIDENT_PUBLISHED:
        kind = MessageKind.PUBLICATION
        body = f"**Published on the status page** ({update.get_status_display()}): {update.message}"
    else:
        kind = MessageKind.UPDATE
        body = f"**Status update** ({update.get_status_display()}): {update.message}"
    services.step_post(incident, kind, body, at=event.at, event_id=event.pk)


@reaction("desk.release", kinds=[IncidentEvent.INCIDENT_RESOLVED])
def release_on_resolution(event: Event) -> None:
    incident = _incident(event)
    update = IncidentUpdate.objects.get(pk=event.data["update_id"])
    services.release(incident, at=event.at, event_id=event.pk, resolution=update.message)


@reaction("desk.mirror", kinds=[DeskEvent.POSTED], when=services.mirror_wants)
def mirror_post(event: Event) -> None:
    """Every desk post (members' and statusdesk's) is owed to the chat room, once; the worker's
    own task sends it (a transaction cannot take back a chat message)."""
    services.owe_mirror_post(int(event.data["message_id"]))
