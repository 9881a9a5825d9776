"""`statusdesk`: Django's management commands under one name (`statusdesk seed-demo`, ...).

One command of its own runs before Django starts: `statusdesk where` prints where statusdesk keeps
its files (var directory, database, secret key, queue) and why, without creating anything.
`serve` and `migrate` print the var directory they use on stderr before they start (a JSON line
with STATUSDESK_LOG_FORMAT=json).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from statusdesk.core.paths import describe_database_url, var_dir

ANNOUNCED = {"serve", "migrate"}


def where(environ: Mapping[str, str] | None = None) -> str:
    """What `statusdesk where` prints: the files this environment would use, and why."""
    env = os.environ if environ is None else environ
    location = var_dir(env)
    database_url = env.get("DATABASE_URL", "")
    if database_url:
        database = f"{describe_database_url(database_url)} (DATABASE_URL)"
    else:
        database = f"SQLite {location.path / 'statusdesk.sqlite3'}"
    if env.get("STATUSDESK_SECRET_KEY"):
        secret = "from STATUSDESK_SECRET_KEY"
    else:
        secret = f"{location.path / 'secret_key'} (generated on first use)"
    redis_url = env.get("REDIS_URL", "")
    if redis_url:
        queue = f"Redis {describe_database_url(redis_url)} (REDIS_URL)"
    else:
        queue = f"SQLite {location.path / 'huey.sqlite3'}"
    return (
        f"var directory: {location.path}\n"
        f"  because: {location.reason}\n"
        f"database: {database}\n"
        f"secret key: {secret}\n"
        f"queue: {queue}\n"
    )


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    args[0] = "statusdesk"
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    command = args[1] if len(args) > 1 else ""
    if command == "where":
        sys.stdout.write(where())
        return
    if command in ANNOUNCED:
        from statusdesk.core.logs import startup_line

        location = var_dir()
        line = startup_line(
            f"var directory {location.path} ({location.reason})",
            var_dir=str(location.path),
            because=location.reason,
        )
        print(line, file=sys.stderr)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statusdesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
