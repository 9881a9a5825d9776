"""`statusdesk prepare`: what a site needs before its processes serve, done once however many
processes run it at the same time: migrations, the static files for the web server in front and,
if asked, the demo data, all under one lock (statusdesk.core.startup)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from statusdesk.core.startup import StartupLockTimeout, lock_description, startup_lock


class Command(BaseCommand):
    help = (
        "Migrate, collect the static files and (with --seed-demo) seed the demo data, under the "
        "start-up lock: processes started together do it once; the others wait, then find "
        "nothing to do."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--seed-demo", action="store_true", help="also seed the demo data (seed-demo --quiet)"
        )
        parser.add_argument(
            "--no-static",
            action="store_true",
            help="leave the static files alone (no reverse proxy serves them)",
        )
        parser.add_argument(
            "--lock-wait",
            type=float,
            default=15 * 60,
            help="seconds to wait for another process holding the lock (default 900)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        quiet = verbosity < 1
        try:
            with startup_lock(
                DEFAULT_DB_ALIAS, wait=options["lock_wait"], announce=self.stderr.write
            ):
                if not quiet:
                    self.stdout.write(f"statusdesk prepare: holding the {lock_description()}")
                call_command(
                    "migrate",
                    interactive=False,
                    verbosity=verbosity,
                    stdout=self.stdout,
                    stderr=self.stderr,
                )
                if not options["no_static"]:
                    call_command(
                        "collectstatic",
                        interactive=False,
                        verbosity=verbosity,
                        stdout=self.stdout,
                        stderr=self.stderr,
                    )
                if options["seed_demo"]:
                    call_command("seed_demo", quiet=True, stdout=self.stdout, stderr=self.stderr)
        except StartupLockTimeout as exc:
            raise CommandError(str(exc)) from exc
        if not quiet:
            self.stdout.write(self.style.SUCCESS("statusdesk prepare: done"))
