"""What a restore reads from a file's first bytes, and where the PostgreSQL programs are found."""

from __future__ import annotations

import gzip
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from statusdesk.backups import postgres
from statusdesk.backups.services import POSTGRESQL, SQLITE, BackupError, default_path, file_kind


def test_the_format_comes_from_the_first_bytes_not_the_name(tmp_path: Path) -> None:
    database = tmp_path / "named-like-a-dump.pgdump"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    assert file_kind(database) == SQLITE
    dump = tmp_path / "named-like-sqlite.sqlite3"
    dump.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(64))
    assert file_kind(dump) == POSTGRESQL


def test_a_compressed_backup_is_named_as_such(tmp_path: Path) -> None:
    packed = tmp_path / "statusdesk.sqlite3.gz"
    packed.write_bytes(gzip.compress(b"SQLite format 3\x00" + bytes(100)))
    with pytest.raises(BackupError, match="gzip-compressed: decompress it first"):
        file_kind(packed)


@pytest.mark.parametrize("content", [b"", b"id,kind\n1,report.filed\n"])
def test_anything_else_is_not_a_backup(tmp_path: Path, content: bytes) -> None:
    other = tmp_path / "other"
    other.write_bytes(content)
    with pytest.raises(BackupError, match="is not a statusdesk backup"):
        file_kind(other)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no such file"):
        file_kind(tmp_path / "nowhere.pgdump")


def test_pg_dump_found_under_the_versioned_directories_or_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(postgres, "VERSIONED_BINARIES", tmp_path / "postgresql")
    with pytest.raises(BackupError, match="pg_dump was not found .* apt-get install"):
        postgres.program("pg_dump")
    for version in ("9.6", "15", "13"):
        binary = tmp_path / "postgresql" / version / "bin" / "pg_dump"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
    assert postgres.program("pg_dump") == str(tmp_path / "postgresql/15/bin/pg_dump")


def test_a_second_backup_in_the_same_second_gets_a_name_of_its_own(
    tmp_path: Path, settings: Any
) -> None:
    settings.VAR_DIR = tmp_path
    moment = datetime(2026, 11, 29, 2, 30, 5, tzinfo=UTC)
    first = default_path(SQLITE, moment)
    assert first.name == "statusdesk-20261129T023005Z.sqlite3"
    first.write_bytes(b"taken")
    second = default_path(SQLITE, moment)
    assert second.name == "statusdesk-20261129T023005Z-2.sqlite3"
    second.write_bytes(b"taken")
    assert default_path(SQLITE, moment).name == "statusdesk-20261129T023005Z-3.sqlite3"
    assert first.read_bytes() == second.read_bytes() == b"taken"
