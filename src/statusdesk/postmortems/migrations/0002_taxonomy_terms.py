"""R19: the fifteen taxonomy terms of the process document, with its definitions."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from statusdesk.postmortems.taxonomy import ensure_taxonomy_terms


def seed(apps: Any, schema_editor: Any) -> None:
    ensure_taxonomy_terms(
        apps.get_model("postmortems", "TaxonomyTerm"), using=schema_editor.connection.alias
    )


class Migration(migrations.Migration):
    dependencies = [("postmortems", "0001_postmortems")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
