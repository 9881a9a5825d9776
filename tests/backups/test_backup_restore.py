"""`statusdesk backup` and `statusdesk restore` through real processes, on the database of the run
(a SQLite file, or on the PostgreSQL pass a PostgreSQL database of the site's own).

A site takes writes continuously (a writer process filing reports, confirming incidents and posting
notices through the services, a worker running their reactions) while `statusdesk backup` runs.
What the backup holds is read without statusdesk: the SQLite file is copied as it is into a
scratch site, the PostgreSQL dump is loaded into a scratch database by pg_restore itself. A
restore into a fresh database must give exactly that (every table's rows, the whole event log),
and the event log it gives must be the start of the live site's log: the state of one moment.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.conftest import missing, require_program
from tests.processes import Site, a_site, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.processes]

# A process of its own that writes until its stop file appears: each round files a report,
# confirms every other one as an incident (report, incident, issue, three events), and posts a
# notice whose reaction the worker runs (an Echo row, its run marked handled).
WRITER = """
import pathlib
from statusdesk.accounts.models import User
from statusdesk.incidents import services
from tests.factories import confirmation_fields, report_fields
from tests.noticeboard.services import post_notice

manager = User.objects.get(email="manager@example.com")
stop = pathlib.Path({stop!r})
rounds = 0
while not stop.exists():
    rounds += 1
    report = services.report_problem(actor=manager, **report_fields(title=f"Load {{rounds}}"))
    if rounds % 2:
        services.confirm_incident(actor=manager, report=report, **confirmation_fields())
    post_notice(f"notice {{rounds}}")
print(f"wrote {{rounds}} rounds", flush=True)
"""


@dataclass
class Loaded:
    site: Site
    backup: Path
    backup_output: str
    events_before: int  # when `statusdesk backup` started
    events_after: int  # when it had finished


def run(site: Site, *args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """`statusdesk <args>` in the site, whatever its exit status."""
    return subprocess.run(
        [sys.executable, "-m", "statusdesk.cli", *args],
        cwd=site.root,
        env=site.env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def execute(site: Site, statement: str) -> None:
    """A statement that returns no rows, in the site's database."""
    if site.vendor == "postgresql":
        import psycopg

        with psycopg.connect(site.database_url, autocommit=True) as db:
            db.execute(statement)
    else:
        with sqlite3.connect(site.var / "statusdesk.sqlite3") as db:
            db.execute(statement)


def events(site: Site) -> int:
    return int(site.value("SELECT COUNT(*) FROM core_event"))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> Iterator[Loaded]:
    """A site under write load, backed up (default file name) in the middle of it."""
    if connection.vendor == "postgresql":
        require_program("pg_dump", "PostgreSQL's pg_dump")
    root = tmp_path_factory.mktemp("live")
    with django_db_blocker.unblock(), a_site(root) as site:
        site.cli("seed-demo", "--no-history", "--quiet")
        queue = site.queue("load")
        worker = site.start_worker("worker", **queue)
        stop = root / "stop-writing"
        writer = site.start(
            "shell", "--no-imports", "-c", WRITER.format(stop=str(stop)), name="writer", **queue
        )
        wait_for(lambda: events(site) >= 30, what="the writer to get going", timeout=60)
        before = events(site)
        output = site.cli("backup")
        after = events(site)
        # And it goes on writing after the backup.
        wait_for(lambda: events(site) >= after + 5, what="writes after the backup", timeout=60)
        stop.write_text("stop")
        assert writer.wait(timeout=60) == 0, site.log("writer")
        assert "wrote" in site.log("writer")
        site.stop(worker)
        found = re.search(r"backed up the \w+ database to (\S+)", output)
        assert found, output
        yield Loaded(site, Path(found.group(1)), output, before, after)


@contextmanager
def backup_as_site(root: Path, backup: Path) -> Iterator[Site]:
    """What `backup` holds, read without statusdesk: the SQLite file copied as it is, or the dump
    loaded by pg_restore itself, into a scratch site's database."""
    site = Site(root)
    try:
        if site.vendor == "postgresql":
            require_program("pg_restore", "PostgreSQL's pg_restore")
            subprocess.run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--exit-on-error",
                    "--single-transaction",
                    f"--dbname={site.database_url}",
                    str(backup),
                ],
                check=True,
                capture_output=True,
            )
        else:
            shutil.copyfile(backup, site.var / "statusdesk.sqlite3")
        yield site
    finally:
        site.close()


def test_a_backup_taken_under_write_load_restores_the_state_of_one_moment(
    loaded: Loaded, tmp_path: Path
) -> None:
    live = loaded.site
    # The default file: under the var dir's backups/, named by the UTC time, private.
    assert loaded.backup.parent == live.var / "backups"
    assert re.fullmatch(r"statusdesk-\d{8}T\d{6}Z\.(sqlite3|pgdump)", loaded.backup.name)
    assert stat.S_IMODE(loaded.backup.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(loaded.backup.stat().st_mode) == 0o600
    assert "checked" in loaded.backup_output
    if live.vendor == "sqlite":
        # One self-contained file: no write-ahead log needed beside it.
        with sqlite3.connect(f"{loaded.backup.as_uri()}?mode=ro", uri=True) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"

    with (
        backup_as_site(tmp_path / "saved", loaded.backup) as saved,
        a_site(tmp_path / "fresh", migrated=False) as fresh,
    ):
        assert fresh.tables() == []
        output = fresh.cli("restore", str(loaded.backup))
        held = saved.row_counts()
        assert fresh.row_counts() == held
        restored = fresh.event_log()
        assert restored == saved.event_log()

    # Taken while the writer wrote: after the command started, before it ended...
    assert loaded.events_before <= len(restored) <= loaded.events_after
    assert loaded.events_before < loaded.events_after
    # ...and one moment of the live log: exactly its first events, and it went on after.
    log = live.event_log()
    assert len(log) > len(restored)
    assert log[: len(restored)] == restored
    # The restore says what it restored, and that the schema is current.
    assert f"events: {len(restored):,}" in output
    assert f"reports: {held['incidents_report']:,}" in output
    assert "statusdesk migrate" not in output


def test_a_database_that_is_not_empty_is_refused_and_left_as_it_was(loaded: Loaded) -> None:
    live = loaded.site
    counts, log = live.row_counts(), live.event_log()
    done = run(live, "restore", str(loaded.backup))
    assert done.returncode != 0
    assert "is not empty" in done.stderr
    assert "core_event" in done.stderr  # what is there
    assert "--force" in done.stderr  # and how to go on
    assert "Nothing was changed" in done.stderr
    assert live.row_counts() == counts
    assert live.event_log() == log


@pytest.mark.parametrize("damage", ["truncated", "overwritten", "not-a-backup"])
def test_a_damaged_backup_fails_cleanly_and_leaves_the_database_as_it_was(
    loaded: Loaded, tmp_path: Path, damage: str
) -> None:
    live = loaded.site
    data = loaded.backup.read_bytes()
    broken = tmp_path / f"{damage}-{loaded.backup.name}"
    if damage == "truncated":
        broken.write_bytes(data[: len(data) // 2])
    elif damage == "overwritten":
        # The header is intact (the format is recognised); the middle is garbage.
        middle = len(data) // 3
        broken.write_bytes(data[:middle] + os.urandom(len(data) // 3) + data[2 * middle :])
    else:
        broken.write_text("statusdesk backup, honest\n")
    counts, log = live.row_counts(), live.event_log()
    done = run(live, "restore", str(broken), "--force")
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr
    if damage == "not-a-backup":
        assert "is not a statusdesk backup" in done.stderr
    else:
        assert "Nothing was changed" in done.stderr or "nothing was changed" in done.stderr
    assert live.row_counts() == counts
    assert live.event_log() == log


def test_force_replaces_a_database_with_the_backup(loaded: Loaded, tmp_path: Path) -> None:
    with a_site(tmp_path / "other") as other:
        other.cli("seed-demo", "--no-history", "--quiet")  # other data: the demo's users
        # A table the backup does not have (as a newer migration would add), pointing at one it has.
        execute(
            other,
            "CREATE TABLE later_table (id INTEGER PRIMARY KEY, "
            "event_id BIGINT REFERENCES core_event (id))",
        )
        execute(other, "INSERT INTO later_table (id, event_id) SELECT 1, MIN(id) FROM core_event")
        before = other.event_log()
        output = other.cli("restore", str(loaded.backup), "--force")
        with backup_as_site(tmp_path / "saved", loaded.backup) as saved:
            assert before != saved.event_log()
            assert other.row_counts() == saved.row_counts()
            assert other.event_log() == saved.event_log()
        assert "later_table" not in other.tables()
        assert "events:" in output


def test_a_backup_of_the_other_database_kind_is_refused(loaded: Loaded, tmp_path: Path) -> None:
    live = loaded.site
    if live.vendor == "postgresql":
        # A real SQLite database, with statusdesk's tables.
        other = tmp_path / "statusdesk.sqlite3"
        with sqlite3.connect(other) as db:
            db.execute("CREATE TABLE django_migrations (id INTEGER PRIMARY KEY)")
            db.execute("CREATE TABLE core_event (id INTEGER PRIMARY KEY)")
        expected = "is a SQLite backup, and this statusdesk uses PostgreSQL"
    else:
        # A real custom-format dump, from the PostgreSQL server of the tests.
        require_program("pg_dump", "PostgreSQL's pg_dump")
        other = tmp_path / "statusdesk.pgdump"
        done = subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                "--schema-only",
                f"--file={other}",
                "--dbname=postgres://postgres@127.0.0.1:5432/postgres",
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            missing(f"PostgreSQL at 127.0.0.1:5432 does not answer: {done.stderr}")
        expected = "is a PostgreSQL backup, and this statusdesk uses SQLite"
    counts = live.row_counts()
    done = run(live, "restore", str(other), "--force")
    assert done.returncode != 0
    assert expected in done.stderr
    assert "Nothing was changed" in done.stderr
    assert live.row_counts() == counts


def test_a_backup_never_replaces_a_file(loaded: Loaded) -> None:
    done = run(loaded.site, "backup", str(loaded.backup))
    assert done.returncode != 0
    assert "already exists" in done.stderr


def test_a_backup_older_than_the_code_says_to_migrate(tmp_path: Path) -> None:
    with (
        a_site(tmp_path / "old", migrated=False) as old,
        a_site(tmp_path / "new", migrated=False) as new,
    ):
        # The schema of an older statusdesk: the event log's app only, none of the later ones.
        old.cli("migrate", "core", "--noinput", "-v", "0")
        backup = tmp_path / "old.backup"
        old.cli("backup", str(backup))
        output = new.cli("restore", str(backup))
        assert "The backup is older than this code" in output
        assert "run `statusdesk migrate`" in output
        assert "incidents: not in this backup" in output
        assert "events: 0" in output
        # And the advice works: the restored database migrates to the current schema.
        new.cli("migrate", "--noinput", "-v", "0")
        assert "incidents_incident" in new.tables()


@pytest.mark.postgres
def test_a_postgresql_backup_restores_on_a_server_without_the_roles_it_granted_to(
    loaded: Loaded, tmp_path: Path
) -> None:
    """A dump holds the source's GRANTs; restored on another server, a role they name may not
    exist there. The restore leaves grants out instead of failing on them."""
    live = loaded.site
    role = f"{live.pg_name}_reader"
    execute(live, f'CREATE ROLE "{role}"')
    try:
        execute(live, f'GRANT SELECT ON core_event TO "{role}"')
        backup = tmp_path / "granted.pgdump"
        live.cli("backup", str(backup))
    finally:
        execute(live, f'REVOKE ALL ON core_event FROM "{role}"')
        execute(live, f'DROP ROLE "{role}"')
    with a_site(tmp_path / "elsewhere", migrated=False) as elsewhere:
        output = elsewhere.cli("restore", str(backup))
        assert elsewhere.row_counts() == live.row_counts()
        assert f"events: {events(live):,}" in output
