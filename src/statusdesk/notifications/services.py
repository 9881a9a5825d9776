"""The rules of subscriptions and of delivering notifications, in one place.

Subscribing (double opt-in, no enumeration, rate-limited per client address), confirming,
changing preferences, unsubscribing, the administrators' steps; the webhook address check against
server-side request forgery; the fan-out of an event into deliveries; claiming, sending, retrying
and dead-lettering deliveries; the sweep. Views, API handlers, tasks and commands only call these.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import random
import secrets
import socket
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from statusdesk.accounts.models import User
from statusdesk.core.errors import IllegalTransition, NotAllowed, NotFound, Problems, RuleViolation
from statusdesk.core.events import record
from statusdesk.core.models import Event
from statusdesk.incidents.events import ComponentEvent
from statusdesk.incidents.limits import ID_MAX
from statusdesk.incidents.models import AffectedComponent, Component
from statusdesk.notifications.events import SubscriberEvent
from statusdesk.notifications.limits import EMAIL_MAX, URL_MAX
from statusdesk.notifications.models import (
    PENDING_STATES,
    ChatChannel,
    Delivery,
    DeliveryChannel,
    DeliveryState,
    Fanout,
    Subscriber,
    SubscriberKind,
)

log = logging.getLogger(__name__)

MANAGE_SUBSCRIBERS = "notifications.manage_subscribers"
# A confirmation link works for a week; preference and unsubscribe links for as long as the
# subscription lasts (they are in every message ever sent).
CONFIRM_MAX_AGE = timedelta(days=7)
SUBSCRIBE_WINDOW = timedelta(hours=1)
# The fan-out writes and queues deliveries this many at a time.
FANOUT_BATCH = 1000
# The sweep restarts at most this many unfinished fan-outs at a time.
SWEEP_FANOUTS = 100
# Sent deliveries are marked this many at a time on SQLite (the most a crash can send twice, per
# thread): every write there waits for the one lock, and a write per message made the database the
# bottleneck. PostgreSQL marks each one as soon as it is sent: a crash sends again at most the
# message each thread had in flight.
MARK_SENT_EVERY = 20


def mark_sent_every() -> int:
    """How many sent deliveries are marked in one write on this database."""
    return 1 if connection.vendor == "postgresql" else MARK_SENT_EVERY


# A delivery the queue has not taken this long after it was due is queued again by the sweep.
SWEEP_GRACE = timedelta(seconds=30)


class Purpose:
    """What a signed link may do; each signs with its own salt, so one cannot serve as another."""

    CONFIRM = "confirm"
    MANAGE = "manage"
    UNSUBSCRIBE = "unsubscribe"


# --- signed tokens ---------------------------------------------------------------------------


def _salt(purpose: str) -> str:
    return f"statusdesk.notifications.{purpose}"


def token_for(subscriber: Subscriber, purpose: str) -> str:
    return signing.dumps([subscriber.pk, subscriber.key], salt=_salt(purpose), compress=False)


def subscriber_for(token: str, purpose: str) -> Subscriber:
    """The subscription a signed link names; refused when it was altered, has expired, or its
    subscription has ended."""
    max_age = CONFIRM_MAX_AGE if purpose == Purpose.CONFIRM else None
    try:
        pk, key = signing.loads(str(token), salt=_salt(purpose), max_age=max_age)
        subscriber = Subscriber.objects.get(pk=int(pk), key=str(key), unsubscribed_at__isnull=True)
    except signing.SignatureExpired as exc:
        raise RuleViolation(
            "this confirmation link has expired: subscribe again to get a new one", field="token"
        ) from exc
    except (signing.BadSignature, Subscriber.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(
            "this link is not valid: it was changed, or the subscription it belongs to has ended",
            field="token",
        ) from exc
    return subscriber


def link(path: str) -> str:
    return f"{settings.STATUSDESK_PUBLIC_URL}{path}"


def confirm_url(subscriber: Subscriber) -> str:
    return link(f"/subscriptions/confirm/{token_for(subscriber, Purpose.CONFIRM)}/")


def manage_url(subscriber: Subscriber) -> str:
    return link(f"/subscriptions/manage/{token_for(subscriber, Purpose.MANAGE)}/")


def unsubscribe_url(subscriber: Subscriber) -> str:
    return link(f"/subscriptions/unsubscribe/{token_for(subscriber, Purpose.UNSUBSCRIBE)}/")


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# --- webhook addresses (server-side request forgery) -----------------------------------------


def _forbidden_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


class ForbiddenAddress(RuleViolation):
    """A webhook address on a network statusdesk does not send to."""


@dataclass(frozen=True)
class WebhookTarget:
    """Where a webhook goes: the URL's parts and the (allowed) addresses its host resolved to."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: list[str]


def resolve_webhook(url: str) -> WebhookTarget:
    """Check a webhook URL and resolve its host: http or https only, and (unless
    STATUSDESK_WEBHOOK_ALLOW_PRIVATE) no private, loopback, link-local, multicast or reserved
    address. Raises RuleViolation naming `webhook_url`. Called when subscribing and again before
    every delivery, since what a name resolves to can change."""
    field = "webhook_url"
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise RuleViolation("webhook_url must be an http:// or https:// address", field=field)
    if not parts.hostname:
        raise RuleViolation("webhook_url must name a host", field=field)
    if parts.username or parts.password:
        raise RuleViolation("webhook_url must not carry a user name or password", field=field)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise RuleViolation(f"webhook_url has an invalid port: {exc}", field=field) from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise RuleViolation(
            f"webhook_url: the host {parts.hostname} could not be resolved", field=field
        ) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not settings.STATUSDESK_WEBHOOK_ALLOW_PRIVATE:
        for text in addresses:
            if _forbidden_address(ipaddress.ip_address(text.split("%")[0])):
                raise ForbiddenAddress(
                    f"webhook_url: {parts.hostname} resolves to {text}, a private, loopback, "
                    "link-local, multicast or reserved address; webhooks go to public addresses "
                    "only",
                    field=field,
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return WebhookTarget(parts.scheme, parts.hostname, port, path, addresses)


# --- subscribing -----------------------------------------------------------------------------


_email = EmailValidator()
_url = URLValidator(schemes=["http", "https"])


def _email_address(problems: Problems, field: str, value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        problems.add(field, f"{field} is required")
    elif len(text) > EMAIL_MAX:
        problems.add(field, f"{field} must be at most {EMAIL_MAX} characters")
    else:
        try:
            _email(text)
        except Exception:
            problems.add(field, f"{field} is not a valid e-mail address")
    # The domain part is case-insensitive; the local part is kept as written.
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}" if local else text


def _webhook_url(problems: Problems, value: str | None) -> str:
    field = "webhook_url"
    text = (value or "").strip()
    if not text:
        problems.add(field, f"{field} is required")
        return text
    if len(text) > URL_MAX:
        problems.add(field, f"{field} must be at most {URL_MAX} characters")
        return text
    try:
        _url(text)
    except Exception:
        problems.add(field, f"{field} is not a valid http:// or https:// address")
        return text
    try:
        resolve_webhook(text)
    except RuleViolation as exc:
        problems.add(field, exc.message)
    return text


def _component_filter(problems: Problems, ids: Iterable[Any] | None) -> list[Component]:
    """No ids: every component. Otherwise the components named (each must exist)."""
    wanted = list(dict.fromkeys(ids or []))
    if not wanted:
        return []
    numbers = [
        pk for pk in wanted if isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk <= ID_MAX
    ]
    found = {c.pk: c for c in Component.objects.filter(pk__in=numbers)}
    missing = [str(pk) for pk in wanted if pk not in found]
    if missing:
        problems.add(
            "component_ids", f"component_ids: unknown component id(s) {', '.join(missing)}"
        )
    return [found[pk] for pk in wanted if pk in found]


def _too_many_subscriptions(client_address: str | None) -> bool:
    """Count one subscription request for this address in the current hour; True past the limit."""
    if not client_address:
        return False
    window = int(time.time() // SUBSCRIBE_WINDOW.total_seconds())
    key = f"statusdesk:subscribe:{client_address}:{window}"
    cache.add(key, 0, timeout=int(SUBSCRIBE_WINDOW.total_seconds()) + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=int(SUBSCRIBE_WINDOW.total_seconds()) + 60)
        count = 1
    return count > settings.STATUSDESK_SUBSCRIBE_LIMIT


class TooManyRequests(RuleViolation):
    status_code = 429


def _send_confirmation(subscriber: Subscriber) -> None:
    subscriber_id = subscriber.pk

    def queue() -> None:
        from statusdesk.notifications.tasks import send_confirmation

        try:
            send_confirmation(subscriber_id)
        except Exception:
            log.warning("could not queue the confirmation of subscriber %s", subscriber_id)

    transaction.on_commit(queue, robust=True)


def _new_subscriber(
    kind: str, *, email: str, webhook_url: str, components: list[Component], now: datetime
) -> Subscriber:
    subscriber = Subscriber.objects.create(
        kind=kind,
        email=email,
        webhook_url=webhook_url,
        all_components=not components,
        secret=new_webhook_secret() if kind == SubscriberKind.WEBHOOK else "",
        key=secrets.token_hex(16),
        created_at=now,
    )
    if components:
        subscriber.components.set(components)
    return subscriber


def subscribe(
    *,
    email: str | None = None,
    webhook_url: str | None = None,
    component_ids: Iterable[Any] | None = None,
    client_address: str | None = None,
) -> None:
    """Someone on the status page subscribes: an e-mail address, or a webhook URL with the e-mail
    address that confirms it (and receives its signing secret).

    Double opt-in: nothing is sent but a confirmation until the link in it is followed. The answer
    is the same whether or not the address is already subscribed (no enumeration): a new address
    gets a confirmation, an unconfirmed one gets it again, a confirmed one gets a message with its
    preferences link. At most STATUSDESK_SUBSCRIBE_LIMIT requests per client address per hour."""
    problems = Problems()
    address = _email_address(problems, "email", email)
    url = _webhook_url(problems, webhook_url) if webhook_url else ""
    components = _component_filter(problems, component_ids)
    problems.raise_if_any()
    if _too_many_subscriptions(client_address):
        raise TooManyRequests(
            "too many subscription requests from your address; try again in an hour"
        )
    kind = SubscriberKind.WEBHOOK if url else SubscriberKind.EMAIL
    with transaction.atomic():
        existing = Subscriber.objects.select_for_update().filter(unsubscribed_at__isnull=True)
        if kind == SubscriberKind.WEBHOOK:
            existing = existing.filter(kind=kind, webhook_url=url)
        else:
            existing = existing.filter(kind=kind, email=address)
        subscriber = existing.first()
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = _new_subscriber(
                        kind,
                        email=address,
                        webhook_url=url,
                        components=components,
                        now=timezone.now(),
                    )
            except IntegrityError:  # subscribed at the same moment by another request
                subscriber = existing.first()
        if subscriber is not None and (kind == SubscriberKind.EMAIL or subscriber.email == address):
            # A webhook's confirmation goes only to the address that subscribed it.
            _send_confirmation(subscriber)


def _require_admin(actor: User, action: str) -> None:
    if not actor.is_active or not actor.has_perm(MANAGE_SUBSCRIBERS):
        raise NotAllowed(f"only administrators may {action}", rule="R2")


@transaction.atomic
def add_subscriber(
    *,
    actor: User,
    email: str | None = None,
    webhook_url: str | None = None,
    component_ids: Iterable[Any] | None = None,
    confirmed: bool = False,
) -> Subscriber:
    """An administrator adds a subscriber (confirmed at once when they say so; otherwise the
    confirmation is sent as for a subscription from the status page)."""
    _require_admin(actor, "add subscribers")
    problems = Problems()
    if bool(email) == bool(webhook_url):
        problems.add("email", "send either email or webhook_url (one of them)")
        problems.raise_if_any()
    address = _email_address(problems, "email", email) if email else ""
    url = _webhook_url(problems, webhook_url) if webhook_url else ""
    components = _component_filter(problems, component_ids)
    problems.raise_if_any()
    kind = SubscriberKind.WEBHOOK if url else SubscriberKind.EMAIL
    if not confirmed and kind == SubscriberKind.WEBHOOK:
        # Nobody would receive a confirmation for it.
        confirmed = True
    now = timezone.now()
    try:
        with transaction.atomic():
            subscriber = _new_subscriber(
                kind, email=address, webhook_url=url, components=components, now=now
            )
    except IntegrityError as exc:
        field = "webhook_url" if url else "email"
        raise IllegalTransition(f"{field} is already subscribed", field=field) from exc
    if confirmed:
        subscriber.confirmed_at = now
        subscriber.save(update_fields=["confirmed_at"])
    else:
        _send_confirmation(subscriber)
    record(
        SubscriberEvent.ADDED,
        subject=f"subscriber:{subscriber.pk}",
        at=now,
        actor=actor,
        subscriber_kind=kind,
        all_components=subscriber.all_components,
        component_ids=[c.pk for c in components],
        confirmed=confirmed,
    )
    return subscriber


@transaction.atomic
def confirm(token: str) -> Subscriber:
    """The confirmation link was followed (a POST: mail scanners that fetch links only GET)."""
    subscriber = subscriber_for(token, Purpose.CONFIRM)
    if subscriber.confirmed_at is None:
        now = timezone.now()
        updated = Subscriber.objects.filter(pk=subscriber.pk, confirmed_at__isnull=True).update(
            confirmed_at=now
        )
        if updated:
            subscriber.confirmed_at = now
            record(
                SubscriberEvent.CONFIRMED,
                subject=f"subscriber:{subscriber.pk}",
                at=now,
                actor=None,
                subscriber_kind=subscriber.kind,
            )
    return subscriber


@transaction.atomic
def change_preferences(token: str, *, component_ids: Iterable[Any] | None) -> Subscriber:
    """From the preferences link: all components (no ids) or some."""
    subscriber = subscriber_for(token, Purpose.MANAGE)
    problems = Problems()
    components = _component_filter(problems, component_ids)
    problems.raise_if_any()
    subscriber.all_components = not components
    subscriber.save(update_fields=["all_components"])
    subscriber.components.set(components)
    record(
        SubscriberEvent.PREFERENCES_CHANGED,
        subject=f"subscriber:{subscriber.pk}",
        at=timezone.now(),
        actor=None,
        all_components=subscriber.all_components,
        component_ids=[c.pk for c in components],
    )
    return subscriber


UNSUBSCRIBED_ERROR = "unsubscribed before it was sent"


def _not_sent(deliveries: QuerySet[Delivery]) -> int:
    """Deliveries to a subscription that has ended: dead-lettered, never sent."""
    return deliveries.update(state=DeliveryState.FAILED, last_error=UNSUBSCRIBED_ERROR)


def _end(subscriber: Subscriber, *, actor: User | None, by: str) -> None:
    now = timezone.now()
    # A new key: every link of this subscription stops working.
    Subscriber.objects.filter(pk=subscriber.pk).update(
        unsubscribed_at=now, key=secrets.token_hex(16)
    )
    # What was still to be sent to it is not sent (one a worker holds now may still go; one
    # held by a worker that died is failed when taken again, in claim()).
    _not_sent(
        Delivery.objects.filter(
            subscriber=subscriber, state__in=[DeliveryState.QUEUED, DeliveryState.RETRYING]
        )
    )
    record(
        SubscriberEvent.UNSUBSCRIBED,
        subject=f"subscriber:{subscriber.pk}",
        at=now,
        actor=actor,
        subscriber_kind=subscriber.kind,
        by=by,
    )


@transaction.atomic
def unsubscribe(token: str) -> None:
    """The unsubscribe link (or the mail program's one-click unsubscribe, RFC 8058)."""
    subscriber = subscriber_for(token, Purpose.UNSUBSCRIBE)
    _end(subscriber, actor=None, by="subscriber")


@transaction.atomic
def remove_subscriber(*, actor: User, subscriber: int) -> None:
    _require_admin(actor, "remove subscribers")
    found = Subscriber.objects.filter(pk=subscriber, unsubscribed_at__isnull=True).first()
    if found is None:
        raise NotFound(f"no subscriber with id {subscriber}", field="subscriber_id")
    _end(found, actor=actor, by="administrator")


def subscribers(actor: User) -> QuerySet[Subscriber]:
    """Current subscribers (confirmed or not), newest first, for administrators."""
    _require_admin(actor, "list subscribers")
    return (
        Subscriber.objects.filter(unsubscribed_at__isnull=True)
        .prefetch_related("components")
        .order_by("-created_at", "-id")
    )


# --- chat channels ---------------------------------------------------------------------------


def apprise_url_problem(url: str) -> str | None:
    from statusdesk.notifications.transports import apprise_supports

    if not url.strip():
        return "the Apprise URL is required"
    if not apprise_supports(url.strip()):
        return "this is not an Apprise URL statusdesk can send to (see the Apprise documentation)"
    return None


def send_test_message(*, actor: User, channel: ChatChannel) -> None:
    """An administrator's "send test message": sent now, its failure shown to them."""
    from statusdesk.notifications.transports import TransportError, notify_chat

    _require_admin(actor, "send test messages")
    try:
        notify_chat(
            channel.url,
            title=f"Test message from {settings.STATUSDESK_PAGE_NAME}",
            body="Incident notifications will be posted in this channel.",
        )
    except TransportError as exc:
        raise RuleViolation(f"the test message was not sent: {exc}", field="url") from exc


# --- the fan-out -----------------------------------------------------------------------------


def incident_of(event: Event) -> int:
    prefix, _, pk = event.subject.partition(":")
    if prefix != "incident":
        raise ValueError(f"event {event.pk} ({event.kind}) is not about an incident")
    return int(pk)


def _matching(queryset: QuerySet[Any], component_ids: list[int]) -> QuerySet[Any]:
    through = queryset.model.components.through
    owner = "subscriber" if queryset.model is Subscriber else "chatchannel"
    picks = through.objects.filter(**{owner: OuterRef("pk")}, component_id__in=component_ids)
    return queryset.filter(Q(all_components=True) | Exists(picks))


def is_component_change(event: Event) -> bool:
    return event.kind == ComponentEvent.STATUS_CHANGED


def _audience(event: Event) -> tuple[QuerySet[Subscriber], QuerySet[ChatChannel] | None]:
    """Who hears of a notifying event: of an incident step, the active subscribers and chat
    channels whose component filter matches the incident's affected components; of a component's
    status change, the active webhook subscribers whose filter matches that component (e-mail
    subscribers and chat channels read the change in the step's own message)."""
    if is_component_change(event):
        webhooks = Subscriber.objects.active().filter(kind=SubscriberKind.WEBHOOK)
        return _matching(webhooks, [int(event.data["component_id"])]), None
    component_ids = list(
        AffectedComponent.objects.filter(incident_id=incident_of(event)).values_list(
            "component_id", flat=True
        )
    )
    return (
        _matching(Subscriber.objects.active(), component_ids),
        _matching(ChatChannel.objects.filter(active=True), component_ids),
    )


def start_fanout(event: Event) -> Fanout:
    """In the reaction's transaction: the event's outbox row. Its expansion into deliveries runs
    after the commit, a batch per transaction (expand_fanout), so no transaction holds the
    database for the whole list of subscribers."""
    fanout, _ = Fanout.objects.get_or_create(event=event, defaults={"created_at": timezone.now()})
    fanout_id = fanout.pk
    transaction.on_commit(lambda: _queue_fanout(fanout_id), robust=True)
    return fanout


def _queue_fanout(fanout_id: int) -> None:
    from statusdesk.notifications.tasks import expand_fanout

    try:
        expand_fanout(fanout_id)
    except Exception:
        log.warning("could not queue fan-out %s; the sweep will", fanout_id, exc_info=True)


def _delivery(
    event: Event,
    update_id: Any,
    now: datetime,
    channel: str,
    *,
    subscriber: int | None = None,
    chat: int | None = None,
) -> Delivery:
    key = f"e{event.pk}-s{subscriber}" if subscriber else f"e{event.pk}-c{chat}"
    return Delivery(
        event_id=event.pk,
        update_id=update_id,
        subscriber_id=subscriber,
        chat_channel_id=chat,
        channel=channel,
        idempotency_key=key,
        next_attempt_at=now,
        created_at=now,
    )


def expand_step(fanout_id: int) -> bool:
    """Expand one batch of a fan-out in its own transaction: one delivery per subscriber of the
    event's audience (_audience) after the cursor; after the last subscriber, the matching chat
    channels (none for a component's change), and the fan-out is done.
    The cursor moves in the same transaction as the rows it covers, and the unique (event,
    subscriber) constraint makes a batch written again (a crash, a second worker) add nothing.
    The batch's deliveries are queued after its commit. True while batches remain."""
    with transaction.atomic():
        fanout = (
            Fanout.objects.select_for_update()
            .select_related("event")
            .filter(pk=fanout_id, done_at__isnull=True)
            .first()
        )
        if fanout is None:
            return False
        event = fanout.event
        audience, channels = _audience(event)
        update_id = event.data.get("update_id")
        now = timezone.now()
        subscribers = audience.order_by("pk")
        after = fanout.after_subscriber
        page = list(subscribers.filter(pk__gt=after).values_list("pk", "kind")[:FANOUT_BATCH])
        if page:
            rows = [_delivery(event, update_id, now, kind, subscriber=pk) for pk, kind in page]
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
            last = page[-1][0]
            Fanout.objects.filter(pk=fanout.pk).update(after_subscriber=last)
            owed = Delivery.objects.filter(
                event_id=event.pk, subscriber_id__gt=after, subscriber_id__lte=last
            )
        else:
            chat = [
                _delivery(event, update_id, now, DeliveryChannel.CHAT, chat=pk)
                for pk in (channels.values_list("pk", flat=True) if channels is not None else [])
            ]
            Delivery.objects.bulk_create(chat, ignore_conflicts=True)
            Fanout.objects.filter(pk=fanout.pk).update(done_at=now)
            owed = Delivery.objects.filter(event_id=event.pk, chat_channel__isnull=False)
        owed = owed.filter(state=DeliveryState.QUEUED)
        transaction.on_commit(lambda: _queue_owed(owed), robust=True)
        return bool(page)


def _queue_owed(owed: QuerySet[Delivery]) -> None:
    for channel in DeliveryChannel:
        _queue_batches(_ids(owed.filter(channel=channel)))


def expand_fanout(fanout_id: int) -> None:
    """Expand a fan-out to its end, a batch at a time."""
    while expand_step(fanout_id):
        pass


def _batches(ids: Iterator[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for pk in ids:
        batch.append(pk)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _queue_batches(ids: Iterable[int], *, delay: float | None = None) -> int:
    """Queue delivery tasks, a batch of ids each; a failure to queue is left to the sweep."""
    from statusdesk.notifications.tasks import deliver_batch

    queued = 0
    for batch in _batches(iter(ids), settings.STATUSDESK_DELIVERY_BATCH):
        try:
            if delay:
                deliver_batch.schedule((batch,), delay=delay)
            else:
                deliver_batch(batch)
            queued += 1
        except Exception:
            log.warning("could not queue %d deliveries; the sweep will", len(batch), exc_info=True)
            break
    return queued


def _ids(queryset: QuerySet[Delivery]) -> Iterator[int]:
    """Ids in order, read a page at a time."""
    last = 0
    while True:
        page = list(
            queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:FANOUT_BATCH]
        )
        if not page:
            return
        yield from page
        last = page[-1]


# --- delivering ------------------------------------------------------------------------------


def _backoff(attempts: int) -> timedelta:
    first = settings.STATUSDESK_DELIVERY_FIRST_RETRY_SECONDS
    longest = settings.STATUSDESK_DELIVERY_LONGEST_RETRY_SECONDS
    delay = min(first * 2 ** max(attempts - 1, 0), longest)
    return timedelta(seconds=delay * random.uniform(0.8, 1.2))


def _lease() -> timedelta:
    return timedelta(seconds=settings.STATUSDESK_DELIVERY_LEASE_SECONDS)


def claim(ids: Iterable[int]) -> tuple[str, list[Delivery]]:
    """Take the deliveries among `ids` that are due and nobody holds, with one compare-and-set
    update: queued or retrying and due, or sending with a lapsed claim (its worker died). A
    delivery another worker claimed first is not matched; one whose subscriber has left since is
    failed instead (see _end). Returns the claim and the rows."""
    token = uuid.uuid4().hex
    now = timezone.now()
    due = Q(state__in=[DeliveryState.QUEUED, DeliveryState.RETRYING], next_attempt_at__lte=now)
    lapsed = Q(state=DeliveryState.SENDING, next_attempt_at__lt=now)
    takeable = Delivery.objects.filter(pk__in=list(ids)).filter(due | lapsed)
    # Whose subscriber left since (a claim that lapsed escaped _end()): not sent.
    ended = Subscriber.objects.filter(pk=OuterRef("subscriber_id"), unsubscribed_at__isnull=False)
    _not_sent(takeable.filter(Exists(ended)))
    takeable.exclude(Exists(ended)).update(
        state=DeliveryState.SENDING,
        claim=token,
        next_attempt_at=now + _lease(),
        attempts=F("attempts") + 1,
    )
    rows = list(
        Delivery.objects.filter(claim=token, state=DeliveryState.SENDING)
        .select_related("subscriber", "chat_channel", "event")
        .order_by("pk")
    )
    return token, rows


def mark_sent(ids: list[int], token: str) -> int:
    """Mark sent what this claim sent (one write for several: on SQLite every write waits for the
    one lock, and a write per message made the database the bottleneck)."""
    if not ids:
        return 0
    return Delivery.objects.filter(pk__in=ids, claim=token, state=DeliveryState.SENDING).update(
        state=DeliveryState.SENT, sent_at=timezone.now(), last_error=""
    )


def mark_failed(delivery: Delivery, token: str, error: str, *, permanent: bool) -> datetime | None:
    """A failed attempt: retried later with backoff (the time returned), or dead-lettered after the
    last attempt or a permanent refusal (None)."""
    gave_up = permanent or delivery.attempts >= settings.STATUSDESK_DELIVERY_ATTEMPTS
    due = timezone.now() + _backoff(delivery.attempts)
    Delivery.objects.filter(pk=delivery.pk, claim=token, state=DeliveryState.SENDING).update(
        state=DeliveryState.FAILED if gave_up else DeliveryState.RETRYING,
        next_attempt_at=due,
        last_error=error[-2000:],
    )
    if gave_up:
        log.warning("delivery %s failed for good: %s", delivery.idempotency_key, error)
        return None
    return due


def release(deliveries: Iterable[Delivery], token: str) -> list[int]:
    """Give back claimed deliveries that were not tried (the batch ran out of time)."""
    ids = [d.pk for d in deliveries]
    Delivery.objects.filter(pk__in=ids, claim=token, state=DeliveryState.SENDING).update(
        state=DeliveryState.QUEUED, next_attempt_at=timezone.now(), attempts=F("attempts") - 1
    )
    return ids


def deliver(ids: list[int]) -> int:
    """Send the deliveries among `ids` this worker can claim; returns how many were sent.

    E-mails share one SMTP connection. Sent deliveries are marked mark_sent_every() at a time, so
    a crash leaves at most that many (per worker thread) to be sent again, with the same
    Message-ID / webhook-id, so the receiver can tell. Failures are scheduled again together."""
    from statusdesk.notifications.messages import MessageBuilder
    from statusdesk.notifications.transports import TransportError, Transports

    token, rows = claim(ids)
    if not rows:
        return 0
    started = time.monotonic()
    # Stop before the claim lapses and another worker may take the rest.
    budget = settings.STATUSDESK_DELIVERY_LEASE_SECONDS / 2
    builder = MessageBuilder()
    retries: list[tuple[int, datetime]] = []
    sent = 0
    done: list[int] = []
    every = mark_sent_every()
    with Transports() as transports:
        for index, delivery in enumerate(rows):
            if len(done) >= every:
                sent += mark_sent(done, token)
                done = []
            if time.monotonic() - started > budget:
                _queue_batches(release(rows[index:], token))
                break
            try:
                transports.send(delivery, builder)
            except TransportError as exc:
                due = mark_failed(delivery, token, str(exc), permanent=exc.permanent)
                if due is not None:
                    retries.append((delivery.pk, due))
                continue
            except Exception as exc:  # a fault of ours (a template, a bad row): retried too
                log.exception("delivery %s could not be built", delivery.idempotency_key)
                due = mark_failed(delivery, token, f"{type(exc).__name__}: {exc}", permanent=False)
                if due is not None:
                    retries.append((delivery.pk, due))
                continue
            done.append(delivery.pk)
    sent += mark_sent(done, token)
    if retries:
        latest = max(due for _, due in retries)
        delay = max((latest - timezone.now()).total_seconds(), 0.0)
        _queue_batches([pk for pk, _ in retries], delay=delay + 0.05)
    return sent


def sweep(*, grace: timedelta = SWEEP_GRACE, future: bool = False) -> int:
    """Queue again the fan-outs and the deliveries whose task was lost: a fan-out not finished
    `grace` after it started, a delivery due for longer than `grace`, or claimed by a worker
    whose claim has lapsed (it died). With `future` (when a worker starts), also schedule
    the ones due later, at their time. Returns how many tasks were queued."""
    now = timezone.now()
    unfinished = Fanout.objects.filter(done_at__isnull=True, created_at__lte=now - grace)
    for fanout_id in unfinished.values_list("pk", flat=True)[:SWEEP_FANOUTS]:
        _queue_fanout(fanout_id)
    owed = Delivery.objects.filter(state__in=PENDING_STATES)
    queued = _queue_batches(_ids(owed.filter(next_attempt_at__lte=now - grace)))
    if future:
        # Scheduled at the earliest and at the latest time one is due (the sweep every minute
        # takes any in between that is not due at the first).
        later = owed.filter(next_attempt_at__gt=now - grace)
        times = [
            later.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first(),
            later.order_by("-next_attempt_at").values_list("next_attempt_at", flat=True).first(),
        ]
        for due in dict.fromkeys(t for t in times if t is not None):
            delay = max((due - now).total_seconds(), 0.0) + 0.05
            queued += _queue_batches(_ids(later), delay=delay)
    return queued


def retry_failed(*, actor: User, delivery: int | None = None) -> int:
    """An administrator's "retry" (one failed delivery) or "retry all": another round of
    attempts, queued now."""
    _require_admin(actor, "retry deliveries")
    failed = Delivery.objects.filter(state=DeliveryState.FAILED)
    if delivery is not None:
        failed = failed.filter(pk=delivery)
        if not failed.exists():
            raise NotFound(f"no failed delivery with id {delivery}", field="delivery_id")
    failed = failed.exclude(subscriber__unsubscribed_at__isnull=False)
    ids = list(_ids(failed))
    now = timezone.now()
    count = 0
    for batch in _batches(iter(ids), FANOUT_BATCH):
        count += Delivery.objects.filter(pk__in=batch, state=DeliveryState.FAILED).update(
            state=DeliveryState.QUEUED, attempts=0, next_attempt_at=now, claim=""
        )
    transaction.on_commit(lambda: _queue_batches(ids), robust=True)
    return count


def failed_deliveries() -> QuerySet[Delivery]:
    return (
        Delivery.objects.filter(state=DeliveryState.FAILED)
        .select_related("subscriber", "chat_channel", "update__incident")
        .order_by("-created_at", "-id")
    )


# --- what administrators see -----------------------------------------------------------------

COUNTED_STATES = ["queued", "sent", "retrying", "failed"]


def counts_by_update(update_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per incident update: how many notifications are queued (sending counts as queued), sent,
    retrying and failed."""
    ids = list(update_ids)
    result = {pk: dict.fromkeys(COUNTED_STATES, 0) for pk in ids}
    rows = (
        Delivery.objects.filter(update_id__in=ids)
        .values_list("update_id", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    for update_id, state, n in rows:
        name = "queued" if state == DeliveryState.SENDING else state
        result[update_id][name] += n
    return result
