"""The desk over JSON (/api/v1/): an incident's thread, the desk's members. Thin: the access rule
and every check are in services.py."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Router, Status

from statusdesk.accounts.api import current_user
from statusdesk.accounts.models import User
from statusdesk.core.errors import NotAllowed
from statusdesk.core.inputs import Query
from statusdesk.core.schemas import error_responses
from statusdesk.desk import services
from statusdesk.desk.models import WHY_MAX, Membership, Message, Thread
from statusdesk.desk.schemas import MemberIn, MemberOut, MessageIn, MessageOut, ThreadOut
from statusdesk.incidents.limits import ID_MAX

router = Router(tags=["desk"])

IncidentId = Annotated[int, Path(description="The incident's id.", le=ID_MAX)]
UserId = Annotated[int, Path(description="The standing member's user id.", le=ID_MAX)]
Why = Annotated[
    str,
    Query(..., description="Why they leave the desk (kept in the event log).", max_length=WHY_MAX),
]
Since = Annotated[
    int | None,
    Query(
        None, description="Only the messages after this message id (a reconnect).", ge=0, le=ID_MAX
    ),
]
Before = Annotated[
    int | None,
    Query(
        None,
        description="Only the messages before this message id (older history).",
        ge=0,
        le=ID_MAX,
    ),
]
Limit = Annotated[
    int,
    Query(
        50,
        description="At most this many messages (the latest ones without `since`).",
        ge=1,
        le=200,
    ),
]


def person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "email": user.email, "name": user.display_name}


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "kind": message.kind,
        "author": person(message.author),
        "text": message.text,
        "html": message.html,
        "posted_at": message.posted_at,
    }


def thread_out(incident_id: int, thread: Thread | None, messages: list[Message]) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "started_at": thread.started_at if thread else None,
        "read_only": bool(thread and thread.read_only),
        "messages": [message_out(m) for m in messages],
        "first_id": messages[0].pk if messages else None,
        "last_id": messages[-1].pk if messages else None,
    }


@router.get(
    "/incidents/{incident_id}/thread",
    response={200: ThreadOut, **error_responses(401, 404, 422)},
    summary="An incident's desk thread, oldest first (R8): desk members, its manager and its "
    "developer only",
)
def get_thread(
    request: HttpRequest,
    incident_id: IncidentId,
    since: Since = None,
    before: Before = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    thread, messages = services.thread_messages(
        actor=current_user(request), incident=incident_id, since=since, before=before, limit=limit
    )
    return thread_out(incident_id, thread, messages)


@router.post(
    "/incidents/{incident_id}/thread",
    response={201: MessageOut, **error_responses(400, 401, 404, 409, 422)},
    summary="Post in an incident's desk thread (read-only once resolved, R9)",
)
def post_in_thread(
    request: HttpRequest, incident_id: IncidentId, payload: MessageIn
) -> Status[dict[str, Any]]:
    message = services.post_message(
        actor=current_user(request), incident=incident_id, text=payload.text
    )
    return Status(201, message_out(message))


@router.get(
    "/desk/members",
    response={200: list[MemberOut], **error_responses(401, 403)},
    summary="The Incident Desk's members: standing, then temporary (R7, R8)",
)
def desk_members(request: HttpRequest) -> list[dict[str, Any]]:
    actor = current_user(request)
    if not services.may_see_members(actor):
        raise NotAllowed("only desk members, incident managers and administrators see the desk")
    return [member_out(m) for m in services.members()]


def member_out(m: Membership) -> dict[str, Any]:
    return {
        "user": person(m.user),
        "membership": m.kind,
        "since": m.since,
        "why": m.why,
        "incident_id": m.incident_id,
    }


@router.post(
    "/desk/members",
    response={201: MemberOut, **error_responses(400, 401, 403, 404, 409, 422)},
    summary="Add a standing member to the Incident Desk (administrators, R7)",
)
def add_desk_member(request: HttpRequest, payload: MemberIn) -> Status[dict[str, Any]]:
    membership = services.add_standing_member(
        actor=current_user(request), user=payload.user, why=payload.why
    )
    return Status(201, member_out(membership))


@router.delete(
    "/desk/members/{user_id}",
    response={204: None, **error_responses(401, 403, 404, 409, 422)},
    summary='Remove a standing member (administrators); refused with 409 and `rule: "R7"` when '
    "fewer than four active standing members would remain",
)
def remove_desk_member(request: HttpRequest, user_id: UserId, why: Why) -> Status[None]:
    services.remove_standing_member(actor=current_user(request), user=user_id, why=why)
    return Status(204, None)
