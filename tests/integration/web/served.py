"""The portal served for real on a free port (its loop in a thread) over a
migrated SQLite database with the test world; a ``requests`` client that
logs in as any role and reads the CSRF token from the page it got."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from dataclasses import dataclass

import requests
from aiohttp import web

from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.settings import Settings
from backend.web import PortalConfig, create_standalone
from tests.factories import PASSWORD, World, build_world

CSRF = re.compile(r'name="_csrf" value="([0-9a-f]+)"')


class Served:
    def __init__(self, app: web.Application) -> None:
        self._app, self._loop = app, asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="portal-under-test", daemon=True)
        self.base_url = ""

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self._app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        host, port = runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()

    def __enter__(self) -> "Served":
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the portal did not start")
        return self

    def __exit__(self, *exc) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@dataclass
class Portal:
    url: str
    world: World
    uow: UnitOfWork
    settings: Settings

    def client(self, who: str | None = None) -> "Client":
        c = Client(self.url)
        if who:
            c.login(self.world.emails[who], PASSWORD)
        return c


class Client:
    def __init__(self, base: str) -> None:
        self.base, self.http = base, requests.Session()
        self.csrf = ""

    def get(self, path: str, **kw) -> requests.Response:
        full = path if path.startswith("http") else self.base + path
        r = self.http.get(full, allow_redirects=kw.pop("allow_redirects", True), timeout=30, **kw)
        found = CSRF.search(r.text) if r.headers.get("Content-Type", "").startswith("text/html") else None
        if found:
            self.csrf = found.group(1)
        return r

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kw) -> requests.Response:
        data = dict(data or {})
        if csrf:
            if not self.csrf:
                self.get("/portal/login")
            data.setdefault("_csrf", self.csrf)
        full = path if path.startswith("http") else self.base + path
        r = self.http.post(full, data=data, timeout=30, allow_redirects=kw.pop("allow_redirects", True), **kw)
        found = CSRF.search(r.text) if r.headers.get("Content-Type", "").startswith("text/html") else None
        if found:
            self.csrf = found.group(1)
        return r

    def login(self, email: str, password: str) -> requests.Response:
        self.get("/portal/login")
        r = self.post("/portal/login", {"email": email, "password": password})
        assert r.status_code == 200, r.text[:500]
        return r


def finished_page(client: Client, url: str, *, within: float = 60.0) -> requests.Response:
    """A progress page once it no longer refreshes itself: its task has ended (waited for, bounded)."""
    deadline = time.monotonic() + within
    while True:
        page = client.get(url)
        if 'http-equiv="refresh"' not in page.text:
            return page
        assert time.monotonic() < deadline, "the task did not end"
        time.sleep(0.1)


def serve(sqlite_url: str, tmp_path) -> tuple[Served, Portal]:
    engine = make_engine(sqlite_url)
    uow = UnitOfWork(make_session_factory(engine))
    world = build_world(uow)
    settings = Settings(var_dir=tmp_path / "var", database_url=sqlite_url, secret_key="test-secret",
                        upload_max_bytes=256 * 1024)
    app = create_standalone(settings, uow, config=PortalConfig(widget_url="/widget.js", console_url="/console",
                                                               timezone="UTC"))
    served = Served(app)
    return served, Portal("", world, uow, settings)
