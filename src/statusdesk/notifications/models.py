"""Subscribers, chat channels and deliveries (the outbox: one row per notification to send)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from statusdesk.core.models import Event
from statusdesk.incidents.models import Component, IncidentUpdate
from statusdesk.notifications.limits import APPRISE_URL_MAX, CHANNEL_NAME_MAX, EMAIL_MAX, URL_MAX


class SubscriberKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class SubscriberQuerySet(models.QuerySet["Subscriber"]):
    def active(self) -> SubscriberQuerySet:
        """Confirmed and not unsubscribed: who is notified."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Subscriber(models.Model):
    """Someone (an e-mail address) or something (a webhook URL) that follows the status page.

    Notified once confirmed (double opt-in for e-mail), until unsubscribed; of every incident when
    `all_components`, else of the incidents that affect one of `components`."""

    kind = models.CharField(max_length=10, choices=SubscriberKind.choices)
    email = models.EmailField(max_length=EMAIL_MAX, blank=True)
    webhook_url = models.URLField(max_length=URL_MAX, blank=True)
    all_components = models.BooleanField(default=True)
    components = models.ManyToManyField(Component, blank=True, related_name="+")
    # Standard Webhooks signing secret: "whsec_" + base64 of 32 random bytes.
    secret = models.CharField(max_length=80, blank=True)
    # Part of every signed link (confirm, preferences, unsubscribe); changed on unsubscribe, so
    # an old link never acts on a new subscription.
    key = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["email"],
                name="one_subscription_per_email",
                condition=Q(kind="email", unsubscribed_at__isnull=True),
            ),
            models.UniqueConstraint(
                fields=["webhook_url"],
                name="one_subscription_per_webhook",
                condition=Q(kind="webhook", unsubscribed_at__isnull=True),
            ),
        ]
        indexes = [
            # The fan-out streams the active subscribers in id order, off this index alone.
            models.Index(
                fields=["id"],
                name="subscriber_active",
                condition=Q(confirmed_at__isnull=False, unsubscribed_at__isnull=True),
            ),
            models.Index(fields=["created_at", "id"], name="subscriber_time"),
        ]
        permissions = [("manage_subscribers", "Can list, add and remove subscribers")]

    def __str__(self) -> str:
        return self.email or self.webhook_url

    @property
    def destination(self) -> str:
        return self.email if self.kind == SubscriberKind.EMAIL else self.webhook_url


class ChatChannel(models.Model):
    """A chat room notified of incidents, configured by an administrator as an Apprise URL
    (slack://…, msteams://…, discord://…, matrix://…, tgram://…, mmost://…)."""

    name = models.CharField(max_length=CHANNEL_NAME_MAX, unique=True)
    url = models.CharField(max_length=APPRISE_URL_MAX, help_text="An Apprise URL")
    all_components = models.BooleanField(default=True)
    components = models.ManyToManyField(Component, blank=True, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Fanout(models.Model):
    """The outbox row of one event that notifies subscribers (written by the reaction, in its
    transaction); the worker expands it into deliveries a batch at a time, `after_subscriber`
    being how far it got (keyset: the last subscriber id written)."""

    event = models.OneToOneField(Event, on_delete=models.PROTECT, related_name="+")
    after_subscriber = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"], name="fanout_unfinished", condition=Q(done_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"fan-out of event {self.event_id}"


class DeliveryState(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"


# States in which a delivery still has to be sent.
PENDING_STATES = [DeliveryState.QUEUED, DeliveryState.RETRYING, DeliveryState.SENDING]


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"
    CHAT = "chat", "Chat"


class Delivery(models.Model):
    """One notification of one event to one subscriber or chat channel.

    Written by the fan-out (one per (event, subscriber), so expanding again adds nothing), sent by
    the worker: a worker claims it (state `sending`, `next_attempt_at` then being when its claim
    lapses), sends it and marks it sent; a failure schedules a retry, the last one dead-letters it
    (`failed`). `idempotency_key` is the e-mail Message-ID and the webhook-id."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    update = models.ForeignKey(
        IncidentUpdate, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    chat_channel = models.ForeignKey(
        ChatChannel, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    idempotency_key = models.CharField(max_length=64, unique=True)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claim = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscriber"],
                name="one_delivery_per_subscriber",
                condition=Q(subscriber__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["event", "chat_channel"],
                name="one_delivery_per_chat_channel",
                condition=Q(chat_channel__isnull=False),
            ),
        ]
        indexes = [
            # The sweep reads the deliveries still owed, through an index that stays small.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_owed",
                condition=Q(state__in=["queued", "retrying", "sending"]),
            ),
            models.Index(
                fields=["created_at", "id"],
                name="delivery_failed",
                condition=Q(state="failed"),
            ),
            models.Index(fields=["update", "state"], name="delivery_update_state"),
            models.Index(fields=["event", "state", "id"], name="delivery_event_state"),
        ]

    def __str__(self) -> str:
        return f"{self.idempotency_key} ({self.state})"
