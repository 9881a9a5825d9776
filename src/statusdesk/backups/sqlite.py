"""SQLite backups, through SQLite's online backup API (sqlite3.Connection.backup).

Backup: the database is opened read-only and copied in ONE step (every page under one read
transaction), so the copy is a consistent snapshot, taken while statusdesk's processes keep writing
(WAL mode: a reader never blocks a writer; a copy made in several steps would start again at each
write and might never finish under load). The copy is made a self-contained file (rollback journal,
no -wal beside it), opened again from disk and checked with `PRAGMA integrity_check`, and only then
given its name.

Restore: the backup is checked first (integrity, statusdesk's tables), the target is refused if it
holds any table (unless --force), then the backup API copies it into the target as ONE write
transaction under SQLite's own locking: the target changes all at once when it commits, or not at
all (an error rolls the transaction back). Copying through SQLite instead of renaming a file over
the database also keeps its -wal and -shm files right: a database file replaced under them, with a
process still holding it open, would be corrupted by the old write-ahead log.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from django.conf import settings

from statusdesk.backups.services import (
    EVENT_TABLE,
    REQUIRED_TABLES,
    BackupError,
    Contents,
    count_rows,
    iso_time,
    not_empty_message,
    publish_file,
    staging_path,
)
from statusdesk.core.files import private_sqlite_file

BUSY_SECONDS = 20


def database_path() -> Path:
    return Path(settings.DATABASES["default"]["NAME"])


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=BUSY_SECONDS)


def contents(db: sqlite3.Connection) -> Contents:
    tables = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]

    def count(table: str) -> int:
        quoted = table.replace('"', '""')
        return int(db.execute(f'SELECT COUNT(*) FROM "{quoted}"').fetchone()[0])

    found = Contents(count_rows(tables, count))
    if EVENT_TABLE in found.rows:
        found.latest_event_at = iso_time(
            db.execute(f"SELECT MAX(at) FROM {EVENT_TABLE}").fetchone()[0]
        )
    return found


def integrity_problems(db: sqlite3.Connection) -> list[str]:
    rows = [str(row[0]) for row in db.execute("PRAGMA integrity_check(20)")]
    return [] if rows == ["ok"] else rows


def backup(target: Path) -> Contents:
    source_path = database_path()
    if not source_path.exists():
        raise BackupError(f"there is no database at {source_path}: nothing to back up")
    staged = staging_path(target)
    try:
        source = _read_only(source_path)
        try:
            copy = sqlite3.connect(staged)
            try:
                source.backup(copy)  # pages=-1: every page in one step, one consistent snapshot
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
        finally:
            source.close()
        written = _read_only(staged)
        try:
            problems = integrity_problems(written)
            if problems:
                raise BackupError(
                    f"the copy of {source_path} failed its integrity check ({'; '.join(problems)})"
                    ": no backup was written. Check the database itself: sqlite3 "
                    f"{source_path} 'PRAGMA integrity_check'"
                )
            found = contents(written)
        finally:
            written.close()
        publish_file(staged, target)
    except sqlite3.Error as exc:
        raise BackupError(
            f"the backup of {source_path} failed ({exc}): no backup was written"
        ) from None
    finally:
        staged.unlink(missing_ok=True)
    return found


def restore(source: Path, *, force: bool) -> None:
    target = database_path()
    if target.exists() and source.samefile(target):
        raise BackupError(f"{source} is the database itself, not a backup of it")
    try:
        saved = _read_only(source)
    except sqlite3.Error as exc:
        raise BackupError(f"{source} cannot be opened ({exc}). Nothing was changed.") from None
    try:
        try:
            problems = integrity_problems(saved)
            tables = {name for (name,) in saved.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            problems = [str(exc)]
            tables = set()
        if problems:
            raise BackupError(
                f"{source} is damaged ({'; '.join(problems)}): it cannot be restored. Nothing "
                "was changed. Restore an earlier backup."
            )
        missing = [table for table in REQUIRED_TABLES if table not in tables]
        if missing:
            raise BackupError(
                f"{source} is a SQLite database but not a statusdesk one (no "
                f"{', '.join(missing)}). Nothing was changed."
            )
        private_sqlite_file(target)
        live = sqlite3.connect(target, timeout=BUSY_SECONDS)
        try:
            present = contents(live)
            if present.tables and not force:
                raise BackupError(
                    not_empty_message(
                        f"The database {target}",
                        present,
                        fresh="set STATUSDESK_VAR_DIR to an empty directory",
                    )
                )
            # One write transaction: committed whole at the end, rolled back on any error.
            saved.backup(live)
        except sqlite3.Error as exc:
            raise BackupError(
                f"restoring {source} into {target} failed ({exc}). Nothing was changed."
            ) from None
        finally:
            live.close()
    finally:
        saved.close()
