"""Throttling of failed sign-ins (django-axes, configured in settings).

Failures are counted per account (the e-mail typed) and per client address, each on its own: after
STATUSDESK_LOGIN_FAILURE_LIMIT failures within the cool-off period, sign-ins for that account, or
from that address, are refused until the period has passed since the last failure. Nobody is
locked out for good, and a successful sign-in clears the failures counted against it.

The client address is the connection's (REMOTE_ADDR). Behind a reverse proxy it is the proxy's,
so the address a trusted proxy reports is used only when STATUSDESK_CLIENT_IP_HEADER names its
header; a client can send that header too, so never set it without such a proxy in front.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

from axes.helpers import get_client_ip_address, get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """The address failed sign-ins are counted against (AXES_CLIENT_IP_CALLABLE)."""
    header = settings.STATUSDESK_CLIENT_IP_HEADER
    if header:
        # X-Forwarded-For lists every hop; the last one is the address the trusted proxy saw
        # (the ones before it are whatever the client wrote).
        reported = request.headers.get(header, "").split(",")[-1]
        address = _address(reported)
        if address is not None:
            return address
    return _address(request.META.get("REMOTE_ADDR", ""))


def _cool_off() -> timedelta:
    cool_off = settings.AXES_COOLOFF_TIME
    assert isinstance(cool_off, timedelta)
    return cool_off


def minutes_until_retry(request: HttpRequest) -> int:
    """How long until the account or the address of a refused sign-in may try again, in whole
    minutes (at least 1)."""
    cool_off = _cool_off()
    now = timezone.now()
    counted = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off)
    locked_since: datetime | None = None
    for who in (
        {"username": get_client_username(request)},
        {"ip_address": get_client_ip_address(request)},
    ):
        attempts = counted.filter(**who).aggregate(
            failures=Sum("failures_since_start"), last=Max("attempt_time")
        )
        if (attempts["failures"] or 0) >= settings.AXES_FAILURE_LIMIT:
            last = attempts["last"]
            locked_since = last if locked_since is None else max(locked_since, last)
    if locked_since is None:
        return math.ceil(cool_off.total_seconds() / 60)
    remaining = locked_since + cool_off - now
    return max(1, math.ceil(remaining.total_seconds() / 60))
