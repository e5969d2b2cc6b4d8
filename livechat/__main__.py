"""``python -m livechat``: serve the hub on HUB_HOST:HUB_PORT (127.0.0.1:8080)."""

from __future__ import annotations

import logging
import os
import sys

from aiohttp import web

from livechat.app import create_app
from livechat.settings import HubSettings


def main() -> None:
    # The message store runs in a worker thread beside the event loop; with
    # the default 5 ms GIL switch interval it waits behind the loop for whole
    # slices under load (measured: bench/hub_relay.py). 1 ms keeps it moving.
    sys.setswitchinterval(float(os.environ.get("HUB_SWITCH_INTERVAL", "0.001")))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    settings = HubSettings.from_env()
    web.run_app(create_app(settings), host=settings.host, port=settings.port, shutdown_timeout=5,
                print=lambda text: logging.getLogger("livechat").info("%s", text.strip()))


if __name__ == "__main__":
    main()
