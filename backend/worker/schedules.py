"""The schedules on the queue: one huey periodic task per schedule, and one
task that runs a schedule in a given slot.

Every worker's scheduler enqueues a periodic task when its crontab matches
(huey checks once a minute), so with several workers a firing is on the
queue several times; each copy claims the firing's slot in
``schedule_runs`` and all but one skip. The crontab is read in the company's
zone (``ScheduleConfig.zone``); huey hands the check a naive UTC time.

``register(huey, ctx)`` defines the tasks on a given huey instance, so a
test can run two workers (two instances on one Redis) in one process.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from huey import Huey, crontab
from huey.api import TaskWrapper

from backend.db import UnitOfWork, utcnow
from backend.schedules import service as schedules
from backend.schedules.crontab import Crontab
from backend.schedules.models import RunTrigger
from backend.schedules.registry import BY_NAME, SCHEDULES, Schedule, ScheduleConfig
from backend.schedules.runs import RunOutcome, execute

log = logging.getLogger("backend.worker")

RETRIES = 2  # a failed run is tried again (the bodies are idempotent) ...
RETRY_DELAY = 60  # ... after a minute
PERIOD = {"day": timedelta(days=1), "hour": timedelta(hours=1)}


@dataclass
class WorkerContext:
    """What the tasks of one worker run with."""

    uow: UnitOfWork
    config: ScheduleConfig
    worker: str  # this worker's name in schedule_runs and delivery leases
    clock: Callable[[], datetime] = utcnow
    outcomes: deque[RunOutcome] = field(default_factory=lambda: deque(maxlen=50))  # the latest, for /health


@dataclass(frozen=True)
class Registered:
    periodic: dict[str, TaskWrapper]  # schedule name -> its periodic task
    run_slot: TaskWrapper  # run_slot(name, slot, trigger): "run now" and catch-up


def zoned(cron: Crontab, zone: ZoneInfo) -> Callable[[datetime], bool]:
    """huey's own ``crontab`` check, on the wall clock of ``zone``."""
    check = crontab(strict=True, **cron.fields())

    def validate(timestamp: datetime) -> bool:
        utc = timestamp.replace(tzinfo=timezone.utc) if timestamp.tzinfo is None else timestamp
        return check(utc.astimezone(zone).replace(tzinfo=None))

    return validate


def _run(ctx: WorkerContext, schedule: Schedule, slot: str, trigger: str) -> str:
    outcome = execute(ctx.uow, schedule, ctx.config, slot=slot, trigger=trigger, worker=ctx.worker, clock=ctx.clock)
    ctx.outcomes.append(outcome)
    return "ran" if outcome.ran else "skipped"


def register(huey: Huey, ctx: WorkerContext) -> Registered:
    periodic = {sched.name: _periodic(huey, ctx, sched) for sched in SCHEDULES}

    def run_slot(name: str, slot: str, trigger: str = RunTrigger.MANUAL) -> str:
        schedule = BY_NAME.get(name)
        if schedule is None:  # renamed or removed since it was queued
            log.warning("no schedule named %s; the queued run of slot %s is dropped", name, slot)
            return "unknown"
        return _run(ctx, schedule, slot, trigger)

    task = huey.task(name="schedule_run", retries=RETRIES, retry_delay=RETRY_DELAY)(run_slot)
    return Registered(periodic, task)


def _periodic(huey: Huey, ctx: WorkerContext, schedule: Schedule) -> TaskWrapper:
    def fire() -> str:
        slot = schedule.slot_at(ctx.clock(), ctx.config.tz)
        if slot is None:
            return "no slot"
        return _run(ctx, schedule, slot, RunTrigger.SCHEDULE)

    fire.__doc__ = schedule.title
    return huey.periodic_task(zoned(schedule.crontab, ctx.config.tz), name=schedule.name, retries=RETRIES,
                              retry_delay=RETRY_DELAY)(fire)


def catch_up(ctx: WorkerContext, registered: Registered) -> list[tuple[str, str]]:
    """At start: each schedule whose latest firing (within its period) has
    no run yet, because no worker was up then, is queued now."""
    now = ctx.clock()
    queued = []
    for sched in SCHEDULES:
        fire = sched.crontab.last_at_or_before(now, ctx.config.tz)
        if fire is None or now - fire >= PERIOD[sched.period]:
            continue
        slot = sched.slot(fire, ctx.config.tz)
        if not schedules.slot_taken(ctx.uow, name=sched.name, slot=slot):
            registered.run_slot(sched.name, slot, str(RunTrigger.CATCH_UP))
            queued.append((sched.name, slot))
    if queued:
        log.info("catching up: %s", ", ".join(f"{n} {s}" for n, s in queued))
    return queued
