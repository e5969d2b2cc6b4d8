"""The API served for real on a free port (in a thread), a small client that
logs in as each role, and a snapshot of every table to prove that a refused
call changed nothing."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from aiohttp import web
from sqlalchemy import select

from backend.api import create_app
from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.models import metadata
from backend.settings import Settings

from .world import PASSWORD, World, build_world

UPLOAD_LIMIT = 64 * 1024  # small, so that the oversized upload test is cheap


class ServedApp:
    """An aiohttp app on 127.0.0.1:<free port>, its loop in a daemon thread."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="api-under-test", daemon=True)
        self.base_url = ""

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._runner = web.AppRunner(self._app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def __enter__(self) -> "ServedApp":
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the API did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(15)


@dataclass
class Api:
    """requests against the served API, as one of the world's logins."""

    base_url: str
    world: World
    tokens: dict[str, str] = field(default_factory=dict)
    http: requests.Session = field(default_factory=requests.Session)
    engine: Any = None
    uow: Any = None
    slots_used: int = 0

    def next_slot(self) -> dict[str, str]:
        """A two-hour appointment no other test job of this world has taken."""
        n = self.slots_used
        self.slots_used += 1
        return appointment(days=1 + n // 4, hour=8 + 3 * (n % 4))

    def token(self, who: str) -> str:
        if who not in self.tokens:
            r = self.http.post(f"{self.base_url}/api/login",
                               json={"email": self.world.emails[who], "password": PASSWORD}, timeout=30)
            assert r.status_code == 200, r.text
            self.tokens[who] = r.json()["token"]
        return self.tokens[who]

    def call(self, method: str, path: str, *, who: str | None = None, headers: dict | None = None,
             **kw: Any) -> requests.Response:
        headers = dict(headers or {})
        if who is not None:
            headers["Authorization"] = f"Bearer {self.token(who)}"
        return self.http.request(method, f"{self.base_url}{path}", headers=headers, timeout=60, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.call("POST", path, **kw)

    def ok(self, method: str, path: str, *, status: int | tuple[int, ...] = (200, 201), **kw: Any) -> Any:
        r = self.call(method, path, **kw)
        wanted = (status,) if isinstance(status, int) else status
        assert r.status_code in wanted, f"{method} {path} -> {r.status_code} {r.text}"
        return r.json()


def api_settings(tmp: Path, url: str) -> Settings:
    return Settings(var_dir=tmp, database_url=url, secret_key="test-secret", upload_max_bytes=UPLOAD_LIMIT)


@contextmanager
def serve(engine, tmp: Path) -> Iterator[Api]:
    uow = UnitOfWork(make_session_factory(engine))
    world = build_world(uow)
    settings = api_settings(tmp, str(engine.url))
    with ServedApp(create_app(settings, uow)) as served:
        api = Api(served.base_url, world, engine=engine, uow=uow)
        yield api
        api.http.close()


@pytest.fixture
def api(engine, tmp_path) -> Iterator[Api]:
    """A fresh world on each backend (SQLite; PostgreSQL when TEST_DATABASE_URL is set)."""
    with serve(engine, tmp_path) as client:
        yield client


@pytest.fixture
def sqlite_api(sqlite_engine, tmp_path) -> Iterator[Api]:
    with serve(sqlite_engine, tmp_path) as client:
        yield client


@pytest.fixture(scope="module")
def shared_api(sqlite_template, tmp_path_factory) -> Iterator[Api]:
    """One world for a whole module of refusals (each refusal changes nothing)."""
    tmp = tmp_path_factory.mktemp("shared")
    path = tmp / "api.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with serve(engine, tmp) as client:
        yield client
    engine.dispose()


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    out: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(map(str, row)) for row in conn.execute(select(table).order_by(*order))]
    return out


def appointment(days: int = 1, hour: int = 10, hours: int = 2) -> dict[str, str]:
    start = datetime.combine(datetime.now(timezone.utc).date() + timedelta(days=days), time(hour), timezone.utc)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()}
