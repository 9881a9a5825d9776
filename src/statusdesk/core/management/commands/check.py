"""`statusdesk check`: is this site ready for production? Django's deployment checks (`check
--deploy`), then statusdesk's own (statusdesk.core.readiness): the secret key, the allowed hosts,
TLS, the database and its migrations, Redis, the SMTP server, a worker alive, the reactions'
backlog. Each finding is printed as OK, WARNING or ERROR with what is wrong and how to fix it;
the exit status is 1 when any finding is at or above --fail-level (ERROR by default).

It takes the place of Django's `check` under `statusdesk`; `statusdesk check --no-deploy` runs
Django's checks alone, without the deployment ones, as Django's `check` would.
"""

from __future__ import annotations

import argparse
import os
from datetime import timedelta
from typing import Any

from django.core import checks
from django.core.management.base import BaseCommand, CommandError

from statusdesk.core import readiness

WIDTH = len("WARNING")


class Command(BaseCommand):
    help = (
        "Check that the site is ready for production: Django's deployment checks, then the "
        "secret key, allowed hosts, TLS, database, migrations, Redis, SMTP, worker and backlog; "
        "exit status 1 on any error."
    )
    # Django would run the system checks before handle(); this command reports them itself.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--deploy",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="the production checks (default); --no-deploy runs Django's plain checks only",
        )
        parser.add_argument(
            "--fail-level",
            choices=["ERROR", "WARNING"],
            default="ERROR",
            help="exit with 1 when a finding is at or above this level (default ERROR)",
        )
        parser.add_argument(
            "--skip",
            action="append",
            default=[],
            choices=["django", *readiness.CHECKS],
            metavar="CHECK",
            help=f"leave a check out (repeatable): django, {', '.join(readiness.CHECKS)}",
        )
        parser.add_argument(
            "--worker-max-age",
            type=float,
            default=readiness.Limits.worker_max_age.total_seconds(),
            metavar="SECONDS",
            help="the newest worker heartbeat may be this old (default 180; workers beat "
            "every minute)",
        )
        parser.add_argument(
            "--backlog-max-age",
            type=float,
            default=readiness.Limits.backlog_max_age.total_seconds(),
            metavar="SECONDS",
            help="the oldest pending reaction may wait this long (default 300)",
        )
        parser.add_argument(
            "--backlog-max-pending",
            type=int,
            default=readiness.Limits.backlog_max_pending,
            metavar="N",
            help="more pending reactions than this is a warning (default 1000)",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=readiness.Limits.timeout,
            metavar="SECONDS",
            help="how long to wait for PostgreSQL, Redis and the SMTP server (default 5)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        messages = checks.run_checks(include_deployment_checks=options["deploy"])
        findings = [] if "django" in options["skip"] else readiness.django_findings(messages)
        if options["deploy"]:
            context = readiness.Context(
                limits=readiness.Limits(
                    worker_max_age=timedelta(seconds=options["worker_max_age"]),
                    backlog_max_age=timedelta(seconds=options["backlog_max_age"]),
                    backlog_max_pending=options["backlog_max_pending"],
                    timeout=options["timeout"],
                ),
                environ=dict(os.environ),
            )
            findings += readiness.run(context, skip=options["skip"])
        self._print(findings)
        failing_levels = (
            {readiness.ERROR}
            if options["fail_level"] == "ERROR"
            else {readiness.ERROR, readiness.WARNING}
        )
        failing = [f for f in findings if f.level in failing_levels]
        if failing:
            names = ", ".join(dict.fromkeys(f.check for f in failing))
            raise CommandError(
                f"statusdesk check: {len(failing)} finding(s) at {options['fail_level']} or "
                f"above: {names}",
                returncode=1,
            )

    def _print(self, findings: list[readiness.Finding]) -> None:
        style = {
            readiness.OK: self.style.SUCCESS,
            readiness.WARNING: self.style.WARNING,
            readiness.ERROR: self.style.ERROR,
        }
        indent = " " * (WIDTH + 2)
        for finding in findings:
            level = style[finding.level](finding.level.ljust(WIDTH))
            self.stdout.write(f"{level}  {finding.check}: {finding.message}")
            if finding.fix and finding.level != readiness.OK:
                self.stdout.write(f"{indent}fix: {finding.fix}")
        counts = {level: sum(f.level == level for f in findings) for level in readiness.LEVELS}
        self.stdout.write(
            f"\n{len(findings)} findings: {counts[readiness.OK]} OK, "
            f"{counts[readiness.WARNING]} warning(s), {counts[readiness.ERROR]} error(s)"
        )
