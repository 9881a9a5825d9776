"""`statusdesk migrate`: Django's migrate under the site's start-up lock (statusdesk.core.startup),
so that processes started together migrate once, one after the other, never half each."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands import migrate

from statusdesk.core.startup import StartupLockTimeout, startup_lock


class Command(migrate.Command):
    help = f"{migrate.Command.help} Waits for any other process preparing the site (a lock)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with startup_lock(options["database"], announce=self.stderr.write):
                super().handle(*args, **options)
        except StartupLockTimeout as exc:
            raise CommandError(str(exc)) from exc
