"""The portal served for real over the test world, on SQLite and PostgreSQL
(``any_uow``), beside the development mail server as its own process
(``python -m backend.devmail``, as ``make run`` starts it): ``site.deliver()``
runs the outbox dispatcher with the real e-mail channel into it, and
``site.mails(to)`` reads back what arrived."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.db import UnitOfWork
from backend.delivery.dispatcher import dispatch_once
from backend.delivery.email import EmailChannel
from backend.devmail import mailbox
from backend.settings import Settings
from backend.web import PortalConfig, create_standalone
from tests.factories import World, build_world
from tests.integration.web.served import Client, Served
from tests.support.devmail import devmail_process

SECRET = "signup-test-secret"
LINK = re.compile(r"https?://[^\s\"'<>]+")


@dataclass
class Mail:
    to: str
    subject: str
    text: str
    html: str

    def link(self, path: str) -> str:
        """The one link of the message that leads to ``path`` (in the text part, and the same in the HTML)."""
        found = sorted({u for u in LINK.findall(self.text) if path in u})
        assert len(found) == 1, (path, self.text)
        assert f'href="{found[0]}"' in self.html
        return found[0]


@dataclass
class Site:
    url: str
    world: World
    uow: UnitOfWork
    settings: Settings
    channel: EmailChannel
    folder: Path

    def client(self) -> Client:
        return Client(self.url)

    def deliver(self) -> None:
        for _ in range(20):
            if not dispatch_once(self.uow, {"email": self.channel}, worker="signup-test").busy:
                return
        raise AssertionError("the dispatcher never ran out of work")

    def mails(self, to: str, subject: str | None = None) -> list[Mail]:
        out = []
        for summary in reversed(mailbox.list_mail(self.folder)):  # oldest first
            if to in summary.to and (subject is None or summary.subject == subject):
                m = mailbox.read_mail(self.folder, summary.name)
                out.append(Mail(summary.to, summary.subject, m.text or "", m.html or ""))
        return out


@pytest.fixture(scope="package")
def devmail_server(tmp_path_factory):
    with devmail_process(tmp_path_factory.mktemp("devmail") / "mail") as server:
        yield server


@pytest.fixture
def devmail(devmail_server):
    for path in devmail_server.folder.glob("*.eml"):
        path.unlink()
    return devmail_server


@pytest.fixture
def site(any_uow, tmp_path, devmail):
    world = build_world(any_uow)
    settings = Settings(var_dir=tmp_path / "var", database_url="sqlite://", secret_key=SECRET,
                        upload_max_bytes=256 * 1024)
    app = create_standalone(settings, any_uow, config=PortalConfig(widget_url=None, timezone="UTC"))
    with Served(app) as served:
        channel = EmailChannel(devmail.url, "fieldserv <no-reply@fieldserv.local>", any_uow,
                               portal_url=served.base_url + "/portal", pay_secret=SECRET)
        yield Site(served.base_url, world, any_uow, settings, channel, devmail.folder)
