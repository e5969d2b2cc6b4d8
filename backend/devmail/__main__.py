"""``python -m backend.devmail``: the development mail server (see the package's docstring)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path

from backend.devmail.server import serve
from backend.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m backend.devmail", description="development SMTP server")
    parser.add_argument("--host", default=os.environ.get("DEVMAIL_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("DEVMAIL_PORT", "8025")))
    parser.add_argument("--http-port", type=int, default=int(os.environ.get("DEVMAIL_HTTP_PORT", "8026")),
                        help="where /health answers")
    parser.add_argument("--folder", type=Path, default=None, help="default: $VAR_DIR/mail (var/mail)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's own line per command
    folder = args.folder or Settings.from_env().var_dir / "mail"
    try:
        asyncio.run(serve(folder, host=args.host, port=args.port, http_port=args.http_port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
