"""``python -m livechat``: serve the hub on HUB_HOST:HUB_PORT (127.0.0.1:8080)."""

from __future__ import annotations

import logging

from aiohttp import web

from livechat.app import create_app
from livechat.settings import HubSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    settings = HubSettings.from_env()
    web.run_app(create_app(settings), host=settings.host, port=settings.port, shutdown_timeout=5,
                print=lambda text: logging.getLogger("livechat").info("%s", text.strip()))


if __name__ == "__main__":
    main()
