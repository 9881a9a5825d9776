"""`statusdesk docs`: write docs/rules.md from the rules in `statusdesk.core.rules`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from statusdesk.core.paths import source_checkout
from statusdesk.core.rules import render_markdown


class Command(BaseCommand):
    help = (
        "Render docs/rules.md from src/statusdesk/core/rules.py (in the source checkout, or "
        "--output). With --check, only tell whether the file is up to date."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--output", type=Path, help="the file to write (default: docs/rules.md)"
        )
        parser.add_argument(
            "--check", action="store_true", help="exit with an error if the file is out of date"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path | None = options["output"]
        if output is None:
            root = source_checkout()
            if root is None:
                raise CommandError(
                    "no source checkout here to hold docs/rules.md: pass --output FILE"
                )
            output = root / "docs" / "rules.md"
        text = render_markdown()
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if options["check"]:
            if current != text:
                raise CommandError(f"{output} is out of date: run `make docs`")
            self.stdout.write(f"{output} is up to date")
            return
        if current == text:
            self.stdout.write(f"{output} is up to date")
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"wrote {output}"))
