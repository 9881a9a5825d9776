"""`statusdesk backup [FILE]`: a checked copy of the database, taken while statusdesk runs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from statusdesk.backups.services import KIND_NAMES, BackupError, take_backup


class Command(BaseCommand):
    help = (
        "Back up the database to FILE (default: <var dir>/backups/statusdesk-<UTC time>): SQLite "
        "through its online backup API, PostgreSQL with pg_dump --format=custom. Safe while "
        "statusdesk runs; the copy is checked before the backup is reported done."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="where to write the backup (a new file)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = take_backup(Path(options["file"]) if options["file"] else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        size = done.path.stat().st_size
        self.stdout.write(
            f"backed up the {KIND_NAMES[done.kind]} database to {done.path}\n"
            f"  {size:,} bytes in {done.seconds:.1f} s, checked\n"
            f"  {done.contents.tables} tables, {sum(done.contents.rows.values()):,} rows, "
            f"{done.contents.events:,} events (latest {done.contents.latest_event_at or 'none'})"
        )
        if not os.environ.get("STATUSDESK_SECRET_KEY"):
            # Subscribers' confirm, preferences and unsubscribe links are signed with it.
            self.stdout.write(
                f"  the secret key is not in the backup: keep {settings.VAR_DIR / 'secret_key'} "
                "with it (sent links are signed with it)"
            )
