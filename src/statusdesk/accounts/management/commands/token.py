"""`statusdesk token create EMAIL`: issue an API token, printed once (only its hash is kept)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from statusdesk.accounts.services import create_api_token
from statusdesk.core.errors import ProcessError


class Command(BaseCommand):
    help = "Manage API tokens: `token create EMAIL [--name NAME]`."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for the user with this e-mail")
        create.add_argument("email")
        create.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            token, secret = create_api_token(options["email"], name=options["name"])
        except ProcessError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"token {token.key_prefix}… for {token.user.email}; shown once, store it now:"
        )
        self.stdout.write(secret)
