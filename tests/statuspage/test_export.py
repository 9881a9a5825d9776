"""STATUSDESK_PUBLIC_DIR: every stored snapshot also writes the public files nginx serves
(deploy/nginx.conf), with the very bytes statusdesk answers at those paths."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from statusdesk.incidents import services
from statusdesk.incidents.models import Component
from statusdesk.statuspage import snapshot
from tests.factories import a_published_incident
from tests.statuspage.conftest import PUBLIC_PATHS

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_dir(settings: Any, tmp_path: Path) -> Path:
    settings.STATUSDESK_PUBLIC_DIR = str(tmp_path / "public")
    return tmp_path / "public"


def test_files_hold_what_statusdesk_answers(
    public_dir: Path, client: Client, manager: Any, developer: Any, components: list[Component]
) -> None:
    a_published_incident(manager, developer, components, name="Uploads fail")
    snapshot.rebuild_snapshot()
    for path in PUBLIC_PATHS:
        file = public_dir / path.lstrip("/")
        answer = client.get(path)
        assert answer.status_code == 200
        assert file.read_bytes() == answer.content, path
        assert stat.S_IMODE(file.stat().st_mode) == 0o644  # nginx runs as another user
    assert b"Uploads fail" in (public_dir / "api/v2/summary.json").read_bytes()
    assert stat.S_IMODE((public_dir / "api/v2").stat().st_mode) == 0o755


def test_a_change_rewrites_the_files_and_no_change_leaves_them(
    public_dir: Path, manager: Any, developer: Any, components: list[Component]
) -> None:
    incident = a_published_incident(manager, developer, components)
    snapshot.rebuild_snapshot()
    summary = public_dir / "api/v2/summary.json"
    badge = public_dir / "badge.svg"
    os.utime(summary, (1_000_000, 1_000_000))
    os.utime(badge, (1_000_000, 1_000_000))

    snapshot.rebuild_snapshot()  # same content: files untouched (nginx's ETag stays)
    assert summary.stat().st_mtime == 1_000_000

    services.post_update(
        actor=manager, incident=incident, status="identified", message="Cause found: a timeout."
    )
    snapshot.rebuild_snapshot()
    assert b"Cause found: a timeout." in summary.read_bytes()
    assert summary.stat().st_mtime != 1_000_000
    assert not list(public_dir.rglob(".*"))  # no temporary file left behind


def test_nothing_written_without_the_setting(
    settings: Any, tmp_path: Path, components: list[Component]
) -> None:
    settings.STATUSDESK_PUBLIC_DIR = ""
    snapshot.rebuild_snapshot()
    assert not any(tmp_path.iterdir())
