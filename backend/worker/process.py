"""One worker process: the huey consumer (thread workers and the periodic
scheduler), the dispatcher and "run now" loops, the health endpoint, and a
main loop that beats the heartbeat and stops everything on a signal.

Environment (besides DATABASE_URL, VAR_DIR and the schedules' own, see
``backend.schedules.registry.ScheduleConfig``):

    REDIS_URL             the queue on Redis (else SQLite under VAR_DIR)
    HUEY_NAME             the queue's name (fieldserv)
    WORKER_THREADS        task threads (2)
    WORKER_POLL_SECONDS   dispatcher and "run now" pick-up interval (1.0)
    WORKER_HEALTH_HOST    where /health listens (127.0.0.1) ...
    WORKER_HEALTH_PORT    ... and on which port (8091; 0: any free one)
    WORKER_ID             this worker's name in the records (host:pid)
    WORKER_CATCH_UP       0: do not run, at start, a firing missed while no worker was up
    WORKER_DISPATCH       0: no dispatcher thread in this worker
    WORKER_STOP_SECONDS   how long a stop waits for a running task (5)
    WORKER_BATCH          deliveries claimed per dispatcher round (50)
    DELIVERY_LEASE_SECONDS  how long a claimed delivery is this worker's before another may send it (60)
    SMTP_URL, MAIL_FROM, PORTAL_URL, HUB_URL, WEBHOOK_URL, WEBHOOK_SECRET: the channels
    (``backend.delivery.registry``)
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from huey import Huey
from huey.consumer import Consumer

import backend.models  # noqa: F401  (every area's tables on the metadata)
from backend.db import UnitOfWork, make_engine, make_session_factory, utcnow
from backend.schedules.registry import ScheduleConfig
from backend.settings import Settings
from backend.worker.health import STALE, HealthServer
from backend.worker.loops import Loop, dispatch_step, requests_step
from backend.worker.queue import describe, make_huey
from backend.worker.schedules import WorkerContext, catch_up, register

log = logging.getLogger("backend.worker")

HEARTBEAT = 0.5
WORKER_HEALTH_CHECK = 5.0


class _Consumer(Consumer):
    """huey's consumer without its signal handlers: the worker stops it itself
    (and may run in a thread of a test)."""

    def _set_signal_handlers(self) -> None:
        pass


def _flag(env: Mapping[str, str], name: str, default: bool = True) -> bool:
    value = env.get(name)
    return default if value is None or value == "" else value not in ("0", "false", "no", "off")


class Worker:
    def __init__(self, settings: Settings, env: Mapping[str, str] | None = None, *, uow: UnitOfWork | None = None,
                 huey: Huey | None = None, config: ScheduleConfig | None = None,
                 clock: Callable[[], datetime] = utcnow, channels: Mapping[str, Any] | None = None,
                 health: bool = True) -> None:
        env = dict(os.environ if env is None else env)
        self.settings, self.env = settings, env
        self.worker_id = (env.get("WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}")[:64]
        self.threads = max(int(env.get("WORKER_THREADS", "2")), 1)
        self.poll = max(float(env.get("WORKER_POLL_SECONDS", "1.0")), 0.05)
        self.stop_seconds = float(env.get("WORKER_STOP_SECONDS", "5"))
        self.catch_up = _flag(env, "WORKER_CATCH_UP")
        self.dispatch = _flag(env, "WORKER_DISPATCH")
        self._engine = None
        if uow is None:
            self._engine = make_engine(settings.database_url)
            uow = UnitOfWork(make_session_factory(self._engine))
        self.uow = uow
        self.huey = huey or make_huey(settings, env)
        self.ctx = WorkerContext(uow, config or ScheduleConfig.from_env(env), self.worker_id, clock)
        self.registered = register(self.huey, self.ctx)
        self._channels = channels
        self.stop_event = threading.Event()
        self.started_at: datetime | None = None
        self.heartbeat: datetime | None = None
        self._beat = 0.0  # monotonic time of the heartbeat
        self.consumer: Consumer | None = None
        self.loops: list[Loop] = []
        self.health: HealthServer | None = None
        if health:
            self.health = HealthServer(env.get("WORKER_HEALTH_HOST", "127.0.0.1"),
                                       int(env.get("WORKER_HEALTH_PORT", "8091")), self.snapshot)

    # --- running ---------------------------------------------------------------------------------

    def start(self) -> Worker:
        self.started_at = utcnow()
        self.beat()
        self.consumer = _Consumer(self.huey, workers=self.threads, periodic=True, worker_type="thread",
                                  initial_delay=0.1, backoff=1.15, max_delay=self.poll, scheduler_interval=1,
                                  check_worker_health=False)
        self.consumer.start()
        if self.dispatch:
            self.loops.append(Loop("dispatcher", dispatch_step(self.uow, self.settings, worker=self.worker_id,
                                                               channels=self._channels, env=self.env,
                                                               batch=max(int(self.env.get("WORKER_BATCH", "50")), 1)),
                                   interval=self.poll, stop=self.stop_event))
        self.loops.append(Loop("run-now", requests_step(self.uow, self.registered, worker=self.worker_id),
                               interval=self.poll, stop=self.stop_event))
        for loop in self.loops:
            loop.start()
        if self.catch_up:
            try:
                catch_up(self.ctx, self.registered)
            except Exception as exc:  # the database may not be there yet; the crontabs still fire
                log.error("catch-up at start failed: %s: %s", type(exc).__name__, exc)
        if self.health is not None:
            self.health.start()
        log.info("worker %s started: queue %s, %d task threads, dispatcher %s, health %s", self.worker_id,
                 describe(self.huey), self.threads, "on" if self.dispatch else "off",
                 self.health.url if self.health else "off")
        return self

    def beat(self) -> None:
        self.heartbeat, self._beat = utcnow(), time.monotonic()

    def run_until_stopped(self) -> None:
        """The main loop: heartbeat, and huey's dead-thread check, until ``stop_event``."""
        last_check = time.monotonic()
        while not self.stop_event.wait(HEARTBEAT):
            self.beat()
            if time.monotonic() - last_check >= WORKER_HEALTH_CHECK and self.consumer is not None:
                last_check = time.monotonic()
                try:
                    self.consumer.check_worker_health()
                except Exception as exc:
                    log.error("checking the task threads failed: %s", exc)

    def stop(self) -> None:
        """Stop taking tasks, wait up to WORKER_STOP_SECONDS for running ones,
        then close everything. A task cut off leaves its run ``running``; it
        is taken over after ``runs.STALE_RUNNING`` or by the queue's retry."""
        self.stop_event.set()
        deadline = time.monotonic() + self.stop_seconds
        if self.consumer is not None:
            self.consumer.stop_flag.set()
            threads = [t for _, t in self.consumer.worker_threads] + [self.consumer.scheduler]
            for t in threads + self.loops:
                if t.ident is not None:  # started
                    t.join(max(deadline - time.monotonic(), 0))
            unfinished = [t.name for t in threads + self.loops if t.ident is not None and t.is_alive()]
            if unfinished:
                log.warning("stopping with %s still busy", ", ".join(unfinished))
            self.huey.notify_interrupted_tasks()
        if self.health is not None:
            self.health.stop()
        if self._engine is not None:
            self._engine.dispose()
        log.info("worker %s stopped", self.worker_id)

    # --- health ----------------------------------------------------------------------------------

    def snapshot(self) -> tuple[bool, dict[str, Any]]:
        age = time.monotonic() - self._beat
        alive = age < STALE and not self.stop_event.is_set()
        try:
            queue = {"where": describe(self.huey), "pending": self.huey.pending_count(),
                     "scheduled": self.huey.scheduled_count()}
        except Exception as exc:
            queue = {"where": describe(self.huey), "error": f"{type(exc).__name__}: {exc}"}
        loops = {loop.name: loop.stats.as_dict() for loop in self.loops}
        return alive, {
            "status": "ok" if alive else "stale",
            "worker": self.worker_id,
            "started_at": self.started_at,
            "heartbeat": self.heartbeat,
            "heartbeat_age_s": round(age, 2),
            "queue": queue,
            "queue_size": queue.get("pending"),
            "last_dispatch": loops.get("dispatcher"),
            "loops": loops,
            "zone": self.ctx.config.zone,
            "latest_runs": [{"schedule": o.name, "slot": o.slot, "ran": o.ran, "summary": o.summary}
                            for o in list(self.ctx.outcomes)[-10:]],
        }
