"""`statusdesk serve --with-worker` (what `make run` runs) stops its worker when it is stopped."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _until(condition: Callable[[], bool], deadline_s: float, what: str) -> None:
    """Wait for a condition, with a deadline (no fixed sleeps)."""
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_sigterm_stops_the_server_and_its_worker(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        STATUSDESK_VAR_DIR=str(tmp_path / "var"),
        PYTHONPATH=str(REPO / "src"),
        PYTHONUNBUFFERED="1",
    )
    command = [sys.executable, "-c", "from statusdesk.cli import main; main()"]
    server = subprocess.Popen(
        [*command, "serve", "--with-worker", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert server.stdout is not None
    stdout = server.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    worker_pid = None
    try:
        end = time.monotonic() + 60
        while worker_pid is None:
            line = lines.get(timeout=max(0.1, end - time.monotonic()))
            found = re.search(r"worker started \(pid (\d+)\)", line)
            worker_pid = int(found.group(1)) if found else None
        _until(lambda: _answers(port), 60, "the server to answer /healthz")
        assert _alive(worker_pid)

        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        _until(lambda: not _alive(worker_pid), 15, "the worker to stop")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if worker_pid is not None and _alive(worker_pid):
            os.kill(worker_pid, signal.SIGKILL)
