"""Is this site ready to serve the public? What `statusdesk check` runs, after Django's own
deployment checks: each check names what is wrong and how to put it right (the environment
variable to set, the command to run).

A finding is OK, WARNING (works, but not as a production site should) or ERROR (broken, or unsafe
to serve). Nothing here prints a secret: database, Redis and SMTP addresses are shown with their
password replaced by `***`, and the secret key never.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage
from django.db import DEFAULT_DB_ALIAS, connections
from django.http.request import split_domain_port, validate_host

from statusdesk.core.paths import describe_database_url

OK = "OK"
WARNING = "WARNING"
ERROR = "ERROR"
LEVELS = (OK, WARNING, ERROR)

NEW_SECRET_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
DEFAULT_PUBLIC_URL_ENV = "STATUSDESK_PUBLIC_URL"

# Django's deployment checks that statusdesk's own checks answer, with the environment variable
# to set (Django's hints name settings an operator of statusdesk never writes).
ANSWERED_BY = {
    "security.W009": "secret-key",
    "security.W018": "debug",
    "security.W020": "allowed-hosts",
    "security.W004": "tls",
    "security.W005": "tls",
    "security.W008": "tls",
    "security.W012": "tls",
    "security.W016": "tls",
    "security.W021": "tls",
}


@dataclass(frozen=True)
class Finding:
    level: str
    check: str
    message: str
    fix: str = ""


@dataclass
class Limits:
    """How old the newest worker heartbeat and the oldest pending reaction may be, how many
    reactions may wait, and how long a network check waits for an answer."""

    worker_max_age: timedelta = timedelta(minutes=3)
    backlog_max_age: timedelta = timedelta(minutes=5)
    backlog_max_pending: int = 1000
    timeout: float = 5.0


@dataclass
class Context:
    limits: Limits
    environ: dict[str, str]
    database_ok: bool | None = None
    migrations_ok: bool | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def _scrub(text: str, *secrets: str) -> str:
    """A driver's error message fit to print: shortened, any password in it replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:300]


def _secrets() -> list[str]:
    """Every secret this site's settings hold, longest first (none of them is ever printed)."""
    found = [
        settings.SECRET_KEY,
        str(connections[DEFAULT_DB_ALIAS].settings_dict.get("PASSWORD") or ""),
        urlsplit(settings.REDIS_URL).password or "",
        getattr(settings, "EMAIL_HOST_PASSWORD", "") or "",
    ]
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


# --- Django's deployment checks --------------------------------------------------------------


def django_findings(messages: Iterable[CheckMessage]) -> list[Finding]:
    """Django's `check --deploy` messages, except those statusdesk's own checks answer."""
    found = []
    for message in messages:
        if message.id in ANSWERED_BY or message.is_silenced():
            continue
        level = ERROR if message.level >= 40 else WARNING if message.level >= 30 else OK
        where = f"{message.obj}: " if message.obj not in (None, "?") else ""
        text = f"{where}{message.msg} (Django's {message.id})"
        found.append(Finding(level, "django", text, message.hint or ""))
    if not found:
        found.append(Finding(OK, "django", "Django's checks find nothing (else)"))
    return found


# --- statusdesk's own checks -----------------------------------------------------------------


def secret_key(ctx: Context) -> list[Finding]:
    key = settings.SECRET_KEY
    from_env = bool(ctx.environ.get("STATUSDESK_SECRET_KEY"))
    source = "STATUSDESK_SECRET_KEY" if from_env else f"{Path(settings.VAR_DIR) / 'secret_key'}"
    weak = []
    if len(key) < 50:
        weak.append(f"{len(key)} characters long (at least 50)")
    if len(set(key)) < 5:
        weak.append(f"made of {len(set(key))} different characters (at least 5)")
    if key.startswith("django-insecure"):
        weak.append("Django's insecure development key")
    if weak:
        return [
            Finding(
                ERROR,
                "secret-key",
                f"the secret key ({source}) is weak: {', '.join(weak)} (Django's security.W009); "
                "sessions, password resets and signed links can be forged",
                f"set STATUSDESK_SECRET_KEY to a new random value: {NEW_SECRET_KEY}",
            )
        ]
    if not from_env:
        return [
            Finding(
                WARNING,
                "secret-key",
                f"the secret key is the one generated on first use in {source}: strong, but "
                "each machine would generate its own (sign-ins would not carry across them)",
                f"set STATUSDESK_SECRET_KEY (the same on every machine): {NEW_SECRET_KEY}",
            )
        ]
    return [Finding(OK, "secret-key", "strong, from STATUSDESK_SECRET_KEY")]


def debug(ctx: Context) -> list[Finding]:
    if settings.DEBUG:
        return [
            Finding(
                ERROR,
                "debug",
                "STATUSDESK_DEBUG is on: an error shows its code and settings to whoever "
                "caused it (Django's security.W018)",
                "unset STATUSDESK_DEBUG (or set STATUSDESK_DEBUG=0)",
            )
        ]
    return [Finding(OK, "debug", "off")]


def allowed_hosts(ctx: Context) -> list[Finding]:
    hosts = list(settings.ALLOWED_HOSTS)
    fix = (
        "set STATUSDESK_ALLOWED_HOSTS to the names the public uses, comma-separated "
        "(STATUSDESK_ALLOWED_HOSTS=status.example.com,127.0.0.1)"
    )
    if not hosts:
        return [
            Finding(
                ERROR,
                "allowed-hosts",
                "STATUSDESK_ALLOWED_HOSTS is empty: every request is refused (Django's "
                "security.W020)",
                fix,
            )
        ]
    if "*" in hosts:
        return [
            Finding(
                ERROR,
                "allowed-hosts",
                "STATUSDESK_ALLOWED_HOSTS holds '*': any Host header is believed, so links in "
                "password resets and e-mails can be made to point elsewhere",
                fix,
            )
        ]
    if set(hosts) <= LOOPBACK_HOSTS:
        return [
            Finding(
                ERROR,
                "allowed-hosts",
                f"only this machine's own names are allowed ({', '.join(hosts)}): a request "
                "for the site's public name is refused",
                fix,
            )
        ]
    return [Finding(OK, "allowed-hosts", ", ".join(hosts))]


def public_url(ctx: Context) -> list[Finding]:
    url = settings.STATUSDESK_PUBLIC_URL
    if not ctx.environ.get(DEFAULT_PUBLIC_URL_ENV, "").strip():
        return [
            Finding(
                ERROR,
                "public-url",
                f"STATUSDESK_PUBLIC_URL is not set: links in e-mails, webhooks, feeds and the "
                f"Statuspage API point at {url}",
                "set STATUSDESK_PUBLIC_URL to the address the public uses "
                "(STATUSDESK_PUBLIC_URL=https://status.example.com)",
            )
        ]
    parts = urlsplit(url)
    found = []
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        return [
            Finding(
                ERROR,
                "public-url",
                f"STATUSDESK_PUBLIC_URL={url} is not an http(s) address",
                "set STATUSDESK_PUBLIC_URL=https://status.example.com",
            )
        ]
    domain, _ = split_domain_port(parts.netloc.rsplit("@", 1)[-1])
    if not validate_host(domain, settings.ALLOWED_HOSTS):
        found.append(
            Finding(
                ERROR,
                "public-url",
                f"the public address's host {parts.netloc} is not in STATUSDESK_ALLOWED_HOSTS: "
                "every link statusdesk sends would be refused",
                f"add {host} to STATUSDESK_ALLOWED_HOSTS",
            )
        )
    if settings.STATUSDESK_SECURE and parts.scheme != "https":
        found.append(
            Finding(
                ERROR,
                "public-url",
                f"STATUSDESK_SECURE=1 but STATUSDESK_PUBLIC_URL={url} is not https://",
                f"set STATUSDESK_PUBLIC_URL=https://{parts.netloc}",
            )
        )
    return found or [Finding(OK, "public-url", url)]


def tls(ctx: Context) -> list[Finding]:
    if not settings.STATUSDESK_SECURE:
        return [
            Finding(
                ERROR,
                "tls",
                "STATUSDESK_SECURE is off: session cookies may travel over plain HTTP and "
                "browsers are not told to use HTTPS only (Django's security.W004, W012, W016)",
                "serve over HTTPS at the reverse proxy (it must set X-Forwarded-Proto), then set "
                "STATUSDESK_SECURE=1",
            )
        ]
    found = []
    plain = [o for o in settings.CSRF_TRUSTED_ORIGINS if not o.startswith("https://")]
    if plain:
        found.append(
            Finding(
                ERROR,
                "tls",
                f"STATUSDESK_CSRF_TRUSTED_ORIGINS trusts origins that are not https://: "
                f"{', '.join(plain)}",
                "list only https:// origins in STATUSDESK_CSRF_TRUSTED_ORIGINS "
                "(or leave it empty when the proxy passes the Host header on)",
            )
        )
    hsts_days = settings.SECURE_HSTS_SECONDS // 86400
    found.append(
        Finding(
            OK,
            "tls",
            "STATUSDESK_SECURE=1: HTTPS as the proxy reports it in X-Forwarded-Proto, cookies only "
            f"over HTTPS, HSTS for {hsts_days} days on this host only (not its subdomains, no "
            "preload list: Django's W005, W021); the redirect from http:// is the proxy's "
            "(Django's W008)",
        )
    )
    return found


def database(ctx: Context) -> list[Finding]:
    connection = connections[DEFAULT_DB_ALIAS]
    params = connection.settings_dict
    password = str(params.get("PASSWORD") or "")
    if connection.vendor == "postgresql":
        where = describe_database_url(ctx.environ.get("DATABASE_URL", "")) or params["NAME"]
        try:
            import psycopg

            from statusdesk.core.startup import pg_connect_params

            psycopg.connect(
                **pg_connect_params(), connect_timeout=max(1, round(ctx.limits.timeout))
            ).close()
        except Exception as exc:
            ctx.database_ok = False
            return [
                Finding(
                    ERROR,
                    "database",
                    f"PostgreSQL at {where} does not answer: {type(exc).__name__}: "
                    f"{_scrub(str(exc), password)}",
                    "start PostgreSQL (`systemctl start postgresql`), or correct DATABASE_URL "
                    "(postgres://user:password@host:5432/name); `pg_isready -h HOST` tells "
                    "whether it listens",
                )
            ]
        described = f"PostgreSQL {where}"
    else:
        described = f"SQLite {params['NAME']}"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        ctx.database_ok = False
        return [
            Finding(
                ERROR,
                "database",
                f"{described} does not answer: {type(exc).__name__}: {_scrub(str(exc), password)}",
                "correct DATABASE_URL, or STATUSDESK_VAR_DIR for SQLite",
            )
        ]
    ctx.database_ok = True
    found = [Finding(OK, "database", f"{described} answers")]
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        ctx.migrations_ok = False
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        more = f" and {len(plan) - 5} more" if len(plan) > 5 else ""
        found.append(
            Finding(
                ERROR,
                "migrations",
                f"{len(plan)} migration(s) not applied: {names}{more}",
                "run `statusdesk prepare` (or `statusdesk migrate`) once, with the new release "
                "installed",
            )
        )
    else:
        ctx.migrations_ok = True
        found.append(Finding(OK, "migrations", "every migration is applied"))
    return found


def profile(ctx: Context) -> list[Finding]:
    found = []
    if connections[DEFAULT_DB_ALIAS].vendor == "sqlite":
        found.append(
            Finding(
                WARNING,
                "profile",
                "SQLite: one machine, one writer at a time; several web processes and "
                "workers need PostgreSQL",
                "set DATABASE_URL=postgres://statusdesk@127.0.0.1:5432/statusdesk",
            )
        )
    if not settings.REDIS_URL:
        found.append(
            Finding(
                WARNING,
                "profile",
                "no REDIS_URL: the queue and the cache are files on this machine and the desk's "
                "live updates stay inside the process that made them (browsers connected to "
                "another web process wait for their next poll): one machine, one web process",
                "set REDIS_URL=redis://127.0.0.1:6379/0 for several web processes",
            )
        )
    return found or [
        Finding(
            OK,
            "profile",
            "PostgreSQL and Redis: ready for several web processes and workers",
        )
    ]


def redis_server(ctx: Context) -> list[Finding]:
    url = settings.REDIS_URL
    if not url:
        return []
    import redis

    where = describe_database_url(url)
    password = urlsplit(url).password or ""
    try:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=ctx.limits.timeout, socket_timeout=ctx.limits.timeout
        )
        client.ping()
        client.close()
    except Exception as exc:
        return [
            Finding(
                ERROR,
                "redis",
                f"Redis at {where} does not answer: {type(exc).__name__}: "
                f"{_scrub(str(exc), password)}; the queue, the cache and the live desk need it",
                "start Redis (`systemctl start redis-server`), or correct REDIS_URL "
                "(redis://[:password@]host:6379/0)",
            )
        ]
    return [Finding(OK, "redis", f"{where} answers")]


def smtp(ctx: Context) -> list[Finding]:
    url = settings.STATUSDESK_SMTP_URL
    if not url:
        return [
            Finding(
                WARNING,
                "smtp",
                f"no STATUSDESK_SMTP_URL: e-mails are written as files under "
                f"{settings.EMAIL_FILE_PATH} and nobody receives them",
                "set STATUSDESK_SMTP_URL=smtp://user:password@mail.example.com:587?starttls=1",
            )
        ]
    from statusdesk.notifications.smtp_url import parse_smtp_url

    server = parse_smtp_url(url)
    where = f"{server.host}:{server.port}"
    fix = (
        "start the mail server, or correct STATUSDESK_SMTP_URL "
        "(smtp://[user:password@]host:port[?starttls=1|ssl=1])"
    )
    step = "connect"
    started = time.monotonic()
    try:
        client: smtplib.SMTP
        if server.ssl:
            client = smtplib.SMTP_SSL(
                server.host,
                server.port,
                timeout=ctx.limits.timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=ctx.limits.timeout)
        try:
            step = "EHLO"
            client.ehlo()
            if server.starttls:
                step = "STARTTLS"
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if server.user:
                step = "login"
                client.login(server.user, server.password)
            step = "NOOP"
            code, _ = client.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, b"NOOP refused")
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    except smtplib.SMTPAuthenticationError as exc:
        return [
            Finding(
                ERROR,
                "smtp",
                f"the SMTP server at {where} refuses the user name and password ({exc.smtp_code})",
                "correct user:password in STATUSDESK_SMTP_URL",
            )
        ]
    except (OSError, smtplib.SMTPException) as exc:
        return [
            Finding(
                ERROR,
                "smtp",
                f"the SMTP server at {where} does not answer ({step}): {type(exc).__name__}: "
                f"{_scrub(str(exc), server.password)}",
                fix,
            )
        ]
    took = time.monotonic() - started
    found = [Finding(OK, "smtp", f"{where} answers EHLO and NOOP ({took:.2f} s)")]
    if settings.STATUSDESK_FROM_EMAIL.endswith("@localhost"):
        found.append(
            Finding(
                WARNING,
                "smtp",
                f"e-mails are sent from {settings.STATUSDESK_FROM_EMAIL}, which mail servers "
                "refuse or file as spam",
                "set STATUSDESK_FROM_EMAIL=status@example.com (an address of your domain)",
            )
        )
    return found


def static_files(ctx: Context) -> list[Finding]:
    from django.apps import apps
    from django.contrib.staticfiles import finders

    root = Path(settings.STATIC_ROOT)
    # What collectstatic would copy: the same ignore patterns (dot files, backups).
    ignore = list(apps.get_app_config("staticfiles").ignore_patterns)  # type: ignore[attr-defined]
    wanted = {path for finder in finders.get_finders() for path, _ in finder.list(ignore)}
    missing = [path for path in wanted if not (root / path).is_file()]
    if missing:
        return [
            Finding(
                WARNING,
                "static-files",
                f"{len(missing)} of {len(wanted)} static files are not in {root}, where the "
                "reverse proxy serves /static/ from",
                "run `statusdesk prepare` (or `statusdesk collectstatic --noinput`)",
            )
        ]
    return [Finding(OK, "static-files", f"{len(wanted)} files collected in {root}")]


def _needs_database(ctx: Context, check: str) -> Finding | None:
    if ctx.database_ok is False:
        return Finding(WARNING, check, "not checked: the database does not answer (above)")
    if ctx.migrations_ok is False:
        return Finding(WARNING, check, "not checked: migrations are pending (above)")
    return None


def worker(ctx: Context) -> list[Finding]:
    skipped = _needs_database(ctx, "worker")
    if skipped:
        return [skipped]
    from django.utils import timezone

    from statusdesk.core import heartbeat

    now = timezone.now()
    fix = (
        "start a worker: `statusdesk worker` (systemd: `systemctl start statusdesk-worker@1`), "
        "then read its log (`journalctl -u 'statusdesk-worker@*'`)"
    )
    newest = heartbeat.newest()
    if newest is None:
        return [Finding(ERROR, "worker", "no worker has ever reported to this database", fix)]
    age = (now - newest.beat_at).total_seconds()
    limit = ctx.limits.worker_max_age.total_seconds()
    if age > limit:
        return [
            Finding(
                ERROR,
                "worker",
                f"no worker has run a job for {age:.0f} s (more than {limit:.0f} s; the last "
                f"was {newest.worker}): notifications, the status page's rebuild and the "
                "reminders wait",
                fix,
            )
        ]
    alive = heartbeat.recent(ctx.limits.worker_max_age, now)
    return [
        Finding(
            OK,
            "worker",
            f"newest heartbeat {age:.0f} s ago ({newest.worker}); {len(alive)} worker "
            f"process(es) seen in the last {limit:.0f} s",
        )
    ]


def reaction_backlog(ctx: Context) -> list[Finding]:
    skipped = _needs_database(ctx, "reactions")
    if skipped:
        return [skipped]
    from statusdesk.core.reactions import backlog

    figures = backlog()
    found = []
    if figures["failed"]:
        found.append(
            Finding(
                ERROR,
                "reactions",
                f"{figures['failed']} reaction(s) failed on every attempt and wait for a person",
                "`statusdesk reactions` shows each with its error; once the cause is fixed, "
                "`statusdesk reactions retry`",
            )
        )
    oldest = float(figures["oldest_pending_seconds"])
    limit = ctx.limits.backlog_max_age.total_seconds()
    if oldest > limit:
        found.append(
            Finding(
                ERROR,
                "reactions",
                f"{figures['pending']} reaction(s) pending, the oldest for {oldest:.0f} s (more "
                f"than {limit:.0f} s): the workers do not keep up, or none runs",
                "check the workers (`journalctl -u 'statusdesk-worker@*'`) and start more "
                "(`systemctl start statusdesk-worker@2`)",
            )
        )
    elif figures["pending"] > ctx.limits.backlog_max_pending:
        found.append(
            Finding(
                WARNING,
                "reactions",
                f"{figures['pending']} reaction(s) pending (more than "
                f"{ctx.limits.backlog_max_pending}), the oldest for {oldest:.0f} s",
                "start more workers (`systemctl start statusdesk-worker@2`)",
            )
        )
    return found or [
        Finding(
            OK,
            "reactions",
            f"{figures['pending']} pending, the oldest for {oldest:.0f} s; none failed",
        )
    ]


CHECKS: dict[str, Callable[[Context], list[Finding]]] = {
    "secret-key": secret_key,
    "debug": debug,
    "allowed-hosts": allowed_hosts,
    "public-url": public_url,
    "tls": tls,
    "database": database,
    "profile": profile,
    "redis": redis_server,
    "smtp": smtp,
    "static-files": static_files,
    "worker": worker,
    "reactions": reaction_backlog,
}


def run(ctx: Context, skip: Iterable[str] = ()) -> list[Finding]:
    skipped = set(skip)
    found: list[Finding] = []
    for name, check in CHECKS.items():
        if name in skipped:
            continue
        try:
            found.extend(check(ctx))
        except Exception as exc:  # a check that breaks is itself a finding, not a crash
            found.append(
                Finding(ERROR, name, f"the check itself failed: {type(exc).__name__}: {exc}")
            )
    hidden = _secrets()
    return [
        Finding(f.level, f.check, _hide(f.message, hidden), _hide(f.fix, hidden)) for f in found
    ]


def _hide(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text
