"""A real SMTP server for tests (aiosmtpd, in a thread, on a free port) that
keeps what it accepts and answers as a test tells it to: a recipient refused,
a message put off ("451 try later"), authentication required."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class Mailbox:
    """aiosmtpd's handler. ``refuse`` maps an address to the answer to its RCPT;
    ``put_off`` holds answers to the next DATA commands, one each."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    put_off: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.refuse.clear()
            self.put_off.clear()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        with self.lock:
            answer = self.refuse.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            if self.put_off:
                return self.put_off.pop(0)
            raw = envelope.original_content
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          BytesParser(policy=policy.default).parsebytes(raw), raw))
        return "250 OK queued"

    def with_subject(self, subject: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.message["Subject"] == subject]


class SmtpServer:
    """``with SmtpServer() as smtp: ... smtp.url``; extra keywords go to aiosmtpd
    (``ssl_context`` for SMTPS, ``tls_context`` for STARTTLS, ``authenticator``)."""

    def __init__(self, scheme: str = "smtp", userinfo: str = "", **kwargs) -> None:
        self.box = Mailbox()
        self.port = free_port()
        self.url = f"{scheme}://{userinfo}127.0.0.1:{self.port}"
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port, server_hostname="smtp.test",
                                     **kwargs)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
