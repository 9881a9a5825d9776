"""`statusdesk reactions`: how far behind the reactions after commit are, and what to do."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from statusdesk.core import reactions
from statusdesk.core.models import ReactionRun


class Command(BaseCommand):
    help = (
        "Show the reactions' backlog (`reactions`), run what is owed now (`reactions sweep`), "
        "or try the failed ones again (`reactions retry`)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", nargs="?", choices=["status", "sweep", "retry"])

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"] or "status"
        if action == "sweep":
            self.stdout.write(f"ran {reactions.sweep(grace=timedelta(0))} reaction(s)")
        elif action == "retry":
            self.stdout.write(f"{reactions.retry_failed()} failed reaction(s) will be tried again")
        figures = reactions.backlog()
        self.stdout.write(
            f"registered: {', '.join(sorted(reactions.registered_reactions())) or 'none'}\n"
            f"pending: {figures['pending']} (oldest {figures['oldest_pending_seconds']} s)\n"
            f"failed: {figures['failed']}"
        )
        failed = ReactionRun.objects.filter(handled_at__isnull=True, failed_at__isnull=False)
        for run in failed.order_by("pk")[:20]:
            last_line = (run.last_error.strip().splitlines() or [""])[-1]
            self.stdout.write(f"  {run.reaction} for event {run.event_id}: {last_line}")
