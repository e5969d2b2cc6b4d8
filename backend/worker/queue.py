"""The task queue: one huey instance per process, shared by every worker.

SQLite (``<VAR_DIR>/huey.sqlite3``) by default, so one machine needs nothing
else; Redis when ``REDIS_URL`` is set, so workers on several machines take
from one queue. ``HUEY_NAME`` (default ``fieldserv``) names the queue (tests
use their own). Results are not kept: each schedule run records its own in
``schedule_runs``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey

from backend.settings import Settings

DEFAULT_NAME = "fieldserv"


def make_huey(settings: Settings, env: Mapping[str, str] | None = None, *, immediate: bool = False) -> Huey:
    """The queue as configured; ``immediate=True`` (unit tests): in memory,
    each task run at once in the caller's thread when it is enqueued."""
    env = os.environ if env is None else env
    name = env.get("HUEY_NAME") or DEFAULT_NAME
    if immediate:
        return MemoryHuey(name, results=False, immediate=True)
    redis_url = env.get("REDIS_URL")
    if redis_url:
        return RedisHuey(name, url=redis_url, results=False)
    path = settings.var_dir / "huey.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), results=False)


def describe(huey: Huey) -> str:
    """Where the queue is, without secrets (for the health answer and the log)."""
    storage = huey.storage
    if isinstance(huey, RedisHuey):
        kw = storage.pool.connection_kwargs
        return f"redis://{kw.get('host', '?')}:{kw.get('port', '?')}/{kw.get('db', 0)} ({huey.name})"
    if isinstance(huey, SqliteHuey):
        return f"sqlite:{storage.filename} ({huey.name})"
    return f"memory ({huey.name})"
