"""Backups that restore: `statusdesk backup [FILE]` and `statusdesk restore FILE [--force]`.

A backup is the database, nothing else (docs/deploy.md, "Backups"): the event log, the reactions it
still owes, the deliveries and every other row. The queue (Huey's SQLite file or Redis) only holds
transient work that points at those rows, and the sweeps redo whatever the database says is owed.

- SQLite: SQLite's online backup API copies the database in one step, a consistent snapshot taken
  while statusdesk goes on writing (WAL mode), into a single self-contained SQLite file that is
  checked (`PRAGMA integrity_check`) before the backup is reported done (sqlite.py).
- PostgreSQL: `pg_dump --format=custom` in a snapshot this module also counts the rows in, then
  every entry of the dump is read back with `pg_restore` before the backup is reported done
  (postgres.py).

A restore reads the file's first bytes to know its format, refuses a backup of the other database
kind, checks the whole file before touching anything, refuses a database that holds any table
unless `--force`, and replaces the database in one transaction: a failure leaves it as it was.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, connections

from statusdesk.core.files import PRIVATE_FILE, private_directory

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
KIND_NAMES = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
GZIP_MAGIC = b"\x1f\x8b"
SUFFIXES = {SQLITE: ".sqlite3", POSTGRESQL: ".pgdump"}

# What a restore reports, in the words of the process: (what, app label.model).
MAIN_TABLES = [
    ("reports", "incidents.Report"),
    ("incidents", "incidents.Incident"),
    ("public updates", "incidents.IncidentUpdate"),
    ("components", "incidents.Component"),
    ("postmortems", "postmortems.Postmortem"),
    ("desk messages", "desk.Message"),
    ("subscribers", "notifications.Subscriber"),
    ("deliveries", "notifications.Delivery"),
    ("users", "accounts.User"),
    ("events", "core.Event"),
]
EVENT_TABLE = "core_event"
# A statusdesk database has these; a file without them is not a statusdesk backup.
REQUIRED_TABLES = ("django_migrations", EVENT_TABLE)


class BackupError(Exception):
    """What went wrong, what was (not) touched and what to do: shown to the operator as is."""


@dataclass
class Contents:
    """What a database (or a backup of it) holds: the rows of each table, and the event log's
    size and latest time."""

    rows: dict[str, int] = field(default_factory=dict)
    latest_event_at: str | None = None

    @property
    def tables(self) -> int:
        return len(self.rows)

    @property
    def events(self) -> int:
        return self.rows.get(EVENT_TABLE, 0)


@dataclass
class Outcome:
    """A finished backup or restore, for the command to print."""

    kind: str
    path: Path
    contents: Contents
    seconds: float
    notes: list[str] = field(default_factory=list)


def database_kind() -> str:
    vendor = connection.vendor
    if vendor not in KIND_NAMES:
        raise BackupError(f"statusdesk backs up SQLite and PostgreSQL, not {vendor}")
    return vendor


def file_kind(path: Path) -> str:
    """The format of a backup file, from its first bytes (never from its name)."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    except OSError as exc:
        raise BackupError(f"{path}: cannot be read ({exc.strerror})") from None
    if head.startswith(SQLITE_MAGIC):
        return SQLITE
    if head.startswith(PG_CUSTOM_MAGIC):
        return POSTGRESQL
    if head.startswith(GZIP_MAGIC):
        raise BackupError(
            f"{path} is gzip-compressed: decompress it first (gunzip -k {path}) and restore "
            "the file it gives"
        )
    raise BackupError(
        f"{path} is not a statusdesk backup: it is neither a SQLite database nor a PostgreSQL "
        "custom-format dump (pg_dump --format=custom)"
    )


def default_path(kind: str, now: datetime | None = None) -> Path:
    """<var dir>/backups/statusdesk-<UTC time><suffix>, in a directory only its owner reads; a
    second backup in the same second is named statusdesk-<UTC time>-2<suffix>, and so on."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    directory = private_directory(Path(settings.VAR_DIR) / "backups")
    stem = f"statusdesk-{moment:%Y%m%dT%H%M%SZ}"
    candidate = directory / f"{stem}{SUFFIXES[kind]}"
    taken = 1
    while candidate.exists():
        taken += 1
        candidate = directory / f"{stem}-{taken}{SUFFIXES[kind]}"
    return candidate


def staging_path(target: Path) -> Path:
    """A file beside `target` (same file system, so it can become `target` atomically), created
    empty with mode 0600."""
    for attempt in range(100):
        candidate = target.with_name(f".{target.name}.partial-{os.getpid()}-{attempt}")
        try:
            os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))
        except FileExistsError:
            continue
        return candidate
    raise BackupError(f"cannot create a temporary file beside {target}")


def publish_file(staged: Path, target: Path) -> None:
    """Give the checked `staged` file its name `target`, atomically and without replacing a file
    that appeared meanwhile; flushed to disk first."""
    with staged.open("rb") as file:
        os.fsync(file.fileno())
    try:
        os.link(staged, target)
    except FileExistsError:
        raise BackupError(f"{target} already exists: choose another name") from None
    finally:
        staged.unlink(missing_ok=True)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def check_target(path: Path) -> None:
    """A backup never replaces an existing file, and its directory must exist."""
    if path.exists():
        raise BackupError(
            f"{path} already exists: choose another name (a backup never replaces a file)"
        )
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a directory")


def count_rows(tables: Iterable[str], count: Callable[[str], int]) -> dict[str, int]:
    return {table: count(table) for table in sorted(tables)}


def describe_rows(contents: Contents, *, limit: int = 8) -> str:
    """`core_event 1,204, incidents_report 50, …`: the fullest tables first."""
    full = sorted(((rows, table) for table, rows in contents.rows.items() if rows), reverse=True)
    text = ", ".join(f"{table} {rows:,}" for rows, table in full[:limit])
    if len(full) > limit:
        text += f" and {len(full) - limit} more"
    return text


def not_empty_message(where: str, contents: Contents, *, fresh: str) -> str:
    with_rows = sum(1 for rows in contents.rows.values() if rows)
    if with_rows:
        held = f"{contents.tables} tables, {with_rows} with rows ({describe_rows(contents)})"
    else:
        held = f"{contents.tables} tables, all empty (a migrated database without data)"
    return (
        f"{where} is not empty: {held}. Nothing was changed. A restore replaces everything in "
        f"it: to do that, take a backup of it first (`statusdesk backup`), then run "
        f"`statusdesk restore FILE --force`; or restore into a fresh database ({fresh})."
    )


def summary(contents: Contents) -> list[str]:
    """The lines a restore prints: the main tables' rows, the event log's size and latest time."""
    lines = []
    for what, label in MAIN_TABLES:
        try:
            table = apps.get_model(label)._meta.db_table
        except LookupError:
            continue
        rows = contents.rows.get(table)
        lines.append(f"  {what}: {'not in this backup' if rows is None else f'{rows:,}'}")
    latest = contents.latest_event_at or "none"
    lines.append(f"  latest event: {latest}")
    return lines


def migration_notes() -> list[str]:
    """Whether the restored database is behind (or ahead of) this code's migrations."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    plan = executor.migration_plan(graph.leaf_nodes())
    unknown = sorted(set(executor.loader.applied_migrations) - set(graph.nodes))
    notes = []
    if plan:
        notes.append(
            f"The backup is older than this code ({len(plan)} migration(s) not applied): run "
            "`statusdesk migrate` before starting statusdesk."
        )
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        notes.append(
            f"The backup was made by a newer statusdesk (migrations this code does not know: "
            f"{names}): run that version, or a newer one, on it."
        )
    return notes


def refresh_public_side() -> str:
    """The public status page's snapshot lives in the cache: made again from the restored data."""
    from statusdesk.statuspage import kept_days
    from statusdesk.statuspage.snapshot import forget_local, rebuild_snapshot

    try:
        kept_days.forget()
        forget_local()
        rebuild_snapshot()
    except Exception as exc:  # the restore itself is done; say what is left to do
        return (
            f"The public status page could not be rebuilt now ({type(exc).__name__}: {exc}); "
            "the worker rebuilds it within five minutes of starting."
        )
    return "The public status page was rebuilt from the restored data."


def take_backup(path: Path | None = None) -> Outcome:
    from statusdesk.backups import postgres, sqlite

    kind = database_kind()
    target = Path(path).expanduser().resolve() if path else default_path(kind)
    check_target(target)
    started = time.monotonic()
    contents = sqlite.backup(target) if kind == SQLITE else postgres.backup(target)
    target.chmod(PRIVATE_FILE)
    return Outcome(kind, target, contents, time.monotonic() - started)


def restore_backup(path: Path, *, force: bool = False) -> Outcome:
    from statusdesk.backups import postgres, sqlite

    kind = database_kind()
    source = Path(path).expanduser().resolve()
    found = file_kind(source)
    if found != kind:
        raise BackupError(
            f"{source} is a {KIND_NAMES[found]} backup, and this statusdesk uses "
            f"{KIND_NAMES[kind]} ({describe_database()}). Nothing was changed. A backup restores "
            f"into the kind of database it was taken from: set DATABASE_URL to a "
            f"{KIND_NAMES[found]} database to restore it there."
        )
    started = time.monotonic()
    connections.close_all()
    if kind == SQLITE:
        sqlite.restore(source, force=force)
    else:
        postgres.restore(source, force=force)
    connections.close_all()
    contents = database_contents()
    notes = migration_notes()
    if not notes:
        notes.append(refresh_public_side())
    return Outcome(kind, source, contents, time.monotonic() - started, notes)


def describe_database() -> str:
    from statusdesk.core.paths import describe_database_url

    if connection.vendor == SQLITE:
        return f"SQLite {settings.DATABASES['default']['NAME']}"
    params = connection.settings_dict
    user, host, port = params.get("USER") or "", params.get("HOST") or "", params.get("PORT")
    return describe_database_url(f"postgres://{user}@{host}:{port or ''}/{params['NAME']}")


def database_contents() -> Contents:
    """What the database statusdesk uses holds now (through Django's connection)."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)

        def count(table: str) -> int:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            return int(cursor.fetchone()[0])

        contents = Contents(count_rows(tables, count))
        if EVENT_TABLE in contents.rows:
            cursor.execute(f"SELECT MAX(at) FROM {EVENT_TABLE}")
            latest = cursor.fetchone()[0]
            contents.latest_event_at = iso_time(latest)
    return contents


def iso_time(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite keeps UTC without an offset
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(value)
