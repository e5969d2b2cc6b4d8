"""The development mail server: SMTP in (aiosmtpd), ``.eml`` files out,
and a small HTTP health answer for ``make run``'s supervisor."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from functools import partial
from pathlib import Path

from aiosmtpd.smtp import SMTP

from backend.devmail.mailbox import count, store

log = logging.getLogger("backend.devmail")
HOSTNAME = "devmail.fieldserv.local"


class Keeper:
    """aiosmtpd's handler: every message received is kept in ``folder`` (once per Message-ID)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        path, new = store(self.folder, raw)
        to = ", ".join(envelope.rcpt_tos)
        if new:
            log.info("kept a message from %s to %s as %s", envelope.mail_from, to, path.name)
            return f"250 OK kept as {path.name}"
        log.info("a message from %s to %s again (same Message-ID): already kept as %s", envelope.mail_from, to,
                 path.name)
        return f"250 OK already kept as {path.name}"


async def _health(folder: Path, smtp_address: str, reader: asyncio.StreamReader,
                  writer: asyncio.StreamWriter) -> None:
    try:
        request = await asyncio.wait_for(reader.readline(), 5)
        while await asyncio.wait_for(reader.readline(), 5) not in (b"\r\n", b"\n", b""):
            pass  # the headers: nothing in them matters here
        parts = request.decode("latin-1").split()
        if len(parts) >= 2 and parts[0] in ("GET", "HEAD") and parts[1].split("?")[0] == "/health":
            status = "200 OK"
            body = json.dumps({"status": "ok", "smtp": smtp_address, "folder": str(folder),
                               "messages": count(folder)}).encode()
        else:
            status, body = "404 Not Found", b'{"status": "not found"}'
        head = (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n").encode()
        writer.write(head + (body if parts and parts[0] != "HEAD" else b""))
        await writer.drain()
    except (asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(folder: Path, *, host: str = "127.0.0.1", port: int = 8025, http_port: int = 8026,
                stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (or SIGTERM / SIGINT when run as a program)."""
    loop = asyncio.get_running_loop()
    folder.mkdir(parents=True, exist_ok=True)
    keeper = Keeper(folder)
    smtp = await loop.create_server(lambda: SMTP(keeper, hostname=HOSTNAME, ident="fieldserv devmail"), host, port)
    http = await asyncio.start_server(partial(_health, folder, f"{host}:{port}"), host, http_port)
    if stop is None:
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    print(f"devmail: SMTP on {host}:{port}, keeping each message in {folder}; "
          f"health on http://{host}:{http_port}/health", flush=True)
    try:
        await stop.wait()
    finally:
        smtp.close()
        http.close()
        await smtp.wait_closed()
        await http.wait_closed()
