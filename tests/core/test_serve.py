"""`statusdesk serve --with-worker` in real processes: stopped with SIGTERM or SIGINT, it stops its
worker too and leaves no process behind. Each wait has a deadline, and both processes are killed
at the end whatever happened."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

START_SECONDS = 60  # serve answering /healthz, on a busy 2-core machine
STOP_SECONDS = 30  # serve and its worker gone (serve gives the worker 10 s before killing it)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(what: str, condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.05)


def _gone(pid: int) -> bool:
    """No such process, or a zombie (dead, not yet reaped by whoever adopted it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _kill_worker(pid: int) -> None:
    """Kill the worker this test started if it is still there (and that pid is still it)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return
    if b"statusdesk.cli" in command and b"worker" in command:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stopped_by_a_signal_stops_its_worker(tmp_path: Path, stop: signal.Signals) -> None:
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "STATUSDESK_SECRET_KEY"}
    }
    env.update(STATUSDESK_VAR_DIR=str(tmp_path / "var"), STATUSDESK_LOG_LEVEL="WARNING")
    output = tmp_path / "serve.out"
    with output.open("wb") as out:
        serve = subprocess.Popen(
            [sys.executable, "-m", "statusdesk.cli", "serve", "--with-worker", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker_pid: int | None = None
    try:

        def worker_started() -> bool:
            nonlocal worker_pid
            found = re.search(rb"worker started \(pid (\d+)\)", output.read_bytes())
            worker_pid = int(found.group(1)) if found else None
            return worker_pid is not None or serve.poll() is not None

        _wait_for("serve prints its worker's pid", worker_started, START_SECONDS)
        assert serve.poll() is None, output.read_text()
        assert worker_pid is not None
        _wait_for(
            "serve answers /healthz",
            lambda: _answers(f"http://127.0.0.1:{port}/healthz") or serve.poll() is not None,
            START_SECONDS,
        )
        assert serve.poll() is None, output.read_text()
        assert not _gone(worker_pid), "the worker runs beside the server"
        children = Path(f"/proc/{serve.pid}/task/{serve.pid}/children")
        if children.exists():
            assert str(worker_pid) in children.read_text().split()

        serve.send_signal(stop)

        serve.wait(timeout=STOP_SECONDS)
        _wait_for("the worker is gone", lambda: _gone(worker_pid), STOP_SECONDS)
        assert serve.returncode == -stop, f"{serve.returncode}: {output.read_text()}"
        assert not _answers(f"http://127.0.0.1:{port}/healthz")
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait(timeout=STOP_SECONDS)
        if worker_pid is not None:
            _kill_worker(worker_pid)
