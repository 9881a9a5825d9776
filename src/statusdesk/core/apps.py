from typing import Any

from django.apps import AppConfig

# Databases made by the 0.1 preview recorded these migrations; their schema was replaced (the
# event log no longer points into the incident tables) before any release, not migrated.
PREVIEW_MIGRATIONS = {("core", "0001_initial"), ("incidents", "0001_initial")}


def refuse_preview_database(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """`migrate` on a database from the 0.1 preview stops with what to do, instead of failing
    half-way on tables that already exist."""
    if sender.label != "core":
        return
    from django.core.management.base import CommandError
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connections[using])
    if not recorder.has_table():
        return
    applied = set(recorder.applied_migrations())
    if applied & PREVIEW_MIGRATIONS:
        raise CommandError(
            "this database was made by the statusdesk 0.1 preview, whose schema changed before "
            "any release and cannot be migrated. Keep it aside and start a new one: move "
            "var/statusdesk.sqlite3 away (or point DATABASE_URL to a new database), then run "
            "`statusdesk migrate` again."
        )


class CoreConfig(AppConfig):
    name = "statusdesk.core"
    label = "core"
    verbose_name = "statusdesk core"

    def ready(self) -> None:
        from django.db.models.signals import pre_migrate

        pre_migrate.connect(refuse_preview_database, dispatch_uid="statusdesk.preview_database")

        # One log line per background task run, whichever app's task, in every process that runs
        # tasks (the worker, and the tests' immediate mode): statusdesk.core.logs.
        from huey.contrib.djhuey import HUEY

        from statusdesk.core.logs import job_finished, job_started

        HUEY.pre_execute(name="statusdesk.job_started")(job_started)
        HUEY.post_execute(name="statusdesk.job_finished")(job_finished)
