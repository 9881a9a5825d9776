"""The JSON shapes of subscribers in the API (/api/v1/subscribers, /api/v1/subscriptions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from statusdesk.core.inputs import Limit
from statusdesk.incidents.limits import COMPONENTS_PER_REQUEST_MAX
from statusdesk.notifications.limits import EMAIL_MAX, URL_MAX
from statusdesk.notifications.models import Subscriber


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]
ComponentIds = Annotated[
    list[StrictInt] | None,
    Field(
        max_length=COMPONENTS_PER_REQUEST_MAX,
        description="Notify only of incidents affecting one of these components; leave out (or "
        "empty) for every component.",
    ),
]


class SubscriberIn(Schema):
    """An administrator adds a subscriber: `email` or `webhook_url`, one of them."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[StrictStr, Limit(EMAIL_MAX)] | None = None
    webhook_url: Annotated[
        Annotated[StrictStr, Limit(URL_MAX)] | None,
        Field(description="http(s) only; private and loopback addresses are refused."),
    ] = None
    component_ids: ComponentIds = None
    confirmed: Annotated[
        StrictBool,
        Field(
            description="true: subscribed at once; false (default): an e-mail subscriber gets a "
            "confirmation link first (a webhook needs none)."
        ),
    ] = False


class SubscriptionIn(Schema):
    """Someone subscribes from the status page: an e-mail address, or a webhook URL with the
    e-mail address that confirms it (and receives its signing secret)."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[StrictStr, Limit(EMAIL_MAX)]
    webhook_url: Annotated[StrictStr, Limit(URL_MAX)] | None = None
    component_ids: ComponentIds = None


class SubscriptionOut(Schema):
    detail: str


class SubscriberOut(Schema):
    id: int
    kind: str
    email: str | None
    webhook_url: str | None
    all_components: bool
    component_ids: list[int]
    confirmed: bool
    secret: str | None = Field(
        description="The webhook's Standard Webhooks signing secret (whsec_…); null for e-mail."
    )
    created_at: UtcDatetime
    confirmed_at: UtcDatetime | None

    @staticmethod
    def resolve_email(obj: Subscriber) -> str | None:
        return obj.email or None

    @staticmethod
    def resolve_webhook_url(obj: Subscriber) -> str | None:
        return obj.webhook_url or None

    @staticmethod
    def resolve_component_ids(obj: Subscriber) -> list[int]:
        return sorted(c.pk for c in obj.components.all())

    @staticmethod
    def resolve_confirmed(obj: Subscriber) -> bool:
        return obj.confirmed_at is not None

    @staticmethod
    def resolve_secret(obj: Subscriber) -> str | None:
        return obj.secret or None


class SubscriberPage(Schema):
    items: list[SubscriberOut]
    next: str | None = Field(None, description="The next page's address; null on the last page.")
    next_cursor: str | None = Field(None, description="The next page's cursor (?cursor=).")
