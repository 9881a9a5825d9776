"""STATUSDESK_SMTP_URL: smtp://[user:password@]host:port[?starttls=1|ssl=1] (read by settings)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    ssl: bool


def parse_smtp_url(url: str) -> SmtpServer:
    """The SMTP server a URL names; ValueError naming STATUSDESK_SMTP_URL when it is not one."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError(
            "STATUSDESK_SMTP_URL must look like smtp://[user:password@]host:port"
            f"[?starttls=1|ssl=1], got {parts.scheme or 'no'} scheme"
        )
    query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "ssl"}
    if unknown:
        raise ValueError(f"STATUSDESK_SMTP_URL: unknown option(s) {', '.join(sorted(unknown))}")
    ssl = parts.scheme == "smtps" or query.get("ssl") in _TRUE
    starttls = query.get("starttls") in _TRUE
    if ssl and starttls:
        raise ValueError("STATUSDESK_SMTP_URL: choose starttls=1 or ssl=1, not both")
    try:
        port = parts.port or (465 if ssl else 25)
    except ValueError as exc:
        raise ValueError(f"STATUSDESK_SMTP_URL: {exc}") from exc
    return SmtpServer(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        starttls=starttls,
        ssl=ssl,
    )
