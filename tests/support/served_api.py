"""The API as ``make run`` starts it: ``python -m backend.api`` in its own
process on a free port, over the database of ``VAR_DIR`` (set up first with
``python -m backend.cli setup-db``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from backend.settings import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "VAR_DIR": str(var_dir), "API_HOST": "127.0.0.1", **extra}
    env.pop("DATABASE_URL", None)
    return env


def cli(env: dict[str, str], *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, **kw)


@contextmanager
def served_api(env: dict[str, str]) -> Iterator[str]:
    """The base URL while the server runs; afterwards, no traceback in its output."""
    port = free_port()
    env = {**env, "API_PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "backend.api"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise AssertionError("the API exited: " + server.stdout.read().decode(errors="replace")[-3000:])
            try:
                if requests.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            raise AssertionError("the API did not come up in 30 s")
        yield base
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=15)
    assert b"Traceback" not in out, out.decode(errors="replace")
