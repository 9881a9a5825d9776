"""The event kinds of subscriptions (declared with core's log). Payloads carry ids and values,
never addresses: an address is personal data and stays on the Subscriber row."""

from __future__ import annotations

from django.db import models

from statusdesk.core.events import declare_kinds


class SubscriberEvent(models.TextChoices):
    # subscriber:<id> · subscriber_kind, all_components, component_ids, confirmed
    # (an administrator added it)
    ADDED = "subscriber.added", "Subscriber added"
    # subscriber:<id> · subscriber_kind
    CONFIRMED = "subscriber.confirmed", "Subscription confirmed"
    # subscriber:<id> · all_components, component_ids
    PREFERENCES_CHANGED = "subscriber.preferences_changed", "Subscription preferences changed"
    # subscriber:<id> · subscriber_kind, by ("subscriber" or "administrator")
    UNSUBSCRIBED = "subscriber.unsubscribed", "Unsubscribed"


declare_kinds(SubscriberEvent)
