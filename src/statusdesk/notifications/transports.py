"""How notifications leave: e-mail over Django's backend (one SMTP connection per batch),
webhooks over urllib3 (to the address that was checked, with timeouts), chat through Apprise."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from types import TracebackType
from typing import Any

import urllib3
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from statusdesk.core.errors import RuleViolation
from statusdesk.notifications.models import Delivery, DeliveryChannel

log = logging.getLogger(__name__)

# How much of a webhook receiver's answer is read (and kept in an error).
ANSWER_READ_MAX = 2_000


class TransportError(Exception):
    """A delivery attempt failed; `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


# --- e-mail ----------------------------------------------------------------------------------


def _smtp_problem(exc: Exception) -> TransportError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(f"{code} {msg!r}" for code, msg in exc.recipients.values())
        return TransportError(f"recipient refused: {text}", permanent=all(c >= 500 for c in codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        return TransportError(
            f"SMTP {exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
        )
    return TransportError(f"{type(exc).__name__}: {exc}")


class Transports:
    """The connections one batch of deliveries shares."""

    def __init__(self) -> None:
        self._mail: Any = None
        self._mail_open = False

    def __enter__(self) -> Transports:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close_mail()

    def _close_mail(self) -> None:
        if self._mail is not None and self._mail_open:
            try:
                self._mail.close()
            except Exception:
                log.debug("closing the SMTP connection failed", exc_info=True)
        self._mail_open = False

    def send_email(self, delivery: Delivery, builder: Any) -> None:
        """Over Django's SMTP backend, the prepared bytes go straight to its connection (the
        backend's own path encodes each message again: most of the cost at 100,000); any other
        backend (files under var/mail/, the tests' outbox) gets the EmailMessage."""
        try:
            if self._mail is None:
                self._mail = get_connection(fail_silently=False)
            if not self._mail_open:
                self._mail.open()
                self._mail_open = True
            smtp = self._mail.connection if isinstance(self._mail, SmtpBackend) else None
            prepared = builder.raw_email(delivery) if smtp is not None else None
            if smtp is not None and prepared is not None:
                sender, recipients, raw = prepared
                smtp.sendmail(sender, recipients, raw)
            else:
                self._mail.send_messages([builder.email(delivery)])
        except (smtplib.SMTPException, OSError) as exc:
            problem = _smtp_problem(exc)
            if not isinstance(exc, smtplib.SMTPResponseException) or isinstance(
                exc, smtplib.SMTPServerDisconnected
            ):
                self._close_mail()  # the next message opens a new connection
            raise problem from exc

    def send(self, delivery: Delivery, builder: Any) -> None:
        if delivery.channel == DeliveryChannel.EMAIL:
            self.send_email(delivery, builder)
        elif delivery.channel == DeliveryChannel.WEBHOOK:
            assert delivery.subscriber is not None
            body, headers = builder.webhook(delivery)
            post_webhook(delivery.subscriber.webhook_url, body, headers)
        else:
            assert delivery.chat_channel is not None
            title, text = builder.chat(delivery)
            notify_chat(delivery.chat_channel.url, title=title, body=text)


# --- webhooks --------------------------------------------------------------------------------


def post_webhook(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url`, connecting to an address checked just now (refused if private unless
    allowed): 2xx is delivered; anything else, a timeout or a refused connection is a failure
    (410 Gone is permanent). Redirects are not followed."""
    from statusdesk.notifications.services import ForbiddenAddress, resolve_webhook

    try:
        target = resolve_webhook(url)
    except ForbiddenAddress as exc:
        raise TransportError(exc.message, permanent=True) from exc
    except RuleViolation as exc:
        raise TransportError(exc.message) from exc
    seconds = settings.STATUSDESK_WEBHOOK_TIMEOUT_SECONDS
    timeout = urllib3.Timeout(connect=seconds, read=seconds)
    address = target.addresses[0]
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            server_hostname=target.host,
            assert_hostname=target.host,
            ssl_context=ssl.create_default_context(),
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False)
    default_port = 443 if target.scheme == "https" else 80
    host = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host:
        host = (
            f"[{target.host}]" if target.port == default_port else f"[{target.host}]:{target.port}"
        )
    try:
        with pool:
            response = pool.urlopen(
                "POST",
                target.path,
                body=body,
                headers={
                    **headers,
                    "Host": host,
                    "Content-Type": "application/json",
                    "User-Agent": "statusdesk-webhooks/1",
                },
                redirect=False,
                preload_content=False,
            )
            answer = response.read(ANSWER_READ_MAX, decode_content=False)
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}") from exc
    if 200 <= response.status < 300:
        return response.status
    text = answer.decode("utf-8", "replace")[:300]
    raise TransportError(f"HTTP {response.status}: {text}", permanent=response.status == 410)


# --- chat (Apprise) --------------------------------------------------------------------------


def apprise_supports(url: str) -> bool:
    import apprise

    return bool(apprise.Apprise().add(url))


def masked_url(url: str) -> str:
    """What an administrator sees of an Apprise URL (a secret: it holds the room's token): its
    scheme only."""
    scheme, sep, _ = url.partition("://")
    return f"{scheme}://…" if sep and scheme.isalnum() else "…"


def _secret_parts(url: str) -> list[str]:
    parts = [url]
    rest = url.partition("://")[2]
    for piece in re.split(r"[/:@?&=#,]+", rest):
        if len(piece) >= 4:
            parts.append(piece)
    return sorted(set(parts), key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """`text` (what a chat service or Apprise said) without any part of the secret URL."""
    for part in _secret_parts(url):
        text = text.replace(part, "…")
    return text


def notify_chat(url: str, *, title: str, body: str) -> None:
    """Post to a chat room through Apprise. A failure's message never holds the URL or a part of
    it (it is shown to administrators and kept with the delivery)."""
    import apprise

    sender = apprise.Apprise()
    if not sender.add(url):
        raise TransportError("not an Apprise URL statusdesk can send to", permanent=True)
    with apprise.LogCapture(level=logging.WARNING) as output:
        ok = sender.notify(title=title, body=body)
        said = output.getvalue().strip() if hasattr(output, "getvalue") else ""
    if not ok:
        said = scrub(said, url)
        raise TransportError(said[-500:] or "the chat service did not accept the message")
