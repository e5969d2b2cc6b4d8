"""The worker's loops survive a failing step (one logged line, a backoff)
and its queue is SQLite by default, Redis with REDIS_URL."""

from __future__ import annotations

import logging
import threading

from huey import MemoryHuey, RedisHuey, SqliteHuey

from backend.settings import Settings
from backend.worker.loops import Loop
from backend.worker.queue import make_huey


def test_a_loop_logs_a_failing_step_in_one_line_and_carries_on(caplog):
    stop = threading.Event()
    calls = []

    def step(status):
        calls.append(1)
        if len(calls) <= 2:
            raise RuntimeError("database is away\nsecond line of detail")
        if len(calls) >= 4:
            stop.set()
        return len(calls) == 3  # found work: called again at once

    loop = Loop("dispatcher", step, interval=0.01, stop=stop)
    with caplog.at_level(logging.ERROR, logger="backend.worker"):
        loop.start()
        loop.join(30)
    assert not loop.is_alive() and len(calls) == 4
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[0].startswith("dispatcher: RuntimeError: database is away (trying again in")
    assert len(errors) == 2 and all("\n" not in e and "second line" not in e for e in errors)
    stats = loop.stats.as_dict()
    assert stats["rounds"] == 2 and stats["failures_in_a_row"] == 0 and stats["last_busy_at"]
    assert stats["last_error"] == "RuntimeError: database is away"


def test_the_queue_is_sqlite_under_var_by_default_and_redis_with_redis_url(tmp_path):
    settings = Settings(var_dir=tmp_path)
    sqlite = make_huey(settings, {})
    assert isinstance(sqlite, SqliteHuey) and sqlite.name == "fieldserv"
    assert sqlite.storage.filename == str(tmp_path / "huey.sqlite3")
    redis = make_huey(settings, {"REDIS_URL": "redis://127.0.0.1:6379/3", "HUEY_NAME": "other"})
    assert isinstance(redis, RedisHuey) and redis.name == "other"  # nothing connects until used
    assert isinstance(make_huey(settings, {}, immediate=True), MemoryHuey)
