"""The files an operator copies (deploy/, the Procfile) say what the code does: the environment
sample names every variable the code reads, the systemd units pass `systemd-analyze verify` and
keep their hardening, and the Procfile runs commands that exist."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands

from tests.conftest import require_program

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "statusdesk"
SAMPLE = REPO / "deploy" / "statusdesk.env.sample"
UNITS = REPO / "deploy" / "systemd"
PROCFILE = REPO / "Procfile"

# Every way the code reads a variable: os.environ.get("X"), os.environ["X"], env.get("X") (a
# mapping passed in, defaulting to os.environ), os.getenv("X"), settings' _env_int / _env_bool.
READS = [
    re.compile(r"""\b(?:environ|env)\.get\(\s*["']([A-Z][A-Z0-9_]*)["']"""),
    re.compile(r"""\benviron\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]"""),
    re.compile(r"""\bgetenv\(\s*["']([A-Z][A-Z0-9_]*)["']"""),
    re.compile(r"""\b_env_[a-z]+\(\s*["']([A-Z][A-Z0-9_]*)["']"""),
]
ASSIGNMENT = re.compile(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$")


def variables_read_by_the_code() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in READS:
            for name in pattern.findall(text):
                found.setdefault(name, set()).add(str(path.relative_to(REPO)))
    return found


def sample_assignments() -> dict[str, tuple[bool, str, list[str]]]:
    """Each variable of the sample: (set, not commented out), its value, its comment lines."""
    found: dict[str, tuple[bool, str, list[str]]] = {}
    comment: list[str] = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            commented, name, value = match.groups()
            assert name not in found, f"{name} is in the sample twice"
            found[name] = (not commented, value, list(comment))
            continue
        if line.startswith("# ") or line == "#":
            if line.startswith("# ---"):
                comment = []
            else:
                comment.append(line)
        elif not line.strip():
            comment = []  # a blank line ends a description; a group shares the one above it
        else:
            raise AssertionError(f"not a comment, a blank line or NAME=value: {line!r}")
    return found


def test_the_scan_finds_the_ways_settings_are_read() -> None:
    """The scan is not blind: it finds variables read in each of the ways the code reads them."""
    read = variables_read_by_the_code()
    assert {"DATABASE_URL", "STATUSDESK_SECRET_KEY"} <= set(read)  # os.environ.get
    assert "STATUSDESK_DB_POOL_MAX" in read  # _env_int
    assert "STATUSDESK_SECURE" in read  # _env_bool
    assert "STATUSDESK_VAR_DIR" in read  # env.get, a mapping passed in
    assert len(read) >= 40


def test_the_sample_names_every_variable_the_code_reads() -> None:
    read = variables_read_by_the_code()
    sample = sample_assignments()
    missing = {name: sorted(paths) for name, paths in read.items() if name not in sample}
    assert not missing, f"add these to {SAMPLE.relative_to(REPO)}, with a comment: {missing}"
    unknown = set(sample) - set(read)
    assert not unknown, f"the sample names variables nothing reads: {sorted(unknown)}"


def test_each_variable_of_the_sample_has_a_comment_and_a_sample_value() -> None:
    for name, (_, value, comment) in sample_assignments().items():
        assert comment, f"{name} has no comment above it"
        assert value.strip(), f"{name} has no sample value"
        assert value == value.strip(), f"{name}: spaces around its value"


def test_the_sample_sets_what_production_needs_and_no_real_secret() -> None:
    sample = sample_assignments()
    needed = {
        "DATABASE_URL",
        "REDIS_URL",
        "STATUSDESK_SECRET_KEY",
        "STATUSDESK_ALLOWED_HOSTS",
        "STATUSDESK_PUBLIC_URL",
        "STATUSDESK_SECURE",
        "STATUSDESK_VAR_DIR",
        "STATUSDESK_STATIC_ROOT",
        "STATUSDESK_SMTP_URL",
    }
    assert {name for name in needed if sample[name][0]} == needed
    assert sample["DATABASE_URL"][1].startswith("postgres://")
    assert sample["STATUSDESK_SECURE"][1] == "1"
    # The key must be changed: as it stands `statusdesk check` calls it weak.
    assert sample["STATUSDESK_SECRET_KEY"][1] == "CHANGE"
    assert not sample["STATUSDESK_DEBUG"][0]


def test_the_sample_mentions_only_variables_that_exist() -> None:
    """A STATUSDESK_ name written anywhere in the sample (comments too) is one the code reads."""
    read = variables_read_by_the_code()
    named = set(re.findall(r"\bSTATUSDESK_[A-Z0-9_]+\b", SAMPLE.read_text(encoding="utf-8")))
    assert named - set(read) == set()


def test_the_fixes_statusdesk_check_prints_name_real_variables() -> None:
    """Every variable statusdesk check tells an operator to set is one the code reads."""
    read = variables_read_by_the_code()
    text = (SRC / "core" / "readiness.py").read_text(encoding="utf-8")
    named = set(re.findall(r"\b(?:STATUSDESK_[A-Z0-9_]+|DATABASE_URL|REDIS_URL)\b", text))
    assert named and named - set(read) == set()


# --- systemd -------------------------------------------------------------------------------------

UNIT_FILES = sorted(UNITS.glob("*.service"))
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "PrivateTmp": "yes",
    "ProtectHome": "yes",
}


def unit(path: Path) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    section = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            sections[section] = {}
            continue
        key, value = line.split("=", 1)
        sections[section].setdefault(key, []).append(value)
    return sections


def test_the_units_are_the_ones_the_docs_name() -> None:
    assert [p.name for p in UNIT_FILES] == [
        "statusdesk-prepare.service",
        "statusdesk-web@.service",
        "statusdesk-worker@.service",
    ]
    assert (UNITS / "statusdesk.target").is_file()
    docs = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    for path in [*UNIT_FILES, UNITS / "statusdesk.target"]:
        assert path.name in docs


@pytest.mark.parametrize("path", UNIT_FILES, ids=lambda p: p.name)
def test_each_unit_is_hardened_and_reads_the_environment_file(path: Path) -> None:
    service = unit(path)["Service"]
    for key, value in HARDENING.items():
        assert service.get(key) == [value], f"{path.name}: {key}"
    writable = " ".join(service["ReadWritePaths"]).split()
    assert "/var/lib/statusdesk" in writable and "/var/lib/statusdesk-static" in writable
    assert service["EnvironmentFile"] == ["/etc/statusdesk/statusdesk.env"]
    assert service["User"] == ["statusdesk"]
    after = " ".join(unit(path)["Unit"]["After"]).split()
    assert {"postgresql.service", "redis-server.service"} <= set(after)
    sample = sample_assignments()
    # The paths the units open up are the ones the sample configures.
    assert sample["STATUSDESK_VAR_DIR"][1] in writable
    assert sample["STATUSDESK_STATIC_ROOT"][1] in writable
    assert f"-{sample['STATUSDESK_PUBLIC_DIR'][1]}" in writable


@pytest.mark.parametrize(
    "name", ["statusdesk-web@.service", "statusdesk-worker@.service"], ids=lambda n: n
)
def test_web_and_worker_restart_on_failure_stop_gently_and_wait_for_prepare(name: str) -> None:
    sections = unit(UNITS / name)
    service = sections["Service"]
    assert service["Restart"] == ["on-failure"]
    assert service["KillSignal"] in (["SIGTERM"], ["SIGINT"])
    assert int(service["TimeoutStopSec"][0]) >= 15
    assert "statusdesk-prepare.service" in sections["Unit"]["Requires"]
    assert "statusdesk-prepare.service" in " ".join(sections["Unit"]["After"])
    command = shlex.split(service["ExecStart"][0])
    assert Path(command[0]).name == "statusdesk"
    assert command[1] in get_commands()
    if name.startswith("statusdesk-web"):
        assert command[1:] == ["serve", "--host", "127.0.0.1", "--port", "%i"]
        # uvicorn stops gracefully on SIGTERM; Huey's graceful stop is SIGINT.
        assert service["KillSignal"] == ["SIGTERM"]
    else:
        assert command[1:] == ["worker"]
        assert service["KillSignal"] == ["SIGINT"]


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    """systemd's own reading of the units (an instance of each template), with the command pointed
    at this checkout's statusdesk: any complaint, even one systemd would only log, fails."""
    require_program("systemd-analyze", "systemd-analyze (Debian's systemd)")
    statusdesk = REPO / ".venv" / "bin" / "statusdesk"
    assert statusdesk.exists()
    for path in [*UNIT_FILES, UNITS / "statusdesk.target"]:
        text = path.read_text(encoding="utf-8")
        (tmp_path / path.name).write_text(
            text.replace("/opt/statusdesk/.venv/bin/statusdesk", str(statusdesk))
        )
    names = [
        "statusdesk-prepare.service",
        "statusdesk-web@8001.service",
        "statusdesk-worker@1.service",
        "statusdesk.target",
    ]
    done = subprocess.run(
        [shutil.which("systemd-analyze") or "", "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    complaints = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert complaints == []


def test_systemd_analyze_verify_would_see_a_broken_unit(tmp_path: Path) -> None:
    """The verify test above can fail: a misspelt key and a missing program are reported."""
    require_program("systemd-analyze", "systemd-analyze (Debian's systemd)")
    broken = (UNITS / "statusdesk-worker@.service").read_text(encoding="utf-8")
    broken = broken.replace("Restart=on-failure", "Restart=on-failur")
    (tmp_path / "statusdesk-worker@.service").write_text(broken)
    done = subprocess.run(
        [
            shutil.which("systemd-analyze") or "",
            "verify",
            "--man=no",
            "statusdesk-worker@1.service",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert "on-failur" in output
    assert "/opt/statusdesk/.venv/bin/statusdesk" in output  # not installed on this machine


# --- Procfile ------------------------------------------------------------------------------------


def procfile() -> dict[str, str]:
    entries = {}
    for line in PROCFILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, command = line.split(":", 1)
        assert re.fullmatch(r"[a-z][a-z0-9_-]*", name), line
        entries[name] = command.strip()
    return entries


def test_the_procfile_prepares_then_runs_web_processes_and_workers() -> None:
    entries = procfile()
    assert set(entries) == {"web", "worker"}
    commands = get_commands()
    for name, line in entries.items():
        steps = [shlex.split(step) for step in line.split("&&")]
        first, last = steps[0], steps[-1]
        assert first[:2] == ["statusdesk", "prepare"], name
        assert last[0] == "exec", f"{name}: the process runner's signals must reach statusdesk"
        assert last[1] == "statusdesk"
        for step in steps:
            words = step[1:] if step[0] == "exec" else step
            assert words[1].replace("-", "_") in commands, f"{name}: {words[1]}"
    assert shlex.split(entries["web"].split("&&")[-1])[2] == "serve"
    assert shlex.split(entries["worker"].split("&&")[-1])[2] == "worker"


def test_the_sample_reads_the_same_in_a_shell() -> None:
    """`set -a; . statusdesk.env` (a shell, honcho's .env) sets exactly the uncommented values."""
    done = subprocess.run(
        ["sh", "-c", 'set -a; . "$0"; env -0', str(SAMPLE)],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    environment = dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    for name, (is_set, value, _) in sample_assignments().items():
        if is_set:
            assert environment[name] == value.strip('"'), name
        elif name not in {"HOME"}:
            assert name not in environment, name
