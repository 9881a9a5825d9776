"""`statusdesk restore FILE [--force]`: the database becomes the backup's, all at once or not at
all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from statusdesk.backups.services import KIND_NAMES, BackupError, restore_backup, summary


class Command(BaseCommand):
    help = (
        "Restore a backup made by `statusdesk backup` into the database statusdesk uses. Refuses "
        "a database that holds any table unless --force, which replaces all of it. Stop "
        "statusdesk's web processes and workers first."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="the backup file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that is not empty (everything in it is lost)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            done = restore_backup(Path(options["file"]), force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        lines = [
            f"restored {done.path} into the {KIND_NAMES[done.kind]} database "
            f"in {done.seconds:.1f} s:",
            *summary(done.contents),
            *done.notes,
        ]
        self.stdout.write("\n".join(lines))
