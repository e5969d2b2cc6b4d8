"""The live-chat hub (with the portal and the API mounted) and a stand-in
Rasa, on their own event loop in a thread: a module can share one hub, and a
synchronous test (or Playwright's sync API) can drive it while the worker's
synchronous channels call it over HTTP."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from backend.db import UnitOfWork, make_engine, make_session_factory
from tests.factories import build_world
from tests.integration.livechat.harness import FakeRasa, hub_settings, start_hub


class ThreadHub:
    def __init__(self, database_url: str, uow: UnitOfWork, **settings: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="hub-under-test", daemon=True)
        self.database_url, self.uow, self.overrides = database_url, uow, settings
        self.url = ""

    def __enter__(self) -> "ThreadHub":
        self.thread.start()
        self.rasa = self._run(FakeRasa().start())
        settings = replace(hub_settings(self.database_url, rasa_url=self.rasa.url), **self.overrides)
        self.hub = self._run(start_hub(settings, self.uow))
        self.url = self.hub.url
        return self

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def __exit__(self, *exc) -> None:
        try:
            self._run(self.hub.stop())
            self._run(self.rasa.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


@contextmanager
def hub_on_a_copy(template: Path, folder: Path, **settings: Any) -> Iterator[ThreadHub]:
    """A hub (with the portal) on a fresh copy of the migrated template
    database in ``folder``, with the test world built in it (``hub.world``)."""
    path = folder / "hub.sqlite3"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    world = build_world(uow)
    try:
        with ThreadHub(url, uow, **settings) as hub:
            hub.world, hub.database_url = world, url
            yield hub
    finally:
        engine.dispose()
