"""``python -m backend.web``: the portal alone, on PORTAL_HOST:PORTAL_PORT
(127.0.0.1:8001; 8000 is the JSON API's), under /portal.

PORTAL_WIDGET_URL and PORTAL_CONSOLE_URL point at the live-chat hub (default
http://127.0.0.1:8080/widget.js and /console); PORTAL_TIMEZONE is the zone
times are shown and typed in (Asia/Kolkata); PORTAL_SECURE_COOKIE=1 behind TLS.
"""

from __future__ import annotations

import logging
import os

from aiohttp import web

from backend.settings import Settings
from backend.web.app import create_standalone
from backend.web.kit import PortalConfig


def config_from_env(env: dict[str, str] | None = None) -> PortalConfig:
    env = dict(os.environ if env is None else env)
    return PortalConfig(
        widget_url=env.get("PORTAL_WIDGET_URL", "http://127.0.0.1:8080/widget.js") or None,
        console_url=env.get("PORTAL_CONSOLE_URL", "http://127.0.0.1:8080/console"),
        timezone=env.get("PORTAL_TIMEZONE", "Asia/Kolkata"),
        force_secure_cookie=env.get("PORTAL_SECURE_COOKIE") == "1",
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    settings = Settings.from_env()
    host, port = os.environ.get("PORTAL_HOST", "127.0.0.1"), int(os.environ.get("PORTAL_PORT", "8001"))
    web.run_app(create_standalone(settings, config=config_from_env()), host=host, port=port,
                print=lambda text: logging.getLogger("backend.web").info("%s", text.strip()))


if __name__ == "__main__":
    main()
