"""A schedule run's states and the one writer that moves them.

A move is a compare-and-set (``UPDATE … WHERE state IN (…)``), so of two
workers trying the same move on one run exactly one wins, on SQLite and on
PostgreSQL. The run rows are their own history: no state-history row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from backend.lifecycle import Lifecycle
from backend.schedules.models import RunState as R
from backend.schedules.models import ScheduleRun

RUN_MOVES = Lifecycle("schedule run", {
    R.REQUESTED: {R.QUEUED, R.RUNNING},
    R.QUEUED: {R.RUNNING, R.REQUESTED, R.QUEUED},  # REQUESTED: the queue refused it; QUEUED: queued again, lost
    R.RUNNING: {R.DONE, R.FAILED, R.RUNNING},  # RUNNING again: its worker died, another takes it over
    R.FAILED: {R.RUNNING},  # the queue's retry, or a later "run now" of the same slot
})


def move_run(s: Session, run_id: int, current: Iterable[R], target: R, *, where: Iterable[Any] = (),
             **values: Any) -> bool:
    """Move run ``run_id`` from one of ``current`` to ``target`` (setting
    ``values`` with it) if it is still in one of them; False when another
    worker moved it first."""
    current = list(current)
    for state in current:
        RUN_MOVES.check(state, target)
    result = s.execute(
        update(ScheduleRun)
        .where(ScheduleRun.id == run_id, ScheduleRun.state.in_([str(c) for c in current]), *where)
        .values(state=str(target), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
