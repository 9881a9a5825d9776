"""A database made by the 0.1 preview (whose schema was replaced before any release) is refused
by `migrate` with what to do, instead of failing half-way on tables that already exist."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from statusdesk.core.apps import refuse_preview_database

pytestmark = pytest.mark.django_db


def test_a_database_of_the_preview_is_refused_with_what_to_do():
    MigrationRecorder(connection).record_applied("core", "0001_initial")
    with pytest.raises(CommandError, match="0.1 preview") as refused:
        refuse_preview_database(apps.get_app_config("core"), using="default")
    assert "statusdesk migrate" in str(refused.value)


def test_a_current_database_migrates_as_usual():
    refuse_preview_database(apps.get_app_config("core"), using="default")
    refuse_preview_database(apps.get_app_config("incidents"), using="default")
