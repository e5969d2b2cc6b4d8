"""The threads beside the queue, each a step called in a loop.

A step returns whether it found work (then it is called again at once) or
not (then the loop waits ``interval``). A step that raises is logged as one
line and tried again after a backoff (twice the interval, doubling, at most
``MAX_BACKOFF``), so a database or transport outage neither kills the
thread nor floods the log.

- the dispatcher: ``backend.delivery.dispatcher.dispatch_once`` every
  ``WORKER_POLL_SECONDS`` (1 s), so notices go out within seconds; safe with
  several workers (the deliveries are leased in the database);
- the "run now" pick-up: requests from the admin page put on the queue.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime, timedelta
from typing import Any

from backend.db import UnitOfWork, utcnow
from backend.delivery.dispatcher import LEASE, dispatch_once
from backend.delivery.registry import default_channels
from backend.schedules import service as schedules
from backend.schedules.models import RunTrigger
from backend.settings import Settings
from backend.worker.schedules import Registered

log = logging.getLogger("backend.worker")

MAX_BACKOFF = 30.0


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


@dataclass
class LoopStatus:
    name: str
    rounds: int = 0
    last_ok_at: datetime | None = None
    last_busy_at: datetime | None = None
    last_result: dict[str, Any] = field(default_factory=dict)
    last_error: str | None = None
    last_error_at: datetime | None = None
    failures: int = 0  # in a row

    def as_dict(self) -> dict[str, Any]:
        iso = lambda v: v.isoformat(timespec="seconds") if v else None
        return {"rounds": self.rounds, "last_ok_at": iso(self.last_ok_at), "last_busy_at": iso(self.last_busy_at),
                "last_result": self.last_result, "last_error": self.last_error,
                "last_error_at": iso(self.last_error_at), "failures_in_a_row": self.failures}


class Loop(threading.Thread):
    def __init__(self, name: str, step: Callable[[LoopStatus], bool], *, interval: float,
                 stop: threading.Event) -> None:
        super().__init__(name=name, daemon=True)
        self.step, self.interval, self.stop_event = step, interval, stop
        self.stats = LoopStatus(name)

    def run(self) -> None:
        status = self.stats
        while not self.stop_event.is_set():
            try:
                busy = self.step(status)
            except Exception as exc:
                status.failures += 1
                status.last_error, status.last_error_at = one_line(exc), utcnow()
                delay = min(self.interval * 2 ** status.failures, MAX_BACKOFF)
                log.error("%s: %s (trying again in %.0f s)", self.name, status.last_error, delay)
                self.stop_event.wait(delay)
                continue
            status.rounds += 1
            status.failures = 0
            status.last_ok_at = utcnow()
            if busy:
                status.last_busy_at = status.last_ok_at
            else:
                self.stop_event.wait(self.interval)


def dispatch_step(uow: UnitOfWork, settings: Settings, *, worker: str, batch: int = 50,
                  channels: Mapping[str, Any] | None = None,
                  env: Mapping[str, str] | None = None) -> Callable[[LoopStatus], bool]:
    """One round of the outbox dispatcher. The channels are built on the first
    round (``default_channels``) unless given."""
    held: dict[str, Any] = {}

    env = os.environ if env is None else env
    lease = timedelta(seconds=float(env.get("DELIVERY_LEASE_SECONDS", LEASE.total_seconds())))

    def step(status: LoopStatus) -> bool:
        if "channels" not in held:
            held["channels"] = channels if channels is not None else default_channels(settings, uow, env)
            log.info("dispatcher: channels %s (and the portal inbox)", ", ".join(sorted(held["channels"])) or "none")
        result = dispatch_once(uow, held["channels"], worker=worker, batch=batch, lease=lease)
        busy = bool(getattr(result, "busy", False))
        if busy:
            status.last_result = asdict(result) if is_dataclass(result) else {"result": str(result)}
        return busy

    return step


def requests_step(uow: UnitOfWork, registered: Registered, *, worker: str) -> Callable[[LoopStatus], bool]:
    """Put the admin page's "run now" requests on the queue."""

    def step(status: LoopStatus) -> bool:
        taken = schedules.take_requested(uow, worker=worker)
        for req in taken:
            try:
                registered.run_slot(req.name, req.slot, str(RunTrigger.MANUAL))
            except Exception:
                schedules.unqueue(uow, req.run_id)
                raise
            log.info("run now: %s (%s) queued", req.name, req.slot)
        if taken:
            status.last_result = {"queued": [f"{r.name} {r.slot}" for r in taken]}
        return bool(taken)

    return step
