"""Failed identity checks counted per reference, across conversations.

A visitor proves who they are with a reference and the phone or e-mail on
file; references are short and sequential, so a script could try one
reference from many new chats. Each chat already stops after three misses
(``MAX_IDENTIFY_FAILURES``); this stops the same reference for everyone
after ``limit`` misses in ``window`` seconds, without even asking the
backend, so a blocked reference tells an attacker nothing. A success clears
the count. ``FailedAttempts`` keeps it in the action server's memory (one
process serves the bot, as under ``make run``); with several action servers
(``make run-prod``) ``RedisFailedAttempts`` keeps one count for all of them in
Redis, chosen by ``from_env`` when ``REDIS_URL`` (or
``IDENTITY_MISS_REDIS_URL``) is set.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger("actions.attempts")


class FailedAttempts:
    def __init__(self, *, limit: int = 5, window: float = 900.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._misses: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        misses, now = self._misses[key], self._clock()
        while misses and now - misses[0] > self.window:
            misses.popleft()
        return misses

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key)) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key).append(self._clock())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._misses.pop(key, None)


REDIS_RETRY_S = 30  # seconds to count locally after Redis failed, before asking it again


class RedisFailedAttempts:
    """The same count in Redis, shared by every action-server process: one
    sorted set per reference (``<prefix>:<reference>``), a miss a member
    scored by its time, trimmed to the window on each look, expiring with it.
    Times are wall-clock seconds (``time.time``), so the machines' clocks must
    agree (NTP). When Redis does not answer, the process falls back to its
    own in-memory count (``local``) for ``REDIS_RETRY_S``, so a Redis outage
    weakens the limit to per-process, as before, and neither stalls nor
    blocks every chat."""

    def __init__(self, client: Any, *, limit: int = 5, window: float = 900.0, prefix: str = "fieldserv:idmiss",
                 clock: Callable[[], float] = time.time) -> None:
        self.client, self.limit, self.window, self.prefix, self._clock = client, limit, window, prefix, clock
        self.local = FailedAttempts(limit=limit, window=window)
        self._skip_until = 0.0  # after a failure, Redis is left alone for a while (no stall on every chat)

    def _redis_ok(self) -> bool:
        return time.monotonic() >= self._skip_until

    def _redis_failed(self, exc: BaseException) -> None:
        self._skip_until = time.monotonic() + REDIS_RETRY_S
        log.warning("identity-miss count: Redis unavailable (%s); counting in this process for %d s",
                    exc, REDIS_RETRY_S)

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    def blocked(self, key: str) -> bool:
        now = self._clock()
        if not self._redis_ok():
            return self.local.blocked(key)
        try:
            pipe = self.client.pipeline()
            pipe.zremrangebyscore(self._key(key), "-inf", now - self.window)
            pipe.zcard(self._key(key))
            count = pipe.execute()[1]
        except Exception as exc:  # redis.RedisError, OSError: count locally meanwhile
            self._redis_failed(exc)
            return self.local.blocked(key)
        return count >= self.limit  # Redis answers: its count is the one that holds

    def failed(self, key: str) -> None:
        now = self._clock()
        self.local.failed(key)
        if not self._redis_ok():
            return
        try:
            pipe = self.client.pipeline()
            pipe.zadd(self._key(key), {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
            pipe.zremrangebyscore(self._key(key), "-inf", now - self.window)
            pipe.expire(self._key(key), int(self.window) + 1)
            pipe.execute()
        except Exception as exc:
            self._redis_failed(exc)

    def succeeded(self, key: str) -> None:
        self.local.succeeded(key)
        if not self._redis_ok():
            return
        try:
            self.client.delete(self._key(key))
        except Exception as exc:
            self._redis_failed(exc)


def from_env(env: Mapping[str, str]) -> FailedAttempts | RedisFailedAttempts:
    """``RedisFailedAttempts`` on ``IDENTITY_MISS_REDIS_URL``, else ``REDIS_URL``,
    when one is set (several action servers), else the in-memory count.
    Connects lazily (on the first look)."""
    url = env.get("IDENTITY_MISS_REDIS_URL") or env.get("REDIS_URL")
    if not url:
        return FailedAttempts()
    import redis

    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # one try, one second at most: the actions call this on the event loop
    client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0, retry=Retry(NoBackoff(), 0))
    return RedisFailedAttempts(client, prefix=env.get("IDENTITY_MISS_PREFIX", "fieldserv:idmiss"))
