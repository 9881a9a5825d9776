"""Without STATUSDESK_SMTP_URL, each e-mail is written as one .eml file under var/mail/: the demo
works offline, and anyone can open what a subscriber would receive in a mail program."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class EmlFileBackend(BaseEmailBackend):
    def __init__(self, *args: Any, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        sent = 0
        for message in email_messages:
            raw = message.message()
            ident = _UNSAFE.sub("_", str(raw["Message-ID"] or os.urandom(8).hex()).strip("<>"))
            path = self.directory / f"{ident}.eml"
            # Written under another name, then renamed: a reader never sees half a message.
            partial = path.with_suffix(".part")
            partial.write_bytes(raw.as_bytes(linesep="\r\n"))
            partial.replace(path)
            sent += 1
        return sent
