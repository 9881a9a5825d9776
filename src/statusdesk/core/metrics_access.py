"""Who may scrape /metrics: STATUSDESK_METRICS_TOKEN and STATUSDESK_METRICS_ALLOW, read by settings
(so nothing here needs Django set up); the endpoint itself is statusdesk.core.metrics."""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: str) -> list[Network]:
    """STATUSDESK_METRICS_ALLOW: networks (CIDR) or addresses, separated by commas."""
    networks = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(
                f"STATUSDESK_METRICS_ALLOW: {item!r} is not a network (e.g. 10.0.0.0/8) "
                "nor an address"
            ) from exc
    return networks


MIN_TOKEN_LENGTH = 16


def check_token(value: str) -> str:
    """STATUSDESK_METRICS_TOKEN: at least MIN_TOKEN_LENGTH characters, or unset."""
    token = value.strip()
    if token and len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"STATUSDESK_METRICS_TOKEN must be at least {MIN_TOKEN_LENGTH} characters "
            "(e.g. `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    return token
