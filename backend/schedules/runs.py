"""Running a schedule in a slot, once across all workers.

``claim`` inserts the slot's row (state ``running``): the unique (name, slot)
lets one insert in; every other worker gets an IntegrityError and skips. A
row that is already there is taken over only when it waits to be run (a
"run now" that is requested or queued), failed (the queue's retry), or is
running on a worker that has not finished it in ``STALE_RUNNING`` (it died).
Each take-over is a compare-and-set, so it too has one winner. Then
``execute`` runs the body (its own transactions) and ``finish`` records the
outcome, if this worker still holds the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.db import UnitOfWork, utcnow
from backend.schedules.lifecycle import move_run
from backend.schedules.models import RunState as R
from backend.schedules.models import RunTrigger, ScheduleRun
from backend.schedules.registry import Moment, Schedule, ScheduleConfig

log = logging.getLogger("backend.schedules")

STALE_RUNNING = timedelta(hours=1)
MAX_ERROR = 2000


@dataclass(frozen=True)
class RunOutcome:
    name: str
    slot: str
    ran: bool  # False: another worker has (or had) this slot
    state: str | None = None
    summary: str | None = None
    run_id: int | None = None


def claim(uow: UnitOfWork, *, name: str, slot: str, trigger: str, worker: str,
          now: datetime | None = None) -> int | None:
    """This worker's run of ``name`` in ``slot`` (its row id), or None when
    another worker has it or has done it."""
    now = now or utcnow()
    try:
        with uow() as s:
            run = ScheduleRun(name=name, slot=slot, trigger=str(trigger), state=str(R.RUNNING), requested_at=now,
                              started_at=now, worker=worker[:64], attempts=1)
            s.add(run)
            s.flush()
            return run.id
    except IntegrityError:
        pass  # the slot's row is there: someone else's, or one that waits for us
    with uow() as s:
        run_id = s.scalar(select(ScheduleRun.id).where(ScheduleRun.name == name, ScheduleRun.slot == slot))
        if run_id is None:
            return None
        take = dict(started_at=now, finished_at=None, worker=worker[:64], attempts=ScheduleRun.attempts + 1,
                    error=None)
        if move_run(s, run_id, [R.REQUESTED, R.QUEUED, R.FAILED], R.RUNNING, **take):
            return run_id
        if move_run(s, run_id, [R.RUNNING], R.RUNNING, where=[ScheduleRun.started_at < now - STALE_RUNNING], **take):
            log.warning("schedule %s slot %s: taking over a run left unfinished since before %s", name, slot,
                        (now - STALE_RUNNING).isoformat(timespec="seconds"))
            return run_id
    return None


def finish(uow: UnitOfWork, run_id: int, *, worker: str, ok: bool, summary: str | None = None,
           result: dict | None = None, error: str | None = None, now: datetime | None = None) -> bool:
    """Record how the run went; False when another worker has taken it over meanwhile."""
    with uow() as s:
        return move_run(s, run_id, [R.RUNNING], R.DONE if ok else R.FAILED, where=[ScheduleRun.worker == worker[:64]],
                        finished_at=now or utcnow(), summary=(summary or "")[:400] or None, result=result,
                        error=(error or "")[:MAX_ERROR] or None)


def execute(uow: UnitOfWork, schedule: Schedule, config: ScheduleConfig, *, slot: str,
            trigger: str = RunTrigger.SCHEDULE, worker: str,
            clock: Callable[[], datetime] = utcnow) -> RunOutcome:
    """Run ``schedule`` for ``slot`` unless another worker has it. A failing
    body is recorded (state ``failed``, the error's one line) and re-raised,
    so the queue may try again; the bodies are idempotent."""
    now = clock()
    run_id = claim(uow, name=schedule.name, slot=slot, trigger=trigger, worker=worker, now=now)
    if run_id is None:
        log.info("schedule %s slot %s: already taken, skipped", schedule.name, slot)
        return RunOutcome(schedule.name, slot, ran=False)
    moment = Moment(now, now.astimezone(config.tz).date())
    try:
        outcome = schedule.body(uow, moment, config)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
        finish(uow, run_id, worker=worker, ok=False, error=error, now=clock())
        log.error("schedule %s slot %s failed: %s", schedule.name, slot, error)
        raise
    finish(uow, run_id, worker=worker, ok=True, summary=outcome.summary, result=outcome.result, now=clock())
    log.info("schedule %s slot %s done: %s", schedule.name, slot, outcome.summary)
    return RunOutcome(schedule.name, slot, ran=True, state=str(R.DONE), summary=outcome.summary, run_id=run_id)
