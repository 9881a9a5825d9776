"""Subscribers over JSON (/api/v1/): administrators list, add and remove them; anyone may
subscribe from the status page (POST /subscriptions, no token). Thin: each endpoint calls one
service in notifications/services.py."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Router, Status

from statusdesk.accounts.api import current_user
from statusdesk.accounts.throttling import client_address
from statusdesk.core.inputs import PageCursor, PageLimit
from statusdesk.core.paging import DEFAULT_LIMIT, api_page
from statusdesk.core.schemas import error_responses
from statusdesk.incidents.limits import ID_MAX
from statusdesk.notifications import services
from statusdesk.notifications.models import Subscriber
from statusdesk.notifications.schemas import (
    SubscriberIn,
    SubscriberOut,
    SubscriberPage,
    SubscriptionIn,
    SubscriptionOut,
)

router = Router(tags=["subscribers"])

SubscriberId = Annotated[int, Path(description="The subscriber's id.", le=ID_MAX)]

SUBSCRIBED = (
    "If the address can receive our messages, a message is on its way to it: follow its link to "
    "confirm the subscription. Nothing is sent before that."
)


@router.post(
    "/subscribers",
    response={201: SubscriberOut, **error_responses(400, 401, 403, 409, 422)},
    summary="Add a subscriber: an e-mail address or a webhook URL (administrators)",
)
def add_subscriber(request: HttpRequest, payload: SubscriberIn) -> Status[Subscriber]:
    subscriber = services.add_subscriber(
        actor=current_user(request),
        email=payload.email,
        webhook_url=payload.webhook_url,
        component_ids=payload.component_ids,
        confirmed=payload.confirmed,
    )
    return Status(201, subscriber)


@router.get(
    "/subscribers",
    response={200: SubscriberPage, **error_responses(401, 403, 422)},
    summary="Subscribers, newest first, a page at a time (administrators)",
)
def list_subscribers(
    request: HttpRequest, limit: PageLimit = DEFAULT_LIMIT, cursor: PageCursor = None
) -> dict:
    subscribers = services.subscribers(current_user(request))
    return api_page(request, subscribers, limit=limit, cursor=cursor)


@router.delete(
    "/subscribers/{subscriber_id}",
    response={204: None, **error_responses(401, 403, 404, 422)},
    summary="Remove a subscriber: nothing more is sent to it (administrators)",
)
def remove_subscriber(request: HttpRequest, subscriber_id: SubscriberId) -> Status[None]:
    services.remove_subscriber(actor=current_user(request), subscriber=subscriber_id)
    return Status(204, None)


@router.post(
    "/subscriptions",
    auth=None,
    response={202: SubscriptionOut, **error_responses(400, 422, 429)},
    summary="Subscribe from the status page (no token): the same answer whether or not the "
    "address is already subscribed; a confirmation link is e-mailed",
)
def subscribe(request: HttpRequest, payload: SubscriptionIn) -> Status[dict]:
    services.subscribe(
        email=payload.email,
        webhook_url=payload.webhook_url,
        component_ids=payload.component_ids,
        client_address=client_address(request),
    )
    return Status(202, {"detail": SUBSCRIBED})
