"""The two lock files: the runtime lock pins exactly what the development lock pins, and neither
names a package index (both are written by `make lock`)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9._-]+(?:\[[^\]]*\])?)==(\S+)", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    text = (REPO / name).read_text(encoding="utf-8")
    return {package.lower(): version for package, version in PIN.findall(text)}


def test_runtime_lock_pins_the_same_versions_as_the_development_lock() -> None:
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert {"django", "django-ninja", "huey", "uvicorn"} <= runtime.keys()
    assert {package: dev.get(package) for package in runtime} == runtime


def test_runtime_lock_leaves_the_development_tools_out() -> None:
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    for tool in ("pytest", "pytest-django", "hypothesis", "playwright", "ruff", "mypy"):
        assert tool in dev
        assert tool not in runtime


def test_no_lock_names_an_index_or_a_download_address() -> None:
    for name in ("requirements.lock", "requirements-dev.lock"):
        text = (REPO / name).read_text(encoding="utf-8")
        assert "://" not in text, name
        assert not re.search(r"^\s*--(?:index-url|extra-index-url|find-links)", text, re.M), name
