"""``python -m livechat``: serve the hub on HUB_HOST:HUB_PORT (127.0.0.1:8080)."""

from __future__ import annotations

import gc
import logging
import os
import sys

from aiohttp import web

from livechat.app import create_app
from livechat.settings import HubSettings


def tune_runtime() -> None:
    """Process-wide settings for a busy socket server (measured with
    bench/hub_relay.py at 1,000 conversations):

    - the cyclic garbage collector: with the default thresholds (700, 10, 10)
      it ran ~3,000 collections in a minute, full ones of 350-400 ms, a fifth
      of the CPU and the tail latency; (50000, 50, 100) and the start-up
      objects frozen out of its scans halve the CPU per message;
    - the GIL switch interval: the message store runs in a worker thread
      beside the event loop; 1 ms instead of 5 ms keeps it from waiting
      behind the loop for whole slices.
    """
    thresholds = os.environ.get("HUB_GC_THRESHOLD", "50000,50,100")
    gc.set_threshold(*(int(x) for x in thresholds.split(",")))
    gc.freeze()
    sys.setswitchinterval(float(os.environ.get("HUB_SWITCH_INTERVAL", "0.001")))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    settings = HubSettings.from_env()
    app = create_app(settings)
    tune_runtime()
    # SIGTERM/SIGINT: aiohttp stops listening, then livechat.drain finishes the
    # events in flight (HUB_DRAIN_S, 5 s at most) and closes every socket so the
    # clients reconnect; shutdown_timeout then bounds anything left.
    web.run_app(app, host=settings.host, port=settings.port, shutdown_timeout=2,
                print=lambda text: logging.getLogger("livechat").info("%s", text.strip()))


if __name__ == "__main__":
    main()
