"""What a notification says: the e-mail (HTML and plain text, from templates), the webhook body
(shaped like Statuspage's webhook notifications) and the chat message.

The parts shared by every subscriber of one event are built once per event; only the
subscriber's own links (preferences, unsubscribe) are put in per message."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from statusdesk.core.models import Event
from statusdesk.incidents.models import (
    Component,
    Incident,
    IncidentStatus,
    IncidentUpdate,
)
from statusdesk.notifications import services
from statusdesk.notifications.models import Delivery, Subscriber
from statusdesk.statuspage import shapes
from statusdesk.statuspage.snapshot import (
    live_component_objects,
    public_url,
    published,
    published_incident,
)

MANAGE = "@@statusdesk-manage-url@@"
UNSUBSCRIBE = "@@statusdesk-unsubscribe-url@@"
# Stand-ins for the recipient and the Message-ID in an event's prepared e-mail (see raw_email).
RECIPIENT = "statusdesk-recipient@placeholder.invalid"
MESSAGE_ID = "<statusdesk-message-id@placeholder.invalid>"


def _iso(value: Any) -> str | None:
    """A time as /api/v2/ writes it: milliseconds and the display zone's offset."""
    return shapes.iso(value, settings.DISPLAY_ZONE)


def mail_domain() -> str:
    return settings.STATUSDESK_FROM_EMAIL.rpartition("@")[2] or "localhost"


def message_id(delivery: Delivery) -> str:
    """The e-mail Message-ID: the delivery's idempotency key, stable across retries."""
    return f"<statusdesk.{delivery.idempotency_key}@{mail_domain()}>"


def sign_webhook(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: v1,<base64 HMAC-SHA256 of "id.timestamp.body" with the secret>."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@dataclass
class EventMessage:
    subject: str
    text: str
    html: str
    chat_title: str
    chat_body: str


def _page() -> dict[str, Any]:
    """The envelope's page: its id and address as /api/v2/ gives them, and the indicator as
    /api/v2/status.json computes it (the components and the open published incidents)."""
    impacts = [
        shapes.IMPACT_OF_SEVERITY.get(severity, "none")
        for severity in published()
        .exclude(status=IncidentStatus.RESOLVED)
        .values_list("severity", flat=True)
    ]
    status = shapes.indicator(Component.objects.values_list("status", flat=True), impacts)
    return {
        "id": shapes.page_id(public_url()),
        "url": public_url(),
        "status_indicator": status["indicator"],
        "status_description": status["description"],
    }


def _meta() -> dict[str, Any]:
    """The envelope's meta; unsubscribe and generated_at are the delivery's (MessageBuilder)."""
    return {
        "unsubscribe": UNSUBSCRIBE,
        "documentation": services.link("/api/v1/docs"),
        "generated_at": None,
    }


def _incident_object(incident: Incident, update: IncidentUpdate | None) -> dict[str, Any]:
    """The incident as /api/v2/ shows it (one rule for both: statuspage/snapshot.py), as it was
    at this step: its `status` the step's, its `incident_updates` (newest first) up to the step's
    own. Plus Statuspage's `backfilled` (false)."""
    found = published_incident(incident.pk)
    if found is None:
        raise ValueError(f"incident {incident.pk} is not published")
    shown = dict(found[0])
    updates = shown["incident_updates"]
    if update is not None:
        ids = [u["id"] for u in updates]
        if str(update.pk) in ids:
            updates = updates[ids.index(str(update.pk)) :]
        shown["status"] = update.status
    shown["incident_updates"] = updates
    shown["backfilled"] = False
    return shown


def build_event_message(event: Event) -> EventMessage:
    incident = Incident.objects.get(pk=services.incident_of(event))
    update_id = event.data.get("update_id")
    update = IncidentUpdate.objects.filter(pk=update_id).first() if update_id else None
    affected = list(incident.affected.select_related("component"))
    status = update.status if update else incident.status
    status_label = IncidentStatus(status).label
    message = update.message if update else incident.message
    page = settings.STATUSDESK_PAGE_NAME
    incident_url = services.link(f"/incidents/{incident.pk}")
    # Until the incident is resolved (one rule for the e-mail's two parts and the chat message).
    show_workaround = bool(incident.workaround) and status != IncidentStatus.RESOLVED
    context = {
        "incident": incident,
        "update": update,
        "show_workaround": show_workaround,
        "status": status_label,
        "message": message,
        "components": [a.component for a in affected],
        "incident_url": incident_url,
        "page_name": page,
        "manage_url": MANAGE,
        "unsubscribe_url": UNSUBSCRIBE,
        "base_url": settings.STATUSDESK_PUBLIC_URL,
    }
    if event.kind == "postmortem.published":
        # The postmortems app notifies with notify_on(): the news is the report itself.
        status_label = "Postmortem"
        message = (
            f"The postmortem of this incident is published: what happened, why, and what "
            f"was done. Read it at {incident_url}"
        )
        context.update(status=status_label, message=message)
    subject = f"[{status_label}] {incident.title} — {page}"
    lines = [message]
    if show_workaround:
        lines.append(f"Workaround: {incident.workaround} {incident.workaround_url}".strip())
    lines.append(incident_url)
    return EventMessage(
        subject=subject,
        text=render_to_string("notifications/email/incident.txt", context),
        html=render_to_string("notifications/email/incident.html", context),
        chat_title=f"[{status_label}] {incident.title}",
        chat_body="\n".join(lines),
    )


def build_incident_payload(event: Event) -> dict[str, Any]:
    """Statuspage's incident update notification of an incident step (built only for webhooks:
    an e-mail batch does not read the /api/v2/ objects)."""
    incident = Incident.objects.get(pk=services.incident_of(event))
    update_id = event.data.get("update_id")
    update = IncidentUpdate.objects.filter(pk=update_id).first() if update_id else None
    return {"meta": _meta(), "page": _page(), "incident": _incident_object(incident, update)}


def build_component_payload(event: Event) -> dict[str, Any]:
    """Statuspage's component update notification of a `component.status_changed` event: the
    component as it is now (the /api/v2/ object) and the change (`component_update`, whose id is
    the event's)."""
    component_id = int(event.data["component_id"])
    component = live_component_objects().get(component_id)
    if component is None:
        raise ValueError(f"component {component_id} no longer exists")
    return {
        "meta": _meta(),
        "page": _page(),
        "component": component,
        "component_update": {
            "id": str(event.pk),
            "component_id": str(component_id),
            "component_type": "Component",
            "old_status": str(event.data["previous"]),
            "new_status": str(event.data["status"]),
            "created_at": _iso(event.at),
        },
    }


class MessageBuilder:
    """Builds each delivery's message, the event's shared part once."""

    def __init__(self) -> None:
        self._events: dict[int, EventMessage] = {}
        self._raw: dict[int, bytes] = {}
        self._payloads: dict[int, dict[str, Any]] = {}

    def _of(self, delivery: Delivery) -> EventMessage:
        built = self._events.get(delivery.event_id)
        if built is None:
            built = self._events[delivery.event_id] = build_event_message(delivery.event)
        return built

    def _payload(self, delivery: Delivery) -> dict[str, Any]:
        """The event's webhook payload (an incident step's or a component's change)."""
        payload = self._payloads.get(delivery.event_id)
        if payload is None:
            event = delivery.event
            payload = self._payloads[delivery.event_id] = (
                build_component_payload(event)
                if services.is_component_change(event)
                else build_incident_payload(event)
            )
        return payload

    def email(self, delivery: Delivery) -> EmailMultiAlternatives:
        subscriber = delivery.subscriber
        assert subscriber is not None
        return self._email(
            delivery, services.manage_url(subscriber), services.unsubscribe_url(subscriber)
        )

    def _email(self, delivery: Delivery, manage: str, unsubscribe: str) -> EmailMultiAlternatives:
        subscriber = delivery.subscriber
        assert subscriber is not None
        built = self._of(delivery)

        def fill(text: str) -> str:
            return text.replace(MANAGE, manage).replace(UNSUBSCRIBE, unsubscribe)

        message = EmailMultiAlternatives(
            subject=built.subject,
            body=fill(built.text),
            from_email=settings.STATUSDESK_FROM_EMAIL,
            to=[subscriber.email],
            headers={
                "Message-ID": message_id(delivery),
                "Date": formatdate(localtime=False),
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "List-Id": f"{settings.STATUSDESK_PAGE_NAME} <status.{mail_domain()}>",
                "Auto-Submitted": "auto-generated",
            },
        )
        message.attach_alternative(fill(built.html), "text/html")
        return message

    def raw_email(self, delivery: Delivery) -> tuple[str, list[str], bytes] | None:
        """The same e-mail as email(), as the bytes an SMTP server receives: the event's message
        is rendered and encoded once, and each subscriber's address, Message-ID and links are put
        in (the text parts are 8-bit, never re-wrapped, so the stand-ins stay whole)."""
        subscriber = delivery.subscriber
        assert subscriber is not None
        template = self._raw.get(delivery.event_id)
        if template is None:
            stand_in = Delivery(
                event_id=delivery.event_id,
                subscriber=Subscriber(email=RECIPIENT),
                idempotency_key="stand-in",
            )
            message = self._email(stand_in, MANAGE, UNSUBSCRIBE)
            message.extra_headers["Message-ID"] = MESSAGE_ID
            template = message.message().as_bytes(linesep="\r\n")
            # A line longer than SMTP allows makes Django quote the part (quoted-printable),
            # which may cut a stand-in in two: such an event's e-mails are built one by one.
            stand_ins = [RECIPIENT, MESSAGE_ID, MANAGE, UNSUBSCRIBE]
            if not all(text.encode() in template for text in stand_ins) or (
                template.count(MANAGE.encode()) < 2 or template.count(UNSUBSCRIBE.encode()) < 3
            ):
                template = b""
            self._raw[delivery.event_id] = template
        if not template:
            return None
        raw = (
            template.replace(RECIPIENT.encode(), subscriber.email.encode())
            .replace(MESSAGE_ID.encode(), message_id(delivery).encode())
            .replace(MANAGE.encode(), services.manage_url(subscriber).encode())
            .replace(UNSUBSCRIBE.encode(), services.unsubscribe_url(subscriber).encode())
        )
        return settings.STATUSDESK_FROM_EMAIL, [subscriber.email], raw

    def webhook(self, delivery: Delivery) -> tuple[bytes, dict[str, str]]:
        subscriber = delivery.subscriber
        assert subscriber is not None
        payload = json.loads(json.dumps(self._payload(delivery)))
        payload["meta"]["unsubscribe"] = services.unsubscribe_url(subscriber)
        payload["meta"]["generated_at"] = _iso(delivery.created_at)
        body = json.dumps(payload, separators=(",", ":")).encode()
        timestamp = int(time.time())
        msg_id = delivery.idempotency_key
        return body, {
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign_webhook(subscriber.secret, msg_id, timestamp, body),
        }

    def chat(self, delivery: Delivery) -> tuple[str, str]:
        built = self._of(delivery)
        return built.chat_title, built.chat_body


def confirmation_email(subscriber: Subscriber) -> EmailMultiAlternatives:
    """The double opt-in message (or, for a confirmed subscription, its preferences link)."""
    context = {
        "subscriber": subscriber,
        "confirmed": subscriber.confirmed_at is not None,
        "confirm_url": services.confirm_url(subscriber),
        "manage_url": services.manage_url(subscriber),
        "page_name": settings.STATUSDESK_PAGE_NAME,
        "base_url": settings.STATUSDESK_PUBLIC_URL,
    }
    page = settings.STATUSDESK_PAGE_NAME
    subject = (
        f"Your subscription to {page}"
        if context["confirmed"]
        else f"Confirm your subscription to {page}"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("notifications/email/confirm.txt", context),
        from_email=settings.STATUSDESK_FROM_EMAIL,
        to=[subscriber.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("notifications/email/confirm.html", context), "text/html"
    )
    return message
