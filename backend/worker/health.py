"""``GET /health``: whether the worker is alive, for ``make run`` and a probe.

A JSON answer: the heartbeat of the worker's main loop (200 while it is
fresh, 503 once it is older than ``STALE`` seconds), the queue (where, how
many tasks wait), the dispatcher's and the "run now" pick-up's last rounds,
and the latest schedule runs. Plain ``http.server`` in a thread: the worker
serves nothing else.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger("backend.worker")

STALE = 15.0


class HealthServer:
    def __init__(self, host: str, port: int, snapshot: Callable[[], tuple[bool, dict[str, Any]]]) -> None:
        self._snapshot = snapshot
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.split("?", 1)[0] not in ("/health", "/health/"):
                    self._send(404, {"error": "not found; try /health"})
                    return
                try:
                    alive, body = outer._snapshot()
                except Exception as exc:  # the answer itself failed: not healthy
                    log.exception("health snapshot failed")
                    alive, body = False, {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
                self._send(200 if alive else 503, body)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body, default=_plain).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # polled every second by devrun: no access log

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="health", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/health"

    def start(self) -> HealthServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def _plain(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
