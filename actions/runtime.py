"""Composition root of the action server: what the actions call, built once.

Nothing connects at import time. The first action that needs the backend
builds the engine and the unit of work from ``Settings.from_env()``; tests
call :func:`configure` with their own database (and, if they like, their
own knowledge-base searcher and clock).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from actions import attempts
from actions.attempts import FailedAttempts
from backend.db import UnitOfWork, make_engine, make_session_factory
from backend.settings import Settings

DEFAULT_ZONE = "Asia/Kolkata"  # the customers' clock; BOT_TIMEZONE overrides it
# Where a customer reads a whole knowledge-base article: the portal's public page,
# as the hub serves it under `make run`; KB_ARTICLE_URL overrides it.
DEFAULT_ARTICLE_URL = "http://127.0.0.1:8080/portal/kb/{slug}"


@dataclass
class Runtime:
    settings: Settings
    uow: UnitOfWork
    zone: tzinfo
    # () -> a kb.search.Searcher, or None when there is no knowledge base
    searcher_factory: Callable[[], Any] | None = None
    clock: Callable[[], datetime] | None = None
    article_url: str = DEFAULT_ARTICLE_URL
    # failed identity checks per reference, across every chat this server serves
    # (across every action server, in Redis, when REDIS_URL is set: attempts.from_env)
    identity_misses: FailedAttempts | attempts.RedisFailedAttempts = field(default_factory=FailedAttempts)
    _searcher: Any = field(default=None, repr=False)
    _searcher_built: bool = field(default=False, repr=False)

    def now(self) -> datetime:
        return self.clock() if self.clock else datetime.now(self.zone)

    def searcher(self) -> Any:
        """The knowledge-base searcher, built on first use; None if unavailable."""
        if not self._searcher_built:
            with _lock:
                if not self._searcher_built:
                    self._searcher = self.searcher_factory() if self.searcher_factory else None
                    self._searcher_built = True
        return self._searcher


_lock = threading.Lock()
_runtime: Runtime | None = None


def get() -> Runtime:
    global _runtime
    if _runtime is None:
        with _lock:
            if _runtime is None:
                _runtime = _from_env()
    return _runtime


def configure(runtime: Runtime | None) -> None:
    """Install a runtime (tests), or forget it (None) so the next call rebuilds."""
    global _runtime
    _runtime = runtime


def _from_env() -> Runtime:
    settings = Settings.from_env()
    uow = UnitOfWork(make_session_factory(make_engine(settings.database_url)))
    return Runtime(settings=settings, uow=uow, zone=zone_from_env(), searcher_factory=lambda: kb_searcher(settings),
                   article_url=os.environ.get("KB_ARTICLE_URL") or DEFAULT_ARTICLE_URL,
                   identity_misses=attempts.from_env(os.environ))  # shared in Redis when REDIS_URL is set


def zone_from_env(env: dict[str, str] | None = None) -> tzinfo:
    name = (env if env is not None else os.environ).get("BOT_TIMEZONE", DEFAULT_ZONE)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def kb_searcher(settings: Settings) -> Any:
    """The knowledge base's searcher over its index folder, or None without one."""
    try:
        from kb.cli import index_dir
        from kb.search import Searcher
    except ImportError:  # kb/ not installed in this environment
        return None
    folder: Path = index_dir(settings)
    return Searcher(folder)
