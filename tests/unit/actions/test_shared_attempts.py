"""The identity-check miss count shared in Redis (actions/attempts.py), as
several action-server processes keep it: two counters on one Redis are two
processes; a Redis that does not answer leaves each process its own count.
The real two-action-server case is tests/integration/livechat/test_rasa_processes.py."""

from __future__ import annotations

import uuid

import pytest

from actions.attempts import FailedAttempts, RedisFailedAttempts, from_env


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.redis
def test_two_processes_keep_one_count_within_the_window():
    from tests.conftest import _require
    import redis

    url = _require("TEST_REDIS_URL", "Redis")
    prefix, clock = f"test-idmiss-{uuid.uuid4().hex[:8]}", Clock()
    one, two = (RedisFailedAttempts(redis.Redis.from_url(url), limit=5, window=900, prefix=prefix, clock=clock)
                for _ in range(2))
    try:
        for counter in (one, one, one, two):
            counter.failed("JB-000001")
        assert not one.blocked("JB-000001") and not two.blocked("JB-000001")
        two.failed("JB-000001")  # the fifth, from the other process
        assert one.blocked("JB-000001") and two.blocked("JB-000001")
        assert not one.blocked("JB-000002")  # per reference
        clock.now += 901
        assert not one.blocked("JB-000001")  # the misses left the window
        for _ in range(5):
            one.failed("JB-000003")
        two.succeeded("JB-000003")  # a success anywhere clears it everywhere
        assert one.blocked("JB-000003") is False
    finally:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_without_redis_each_process_counts_alone():
    import time

    dead = from_env({"REDIS_URL": "redis://127.0.0.1:1/0"}).client  # nothing listens on port 1
    started = time.monotonic()
    counter = RedisFailedAttempts(dead, limit=2, window=900)
    assert not counter.blocked("SR-000001")
    counter.failed("SR-000001")
    counter.failed("SR-000001")
    assert counter.blocked("SR-000001")  # the in-process count still holds
    counter.succeeded("SR-000001")
    assert not counter.blocked("SR-000001")
    assert time.monotonic() - started < 3  # one refused connection, then Redis is left alone for a while


def test_from_env_picks_redis_only_when_configured():
    assert isinstance(from_env({}), FailedAttempts)
    assert isinstance(from_env({"REDIS_URL": "redis://127.0.0.1:6379/2"}), RedisFailedAttempts)
    chosen = from_env({"REDIS_URL": "redis://127.0.0.1:6379/2", "IDENTITY_MISS_REDIS_URL": "redis://127.0.0.1:6379/5",
                       "IDENTITY_MISS_PREFIX": "p"})
    assert chosen.client.connection_pool.connection_kwargs["db"] == 5 and chosen.prefix == "p"
