"""Fixtures of the notification tests: a real SMTP server and a real webhook receiver in the
test process, and the settings that point statusdesk at them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from tests.notifications.receivers import SmtpSink, WebhookReceiver


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpSink]:
    """statusdesk sends its e-mail to a real SMTP server (aiosmtpd) on 127.0.0.1."""
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    yield sink
    sink.stop()


@pytest.fixture
def receiver(settings: Any) -> Iterator[WebhookReceiver]:
    """A webhook receiver on 127.0.0.1 (allowed, as a private address, by the setting)."""
    settings.STATUSDESK_WEBHOOK_ALLOW_PRIVATE = True
    settings.STATUSDESK_WEBHOOK_TIMEOUT_SECONDS = 2
    server = WebhookReceiver().start()
    yield server
    server.stop()
