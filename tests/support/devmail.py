"""The development mail server (``python -m backend.devmail``) as its own
process on free ports, for tests that need the real dev mailbox."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # a bound for a stuck start, not a measure
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def health(url: str) -> dict | None:
    try:
        with _NO_PROXY.open(url, timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None


@contextmanager
def devmail_process(folder: Path) -> Iterator[SimpleNamespace]:
    """Start it, wait for its health URL, stop it with SIGTERM at the end
    (and check that it stopped cleanly)."""
    port, http_port = free_port(), free_port()
    proc = subprocess.Popen([sys.executable, "-m", "backend.devmail", "--port", str(port), "--http-port",
                             str(http_port), "--folder", str(folder)], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{http_port}/health"
    deadline = time.monotonic() + START_TIMEOUT
    while health(url) is None:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"devmail did not start:\n{proc.communicate()[0]}")
        time.sleep(0.1)
    server = SimpleNamespace(url=f"smtp://127.0.0.1:{port}", port=port, health=url, folder=folder, proc=proc)
    try:
        yield server
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
        assert proc.returncode == 0, output  # SIGTERM is a clean stop
