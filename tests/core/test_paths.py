"""The var directory is found from the package, not from the directory a command runs in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from statusdesk.cli import where
from statusdesk.core.paths import describe_database_url, source_checkout, var_dir

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "statusdesk"


def test_a_source_checkout_is_found_from_the_package() -> None:
    assert source_checkout(PACKAGE) == REPO
    assert var_dir({}, PACKAGE).path == REPO / "var"
    assert "source checkout" in var_dir({}, PACKAGE).reason


def test_statusdesk_var_dir_overrides(tmp_path: Path) -> None:
    location = var_dir({"STATUSDESK_VAR_DIR": str(tmp_path / "data")}, PACKAGE)
    assert location.path == tmp_path / "data"
    assert location.reason == "set by STATUSDESK_VAR_DIR"


def test_an_installed_package_uses_a_per_user_data_directory(tmp_path: Path) -> None:
    installed = tmp_path / "lib" / "python3.11" / "site-packages" / "statusdesk"
    assert source_checkout(installed) is None
    home = {"HOME": str(tmp_path / "home")}
    location = var_dir(home, installed)
    assert location.path == tmp_path / "home" / ".local" / "share" / "statusdesk"
    assert "installed package" in location.reason and "STATUSDESK_VAR_DIR" in location.reason
    xdg = var_dir({**home, "XDG_DATA_HOME": str(tmp_path / "xdg")}, installed)
    assert xdg.path == tmp_path / "xdg" / "statusdesk"
    relative = var_dir({**home, "XDG_DATA_HOME": "relative/dir"}, installed)
    assert relative.path == location.path  # the XDG spec says: ignore a relative value


def test_a_src_folder_without_pyproject_is_not_a_checkout(tmp_path: Path) -> None:
    package = tmp_path / "src" / "statusdesk"
    package.mkdir(parents=True)
    assert source_checkout(package) is None
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    assert source_checkout(package) == tmp_path


def test_settings_use_the_computed_var_dir() -> None:
    assert var_dir().path == settings.VAR_DIR


def test_passwords_are_not_printed() -> None:
    assert (
        describe_database_url("postgres://sd:s3cret@db:5432/sd") == "postgres://sd:***@db:5432/sd"
    )
    assert describe_database_url("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert describe_database_url("postgres://sd@db/sd") == "postgres://sd@db/sd"
    text = where({"DATABASE_URL": "postgres://sd:s3cret@db/sd", "STATUSDESK_SECRET_KEY": "k"})
    assert "s3cret" not in text and "postgres://sd:***@db/sd (DATABASE_URL)" in text
    assert "secret key: from STATUSDESK_SECRET_KEY" in text


def _statusdesk(*args: str, cwd: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """The installed `statusdesk` command, importing this checkout's package, from `cwd`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"STATUSDESK_VAR_DIR", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["PYTHONPATH"] = str(REPO / "src")
    env.update(extra_env)
    command = [sys.executable, "-c", "from statusdesk.cli import main; main()", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_the_cli_uses_the_checkout_var_dir_from_any_directory(tmp_path: Path) -> None:
    """`statusdesk where` run from another folder names the checkout's var/ (and creates
    nothing: neither in that folder nor anywhere else)."""
    result = _statusdesk("where", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"var directory: {REPO / 'var'}"
    assert lines[1] == f"  because: the source checkout at {REPO}"
    assert f"database: SQLite {REPO / 'var' / 'statusdesk.sqlite3'}" in lines
    assert list(tmp_path.iterdir()) == []


def test_the_cli_honours_statusdesk_var_dir(tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere"
    result = _statusdesk("where", cwd=tmp_path, STATUSDESK_VAR_DIR=str(chosen))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == [
        f"var directory: {chosen}",
        "  because: set by STATUSDESK_VAR_DIR",
    ]
    assert not chosen.exists()


def test_migrate_from_another_directory_opens_the_chosen_var_dir(tmp_path: Path) -> None:
    """A real command run from elsewhere announces and uses the var directory it was given,
    and leaves the directory it ran in alone."""
    chosen = tmp_path / "data"
    workdir = tmp_path / "somewhere"
    workdir.mkdir()
    result = _statusdesk(
        "migrate", "--noinput", "-v", "0", cwd=workdir, STATUSDESK_VAR_DIR=str(chosen)
    )
    assert result.returncode == 0, result.stderr
    assert f"statusdesk: var directory {chosen} (set by STATUSDESK_VAR_DIR)" in result.stderr
    assert (chosen / "statusdesk.sqlite3").is_file()
    assert (chosen / "secret_key").is_file()
    assert list(workdir.iterdir()) == []
