"""PostgreSQL backups, with PostgreSQL's own programs: pg_dump, pg_restore and psql.

Backup: statusdesk opens a read-only REPEATABLE READ transaction, exports its snapshot, counts the
rows in it, and runs `pg_dump --format=custom --snapshot=<it>`: the dump and the counts printed
are the same moment of the database, however much is written meanwhile. The dump is then read
back whole by `pg_restore` (its table of contents, then every entry) before it gets its name.

Restore: the file is read whole by `pg_restore` first (a truncated or damaged dump stops here).
Then `pg_restore --no-owner --no-privileges` turns it into SQL (the restoring user owns every
object, and no GRANT names a role the target server may not have) that `psql
--single-transaction` with ON_ERROR_STOP applies, after a prelude in the same transaction:
without --force, a check that the database still holds no table; with --force, the removal of
every table, view, sequence, routine and type of the `public` schema (the schema itself, its
owner and its grants stay). The transaction commits only after pg_restore has finished without
error: statusdesk closes psql's input only then, and stops psql (which rolls the transaction
back) otherwise. A failure at any point leaves the
database as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection
from psycopg import sql
from psycopg.conninfo import make_conninfo

from statusdesk.backups.services import (
    EVENT_TABLE,
    REQUIRED_TABLES,
    BackupError,
    Contents,
    count_rows,
    iso_time,
    not_empty_message,
    publish_file,
    staging_path,
)

VERSIONED_BINARIES = Path("/usr/lib/postgresql")
CHUNK = 1 << 16

USER_TABLES = """
    SELECT n.nspname, c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
"""

# Inside the restore's transaction, before the backup's own SQL.
STILL_EMPTY = """
DO $statusdesk$
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  ) THEN
    RAISE EXCEPTION 'statusdesk: a table appeared in the database since it was checked; '
                    'nothing was changed (see --force)';
  END IF;
END
$statusdesk$;
"""

# --force: everything of the public schema goes, in the restore's transaction. The statements are
# all written before the first one runs (a CASCADE may remove what a later one names: IF EXISTS).
# Objects that belong to an extension are the extension's (left alone).
REPLACE_PUBLIC = """
DO $statusdesk$
DECLARE
  statements text[];
  statement text;
BEGIN
  SELECT coalesce(array_agg(s ORDER BY step, s), '{}') INTO statements FROM (
    SELECT CASE c.relkind WHEN 'S' THEN 2 ELSE 1 END AS step,
           format('DROP %s IF EXISTS public.%I CASCADE',
                  CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                 WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE'
                                 ELSE 'TABLE' END, c.relname) AS s
    FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      -- an extension's objects are the extension's; a column's sequence goes with its table
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                      AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
    UNION ALL
    SELECT 3, format('DROP ROUTINE IF EXISTS public.%I(%s) CASCADE', p.proname,
                     pg_get_function_identity_arguments(p.oid))
    FROM pg_proc p
    WHERE p.pronamespace = 'public'::regnamespace AND p.prokind IN ('f', 'p', 'w')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                      AND d.objid = p.oid AND d.deptype = 'e')
    UNION ALL
    SELECT 4, format('DROP TYPE IF EXISTS public.%I CASCADE', t.typname)
    FROM pg_type t
    WHERE t.typnamespace = 'public'::regnamespace
      AND (t.typtype IN ('e', 'd', 'r', 'm')
           OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                      AND d.objid = t.oid AND d.deptype = 'e')
  ) AS drops (step, s);
  FOREACH statement IN ARRAY statements LOOP
    EXECUTE statement;
  END LOOP;
END
$statusdesk$;
"""


def program(name: str) -> str:
    """A PostgreSQL client program: on PATH, else the newest under /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found

    def major(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))

    candidates = sorted(VERSIONED_BINARIES.glob(f"*/bin/{name}"), key=major)
    if candidates:
        return str(candidates[-1])
    raise BackupError(
        f"{name} was not found (on PATH or under {VERSIONED_BINARIES}/*/bin): install "
        "PostgreSQL's client programs, of the server's version or newer (Debian: apt-get install "
        f"postgresql-client), or put {name} on PATH"
    )


def connection_params() -> dict[str, Any]:
    params = dict(connection.get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    return params


def client(params: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The conninfo for --dbname and the environment of a client program: the password goes in
    PGPASSWORD, never on a command line (which any user of the machine can read)."""
    params = dict(params)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = str(password)
    conninfo = make_conninfo(**{k: str(v) for k, v in params.items() if v not in (None, "")})
    return conninfo, env


def database_name() -> str:
    return f"The PostgreSQL database {connection.settings_dict['NAME']!r}"


def contents(cursor: psycopg.Cursor[Any]) -> Contents:
    names = [(schema, table) for schema, table in cursor.execute(USER_TABLES).fetchall()]

    def label(schema: str, table: str) -> str:
        return table if schema == "public" else f"{schema}.{table}"

    where = {label(schema, table): (schema, table) for schema, table in names}

    def count(name: str) -> int:
        query = sql.SQL("SELECT COUNT(*) FROM {}").format(sql.Identifier(*where[name]))
        row = cursor.execute(query).fetchone()
        return int(row[0]) if row else 0

    found = Contents(count_rows(where, count))
    if EVENT_TABLE in found.rows:
        row = cursor.execute(f"SELECT MAX(at) FROM {EVENT_TABLE}").fetchone()
        found.latest_event_at = iso_time(row[0] if row else None)
    return found


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout


def check_dump(path: Path) -> None:
    """Read the whole dump with pg_restore: its table of contents must name statusdesk's tables
    and every entry must decode (a truncated or damaged dump fails here)."""
    pg_restore = program("pg_restore")
    env = dict(os.environ)
    listing = _run([pg_restore, "--list", str(path)], env, f"pg_restore --list {path}")
    missing = [
        table
        for table in REQUIRED_TABLES
        if not re.search(rf"^\d+; .* TABLE DATA \S+ {re.escape(table)} ", listing, re.MULTILINE)
    ]
    if missing:
        raise BackupError(
            f"{path} is a PostgreSQL dump but not of a statusdesk database (no "
            f"{', '.join(missing)})"
        )
    _run([pg_restore, "--file=/dev/null", str(path)], env, f"reading {path} with pg_restore")


def backup(target: Path) -> Contents:
    pg_dump = program("pg_dump")
    params = connection_params()
    conninfo, env = client(params)
    staged = staging_path(target)
    try:
        with psycopg.connect(**params) as db:
            db.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            db.read_only = True
            with db.cursor() as cursor:
                row = cursor.execute("SELECT pg_export_snapshot()").fetchone()
                assert row is not None
                found = contents(cursor)
                # The dump reads the snapshot this transaction exported (kept open meanwhile).
                _run(
                    [
                        pg_dump,
                        "--format=custom",
                        f"--snapshot={row[0]}",
                        f"--file={staged}",
                        f"--dbname={conninfo}",
                    ],
                    env,
                    "pg_dump",
                )
            db.rollback()
        check_dump(staged)
        publish_file(staged, target)
    except psycopg.Error as exc:
        raise BackupError(f"cannot read the database ({exc}): no backup was written") from None
    except BackupError as exc:
        raise BackupError(f"{exc}: no backup was written") from None
    finally:
        staged.unlink(missing_ok=True)
    return found


def restore(source: Path, *, force: bool) -> None:
    try:
        check_dump(source)
    except BackupError as exc:
        raise BackupError(f"{exc}. Nothing was changed.") from None
    pg_restore, psql = program("pg_restore"), program("psql")
    params = connection_params()
    conninfo, env = client(params)
    try:
        with psycopg.connect(**params, autocommit=True) as db, db.cursor() as cursor:
            present = contents(cursor)
    except psycopg.Error as exc:
        raise BackupError(f"cannot reach the database ({exc}). Nothing was changed.") from None
    if present.tables and not force:
        raise BackupError(
            not_empty_message(
                database_name(),
                present,
                fresh="point DATABASE_URL at a new, empty database (createdb)",
            )
        )
    prelude = REPLACE_PUBLIC if force else STILL_EMPTY
    with tempfile.TemporaryFile() as decode_errors, tempfile.TemporaryFile() as apply_errors:
        decode = subprocess.Popen(
            [
                pg_restore,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--file=-",
                str(source),
            ],
            stdout=subprocess.PIPE,
            stderr=decode_errors,
            env=env,
        )
        apply = subprocess.Popen(
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--single-transaction",
                "--file=-",
                f"--dbname={conninfo}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=apply_errors,
            env=env,
        )
        assert decode.stdout is not None and apply.stdin is not None
        applied = _feed(apply.stdin, prelude.encode(), decode.stdout)
        decoded = decode.wait() == 0
        if applied and decoded:
            # The whole script is in: psql commits at the end of its input.
            with contextlib.suppress(BrokenPipeError):
                apply.stdin.close()
        else:
            # Stopped before the end of its input, psql never commits: the server rolls back.
            apply.kill()
            decode.kill()
        apply.wait()
        decode.wait()
        if decode.returncode != 0 or apply.returncode != 0:
            decode_errors.seek(0)
            apply_errors.seek(0)
            messages = "\n".join(
                text
                for text in (
                    decode_errors.read().decode(errors="replace").strip(),
                    apply_errors.read().decode(errors="replace").strip(),
                )
                if text
            )
            raise BackupError(
                f"restoring {source} failed and was rolled back: nothing was changed.\n{messages}"
            )


def _feed(into: Any, prelude: bytes, script: Any) -> bool:
    """Write the prelude and then pg_restore's script to psql; False when psql stopped reading
    (it met an error: ON_ERROR_STOP)."""
    try:
        into.write(prelude)
        while chunk := script.read(CHUNK):
            into.write(chunk)
        into.flush()
    except BrokenPipeError:
        return False
    finally:
        script.close()
    return True
