"""Where statusdesk keeps its files, found from the package, never from the current directory.

The var directory holds the SQLite database, the Huey queue and the generated secret key. It is:

1. `STATUSDESK_VAR_DIR`, when set;
2. `<checkout>/var` when the package runs from a source checkout (`<checkout>/src/statusdesk`,
   with `<checkout>/pyproject.toml`), as after `make run`, whatever directory a command runs in;
3. otherwise (installed into site-packages) `$XDG_DATA_HOME/statusdesk`, by default
   `~/.local/share/statusdesk`.

Nothing here creates a file: `statusdesk where` prints the answer without touching the disk.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def source_checkout(package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The repository root when the package is imported from a checkout's `src/`, else None."""
    if package_dir.parent.name != "src":
        return None
    root = package_dir.parent.parent
    if (root / "pyproject.toml").is_file():
        return root
    return None


@dataclass(frozen=True)
class VarDir:
    path: Path
    reason: str  # why this directory, in words, for `statusdesk where` and the startup line


def var_dir(environ: Mapping[str, str] | None = None, package_dir: Path = PACKAGE_DIR) -> VarDir:
    """The var directory and why it was chosen (see the module docstring)."""
    env = os.environ if environ is None else environ
    explicit = env.get("STATUSDESK_VAR_DIR", "").strip()
    if explicit:
        return VarDir(Path(explicit).expanduser().resolve(), "set by STATUSDESK_VAR_DIR")
    root = source_checkout(package_dir)
    if root is not None:
        return VarDir(root / "var", f"the source checkout at {root}")
    data_home = env.get("XDG_DATA_HOME", "").strip()
    base = Path(data_home) if data_home and Path(data_home).is_absolute() else None
    if base is None:
        base = Path(env.get("HOME") or Path.home()) / ".local" / "share"
    return VarDir(
        base / "statusdesk",
        "the default for an installed package (no source checkout; set STATUSDESK_VAR_DIR "
        "to choose)",
    )


def describe_database_url(url: str) -> str:
    """A database URL fit to print: the password, if any, replaced by `***`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{userinfo}:***@{netloc[-1]}"))
