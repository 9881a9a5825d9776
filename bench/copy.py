"""Copy a statusdesk SQLite database into an empty PostgreSQL one, table by table (COPY).

The PostgreSQL side of the benchmark can start from the very history that bench/generate.py made
through the services on SQLite: the same rows, ids and times, in a few minutes instead of another
hour of generating. Both databases must be migrated to the same state first (scale.py does it).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


def copy_database(sqlite_path: Path, postgres_url: str) -> dict[str, int]:
    import psycopg

    source = sqlite3.connect(sqlite_path)
    tables = [
        name
        for (name,) in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'django_migrations' ORDER BY name"
        )
    ]
    copied: dict[str, int] = {}
    with psycopg.connect(postgres_url) as target:
        target.execute("SET TimeZone TO 'UTC'")  # Django keeps naive UTC text in SQLite
        quoted = ", ".join(f'"{t}"' for t in tables)
        target.execute(f"TRUNCATE {quoted} CASCADE")  # what migrate seeded (roles, types)
        for table in tables:
            columns = [row[1] for row in source.execute(f'PRAGMA table_info("{table}")')]
            names = ", ".join(f'"{c}"' for c in columns)
            started = time.monotonic()
            count = 0
            with target.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in source.execute(f'SELECT {names} FROM "{table}"'):
                    copy.write_row(row)
                    count += 1
            copied[table] = count
            if count > 10_000:
                print(
                    f"  {table}: {count:,} rows in {time.monotonic() - started:.0f} s", flush=True
                )
            if "id" in columns:
                target.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'COALESCE((SELECT max(id) FROM "{table}"), 0) + 1, false)'
                )
        target.commit()
    # What autovacuum does to a live database sooner or later: statistics and the visibility map
    # (without it an index-only scan visits every row it counts).
    with psycopg.connect(postgres_url, autocommit=True) as target:
        target.execute("VACUUM ANALYZE")
    return copied
