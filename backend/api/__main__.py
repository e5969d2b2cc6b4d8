"""``python -m backend.api``: serve the HTTP API on settings.api_host:api_port."""

from __future__ import annotations

import logging

from aiohttp import web

from backend.api.app import create_app
from backend.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    web.run_app(create_app(settings), host=settings.api_host, port=settings.api_port,
                print=lambda text: logging.getLogger("backend.api").info("%s", text.strip()))


if __name__ == "__main__":
    main()
