"""What the admin page asks of the schedules, and the worker's side of "run now".

"Run now" (``request_run``) adds a run with the slot ``manual-<time>`` in
state ``requested``; a worker takes it (``take_requested``: a compare-and-set
to ``queued``, so one worker) and puts it on its task queue, where it runs
like any other (``runs.execute``). The page and the worker share only the
database: the portal does not need the queue's address or code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from backend import idempotency
from backend.db import UnitOfWork, utcnow
from backend.errors import not_found
from backend.identity.actor import SYSTEM, Actor, require_role
from backend.identity.models import Role, User
from backend.schedules.lifecycle import move_run
from backend.schedules.models import RunState as R
from backend.schedules.models import RunTrigger, ScheduleRun
from backend.schedules.registry import BY_NAME, SCHEDULES, ScheduleConfig

STALE_QUEUED = timedelta(minutes=10)  # queued and not started by then: the queue lost it; queue it again
WAITING = (R.REQUESTED, R.QUEUED)
RUN_ROLES = (Role.MANAGER, Role.ADMIN)


@dataclass(frozen=True)
class RunView:
    id: int
    name: str
    slot: str
    trigger: str
    state: str
    requested_at: datetime
    requested_by: str | None
    started_at: datetime | None
    finished_at: datetime | None
    worker: str | None
    attempts: int
    summary: str | None
    error: str | None
    created: bool = True  # False: the same "run now" form sent again, answered with the first


@dataclass(frozen=True)
class ScheduleView:
    name: str
    title: str
    description: str
    cron: str
    when: str  # the crontab in words, where it has a common shape
    zone: str
    next_run: datetime | None
    last_run: RunView | None  # the latest run started (running, done or failed)
    waiting: RunView | None  # a "run now" not started yet


def _view(s: Session, run: ScheduleRun) -> RunView:
    who = s.get(User, run.requested_by).name if run.requested_by else None
    return RunView(run.id, run.name, run.slot, run.trigger, run.state, run.requested_at, who, run.started_at,
                   run.finished_at, run.worker, run.attempts, run.summary, run.error)


def list_schedules(uow: UnitOfWork, actor: Actor, *, config: ScheduleConfig | None = None,
                   now: datetime | None = None) -> list[ScheduleView]:
    """Every schedule: what it does, its crontab, the next firing, its latest run."""
    if actor is not SYSTEM:
        require_role(actor, *RUN_ROLES)
    config = config or ScheduleConfig()
    now = now or utcnow()
    out = []
    with uow() as s:
        for sched in SCHEDULES:
            latest = select(ScheduleRun).where(ScheduleRun.name == sched.name).order_by(ScheduleRun.id.desc()).limit(1)
            last = s.scalar(latest.where(ScheduleRun.state.not_in([str(x) for x in WAITING])))
            waiting = s.scalar(latest.where(ScheduleRun.state.in_([str(x) for x in WAITING])))
            out.append(ScheduleView(sched.name, sched.title, sched.describe(config), sched.cron,
                                    sched.crontab.words(), config.zone,
                                    sched.crontab.next_after(now, config.tz),
                                    _view(s, last) if last else None, _view(s, waiting) if waiting else None))
    return out


def recent_runs(uow: UnitOfWork, actor: Actor, *, name: str | None = None, limit: int = 30) -> list[RunView]:
    if actor is not SYSTEM:
        require_role(actor, *RUN_ROLES)
    if name is not None and name not in BY_NAME:
        raise not_found("schedule", name)
    with uow() as s:
        q = select(ScheduleRun).order_by(ScheduleRun.id.desc()).limit(min(max(limit, 1), 200))
        if name is not None:
            q = q.where(ScheduleRun.name == name)
        return [_view(s, r) for r in s.scalars(q)]


def request_run(uow: UnitOfWork, actor: Actor, *, name: str, idempotency_key: str | None = None,
                now: datetime | None = None) -> RunView:
    """"Run now": a run of ``name`` in a slot of its own (``manual-<time>``),
    for a worker to queue within seconds. The same form sent twice (same key)
    asks once."""
    require_role(actor, *RUN_ROLES)
    if name not in BY_NAME:
        raise not_found("schedule", name)
    now = now or utcnow()
    with uow() as s:
        once = idempotency.claim(s, actor, "schedules.request_run", idempotency_key, name=name)
        if once.replay is not None:
            return replace(_view(s, s.get(ScheduleRun, int(once.replay))), created=False)
        run = ScheduleRun(name=name, slot=f"manual-{now.strftime('%Y%m%dT%H%M%S.%f')}", trigger=str(RunTrigger.MANUAL),
                          state=str(R.REQUESTED), requested_by=actor.user_id, requested_at=now, attempts=0)
        s.add(run)
        s.flush()
        once.done(run.id)
        return _view(s, run)


@dataclass(frozen=True)
class Requested:
    run_id: int
    name: str
    slot: str


def take_requested(uow: UnitOfWork, *, worker: str, now: datetime | None = None, limit: int = 20) -> list[Requested]:
    """The "run now" requests this worker is to put on its queue (each moved
    to ``queued`` by this worker alone), with any queued too long ago to be
    still on the queue."""
    now = now or utcnow()
    due = or_(ScheduleRun.state == R.REQUESTED,
              and_(ScheduleRun.state == R.QUEUED, ScheduleRun.queued_at < now - STALE_QUEUED))
    taken = []
    with uow() as s:
        rows = s.execute(select(ScheduleRun.id, ScheduleRun.name, ScheduleRun.slot, ScheduleRun.state)
                         .where(due).order_by(ScheduleRun.id).limit(limit)).all()
        for run_id, name, slot, state in rows:
            if name not in BY_NAME:
                continue
            if move_run(s, run_id, [R(state)], R.QUEUED, where=[due], queued_at=now, worker=worker[:64]):
                taken.append(Requested(run_id, name, slot))
    return taken


def unqueue(uow: UnitOfWork, run_id: int) -> bool:
    """The queue refused the run: back to ``requested`` for the next try."""
    with uow() as s:
        return move_run(s, run_id, [R.QUEUED], R.REQUESTED, queued_at=None)


def slot_taken(uow: UnitOfWork, *, name: str, slot: str) -> bool:
    with uow() as s:
        return s.scalar(select(ScheduleRun.id).where(ScheduleRun.name == name, ScheduleRun.slot == slot)) is not None
