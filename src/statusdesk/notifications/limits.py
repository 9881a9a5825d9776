"""The limits of subscriptions and deliveries, defined once (models, services, API schemas)."""

from __future__ import annotations

from statusdesk.incidents.limits import EMAIL_MAX, URL_MAX

__all__ = ["EMAIL_MAX", "URL_MAX", "CHANNEL_NAME_MAX", "APPRISE_URL_MAX", "TOKEN_MAX"]

CHANNEL_NAME_MAX = 100
APPRISE_URL_MAX = 2_000
# A signed link token (subscriber id, key, signature): far shorter than this.
TOKEN_MAX = 300
