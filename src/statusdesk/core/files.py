"""Files that hold the incident data stay private to the user that runs statusdesk.

The var directory (SQLite databases, the generated secret key) is made readable by its owner only
(0700), and each SQLite database file is created, or tightened, to 0600 before SQLite opens it.
SQLite gives the -wal and -shm files it makes beside a database the database file's permissions,
so they are private too; any left over from before are tightened here.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_directory(path: Path) -> Path:
    """Create `path` (and its parents) if missing; the directory itself is left to its owner."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    if path.stat().st_uid == os.geteuid():
        path.chmod(PRIVATE_DIR)
    return path


def private_sqlite_file(name: str | Path) -> None:
    """Create the SQLite database file `name` empty with mode 0600 if it does not exist yet (SQLite
    takes an empty file as a new database), and tighten it and its companions if they do."""
    text = str(name)
    if not text or text == ":memory:" or text.startswith("file:") or "mode=memory" in text:
        return
    path = Path(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_COMPANIONS)):
        if candidate.exists() and candidate.stat().st_uid == os.geteuid():
            candidate.chmod(PRIVATE_FILE)
