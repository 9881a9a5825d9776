"""Start-up shared by several processes (statusdesk.core.startup): `statusdesk prepare`, `migrate`
and `seed-demo` started together on a fresh site migrate once and seed once, and every one of them
ends well. Real processes on the run's database: a SQLite file (flock on the var directory) or a
PostgreSQL database of its own (an advisory lock)."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from statusdesk.incidents.management.commands.seed_demo import DEMO_HISTORY, DEMO_USERS
from tests.notifications.receivers import free_port
from tests.processes import Site, wait_for
from tests.test_deploy_files import procfile

pytestmark = [pytest.mark.django_db, pytest.mark.processes]


@pytest.fixture
def fresh_site(tmp_path: Path, django_db_blocker: object) -> Iterator[Site]:
    """A site whose database has nothing in it yet (not even migrated)."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        site = Site(tmp_path)
    try:
        yield site
    finally:
        with django_db_blocker.unblock():  # type: ignore[attr-defined]
            site.close()


def test_processes_started_together_migrate_once_and_seed_once(fresh_site: Site) -> None:
    site = fresh_site
    commands = [
        ["prepare", "--seed-demo"],
        ["prepare", "--seed-demo"],
        ["prepare", "--seed-demo", "--no-static"],
        ["migrate", "--noinput"],
    ]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "statusdesk.cli", *command],
            cwd=site.root,
            env=site.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        outputs.append((process.returncode, stdout, stderr))
    for command, (code, stdout, stderr) in zip(commands, outputs, strict=True):
        assert code == 0, f"statusdesk {' '.join(command)} exited {code}:\n{stdout}\n{stderr}"
    # One process applied the migrations; each of the others found none to apply.
    applying = [stdout for _, stdout, _ in outputs if "Applying core.0001_event_log" in stdout]
    assert len(applying) == 1, [stdout[:300] for _, stdout, _ in outputs]
    assert sum("No migrations to apply" in stdout for _, stdout, _ in outputs) == 3
    recorded, distinct = site.sql(
        "SELECT COUNT(*), COUNT(DISTINCT app || '.' || name) FROM django_migrations"
    )[0]
    assert recorded == distinct
    # Seeded once: the demo's history (back-filled only on a fresh database) is there once.
    assert site.value("SELECT COUNT(*) FROM incidents_incident") == len(DEMO_HISTORY)
    assert site.value("SELECT COUNT(*) FROM incidents_component") == 8
    emails = {email for email, _, _ in DEMO_USERS}
    placeholders = ", ".join("?" for _ in emails)
    assert site.value(
        f"SELECT COUNT(*) FROM accounts_user WHERE email IN ({placeholders})", *emails
    ) == len(emails)
    seeded = [stdout for _, stdout, _ in outputs if "seeded 8 new components" in stdout]
    assert len(seeded) == 1


HOLD = """
import pathlib, time
from statusdesk.core.startup import startup_lock
with startup_lock():
    pathlib.Path({held!r}).write_text("held")
    while not pathlib.Path({go!r}).exists():
        time.sleep(0.05)
    pathlib.Path({released!r}).write_text("released")
"""


def test_a_process_waits_while_another_holds_the_lock(fresh_site: Site, tmp_path: Path) -> None:
    site = fresh_site
    held, go, released = tmp_path / "held", tmp_path / "go", tmp_path / "released"
    holder = site.start(
        "shell",
        "--no-imports",
        "-c",
        HOLD.format(held=str(held), go=str(go), released=str(released)),
        name="holder",
    )
    wait_for(held.exists, timeout=60, what="the holder to take the lock")
    # Someone else holds the lock: a prepare that may wait half a second gives up, saying why.
    impatient = site.run("prepare", "--lock-wait", "0.5")
    assert impatient.returncode == 1
    assert "gave up after" in impatient.stderr and "start-up lock" in impatient.stderr
    # A migrate that may wait does, and ends only once the holder has let go.
    waiter = site.start("migrate", "--noinput", name="waiter")
    wait_for(lambda: "waiting" in site.log("waiter"), timeout=60, what="the waiter to say it waits")
    assert waiter.poll() is None
    go.write_text("go")
    assert waiter.wait(timeout=120) == 0, site.log("waiter")
    assert holder.wait(timeout=30) == 0, site.log("holder")
    assert released.exists()
    assert "Applying core.0001_event_log" in site.log("waiter")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def test_the_procfile_starts_a_web_process_and_a_worker_on_a_fresh_site(fresh_site: Site) -> None:
    """The Procfile's own lines, as a runner starts them (sh -c, PORT set, statusdesk on the PATH),
    both at once on a database with nothing in it: both prepare, one waits for the other, then the
    web process answers and the worker beats."""
    site = fresh_site
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = site.env(PORT=str(port), HOST="127.0.0.1", PATH=f"{bin_dir}:/usr/bin:/bin")
    started = {}
    for name, line in procfile().items():
        log = (site.logs / f"procfile-{name}.log").open("ab")
        process = subprocess.Popen(
            ["sh", "-c", line],
            cwd=site.root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        site.processes.append(process)
        started[name] = process
    wait_for(
        lambda: _answers(f"http://127.0.0.1:{port}/healthz"),
        timeout=180,
        what=f"the web process of the Procfile:\n{site.log('procfile-web')}",
    )
    wait_for(
        lambda: site.value("SELECT COUNT(*) FROM core_workerheartbeat"),
        timeout=120,
        what=f"the worker of the Procfile:\n{site.log('procfile-worker')}",
    )
    # `exec`: the process the runner started (and signals) is statusdesk itself, not a shell.
    for name, process in started.items():
        command = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert b"statusdesk" in command[1] and command[2] == name.replace("web", "serve").encode()
    for process in started.values():
        site.stop(process)
        assert process.poll() is not None
