"""The SQLite databases (and their -wal/-shm files), the queue's database and the var directory are
created readable by their owner only, and tightened if an older install left them open. Checked
in a process of its own, with the real settings, on a var directory in a temporary place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from statusdesk.core.files import private_sqlite_file

# Migrates, opens the queue, and, while both connections are open (so SQLite's -wal and -shm files
# exist), reports the mode of everything in the var directory.
_RUN = """
import json, os, stat, sys
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from huey.contrib.djhuey import HUEY
call_command("migrate", verbosity=0)
HUEY.pending_count()  # opens the queue's database
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal = cursor.fetchone()[0]
    cursor.execute("SELECT count(*) FROM django_migrations")
    var = sys.argv[1]
    modes = {n: stat.S_IMODE(os.stat(os.path.join(var, n)).st_mode) for n in os.listdir(var)}
    modes["."] = stat.S_IMODE(os.stat(var).st_mode)
print(json.dumps({"journal": journal, "modes": modes}))
"""


def _run(var: Path) -> dict[str, int]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "STATUSDESK_SECRET_KEY"}
    }
    env.update(
        STATUSDESK_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="statusdesk.settings",
        STATUSDESK_LOG_LEVEL="WARNING",
    )
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(var)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["journal"] == "wal"
    modes: dict[str, int] = result["modes"]
    return modes


def _assert_private(modes: dict[str, int]) -> None:
    assert modes["."] == 0o700, oct(modes["."])
    expected = {
        "statusdesk.sqlite3",
        "statusdesk.sqlite3-wal",
        "statusdesk.sqlite3-shm",
        "huey.sqlite3",
        "secret_key",
    }
    assert expected <= set(modes), sorted(modes)
    for name in expected | {n for n in modes if n.endswith(("-wal", "-shm"))}:
        assert modes[name] == 0o600, f"{name} is {oct(modes[name])}"


def test_a_new_var_directory_and_its_databases_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: files 0644 and directories 0755 unless made private
    try:
        _assert_private(_run(tmp_path / "var"))
    finally:
        os.umask(old)


def test_an_older_install_left_readable_is_tightened(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    for name in ("statusdesk.sqlite3", "statusdesk.sqlite3-wal", "huey.sqlite3"):
        (var / name).touch()
        (var / name).chmod(0o644)
    _assert_private(_run(var))


@pytest.mark.parametrize("name", [":memory:", "", "file:memdb1?mode=memory&cache=shared"])
def test_in_memory_databases_are_left_alone(name: str) -> None:
    before = set(Path.cwd().iterdir())
    private_sqlite_file(name)
    assert set(Path.cwd().iterdir()) == before
