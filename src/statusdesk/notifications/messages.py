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
    ComponentStatus,
    Incident,
    IncidentStatus,
    IncidentUpdate,
)
from statusdesk.notifications import services
from statusdesk.notifications.models import Delivery, Subscriber

MANAGE = "@@statusdesk-manage-url@@"
UNSUBSCRIBE = "@@statusdesk-unsubscribe-url@@"
# Stand-ins for the recipient and the Message-ID in an event's prepared e-mail (see raw_email).
RECIPIENT = "statusdesk-recipient@placeholder.invalid"
MESSAGE_ID = "<statusdesk-message-id@placeholder.invalid>"

# Statuspage's words for an incident's impact and the page's indicator.
IMPACT = {
    "major_outage": "critical",
    "partial_outage": "major",
    "degraded_performance": "minor",
    "operational": "none",
}
INDICATOR = [
    ("major_outage", "critical", "Major Service Outage"),
    ("partial_outage", "major", "Partial System Outage"),
    ("degraded_performance", "minor", "Minor Service Outage"),
    ("under_maintenance", "maintenance", "Service Under Maintenance"),
]


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


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
    webhook: dict[str, Any]
    chat_title: str
    chat_body: str


def _page_status() -> dict[str, str]:
    statuses = set(Component.objects.values_list("status", flat=True))
    for status, indicator, description in INDICATOR:
        if status in statuses:
            return {"status_indicator": indicator, "status_description": description}
    return {"status_indicator": "none", "status_description": "All Systems Operational"}


def _old_statuses(event: Event, incident: Incident) -> dict[int, str]:
    """What each component's status was before this step (from the component events recorded
    in the same step)."""
    changes = Event.objects.filter(
        kind="component.status_changed", at=event.at, data__incident_id=incident.pk
    ).values_list("data", flat=True)
    return {int(d["component_id"]): str(d["previous"]) for d in changes}


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
    context = {
        "incident": incident,
        "update": update,
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
    old = _old_statuses(event, incident)
    news = {int(k): v for k, v in (update.component_statuses if update else {}).items()}
    components = [
        {
            "id": str(a.component.pk),
            "name": a.component.name,
            "status": a.component.status,
            "description": a.component.description or None,
            "position": a.component.position,
            "created_at": None,
            "updated_at": _iso(a.component.status_changed_at),
            "showcase": True,
            "page_id": None,
            "group_id": None,
        }
        for a in affected
    ]
    webhook = {
        "meta": {
            "unsubscribe": UNSUBSCRIBE,
            "documentation": services.link("/api/v1/docs"),
            "generated_at": None,
        },
        "page": {"id": None, "url": settings.STATUSDESK_PUBLIC_URL, **_page_status()},
        "incident": {
            "id": str(incident.pk),
            "name": incident.title,
            "status": status,
            "impact": IMPACT.get(incident.severity, "none"),
            "created_at": _iso(incident.published_at),
            "updated_at": _iso(incident.last_update_at),
            "monitoring_at": _iso(update.at) if update and status == "monitoring" else None,
            "resolved_at": _iso(incident.resolved_at),
            "shortlink": incident_url,
            "backfilled": False,
            "page_id": None,
            "incident_updates": [
                {
                    "id": str(update.pk),
                    "incident_id": str(incident.pk),
                    "status": update.status,
                    "body": update.message,
                    "created_at": _iso(update.at),
                    "updated_at": _iso(update.at),
                    "display_at": _iso(update.at),
                    "affected_components": [
                        {
                            "code": str(pk),
                            "name": next((c["name"] for c in components if c["id"] == str(pk)), ""),
                            "old_status": old.get(pk, new),
                            "new_status": new,
                        }
                        for pk, new in news.items()
                        if new in ComponentStatus.values
                    ],
                    "deliver_notifications": True,
                }
            ]
            if update
            else [],
            "components": components,
        },
    }
    lines = [message]
    if incident.workaround and status != IncidentStatus.RESOLVED:
        lines.append(f"Workaround: {incident.workaround} {incident.workaround_url}".strip())
    lines.append(incident_url)
    return EventMessage(
        subject=subject,
        text=render_to_string("notifications/email/incident.txt", context),
        html=render_to_string("notifications/email/incident.html", context),
        webhook=webhook,
        chat_title=f"[{status_label}] {incident.title}",
        chat_body="\n".join(lines),
    )


class MessageBuilder:
    """Builds each delivery's message, the event's shared part once."""

    def __init__(self) -> None:
        self._events: dict[int, EventMessage] = {}
        self._raw: dict[int, bytes] = {}

    def _of(self, delivery: Delivery) -> EventMessage:
        built = self._events.get(delivery.event_id)
        if built is None:
            built = self._events[delivery.event_id] = build_event_message(delivery.event)
        return built

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
        built = self._of(delivery)
        payload = json.loads(json.dumps(built.webhook))
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
