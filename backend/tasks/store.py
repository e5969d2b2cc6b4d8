"""The rows of portal tasks; each function is one transaction.

Moves of state come from ``Task.end`` (``backend.tasks.lifecycle``): ``finish``
writes the state a task's ``end`` set, and only over a row still running, so a
task ends once. A heartbeat or a progress report is written only while the
row is running."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.orm import Session

from backend.db import UnitOfWork
from backend.tasks.lifecycle import Task
from backend.tasks.models import PortalTask, TaskState


def open_task(uow: UnitOfWork, task: Task, *, keep: timedelta) -> None:
    """Record ``task``, just started, and drop the tasks that ended more than
    ``keep`` before it started (and those whose process stopped that long ago)."""
    cutoff = task.started - keep
    with uow() as s:
        s.execute(delete(PortalTask).where(or_(
            PortalTask.finished_at < cutoff,
            and_(PortalTask.state == str(TaskState.RUNNING), PortalTask.heartbeat_at < cutoff),
        )))
        s.add(PortalTask(id=task.id, owner_id=task.owner, label=task.label, state=str(task.state), done=task.done,
                         total=task.total, started_at=task.started, heartbeat_at=task.heartbeat or task.started,
                         runner=task.runner))


def beat(uow: UnitOfWork, task_id: str, *, at: datetime, progress: tuple[int, int] | None = None) -> bool:
    """The running task's heartbeat, and with ``progress`` its (done, total); False once it has ended."""
    values: dict[str, object] = {"heartbeat_at": at}
    if progress is not None:
        values["done"], values["total"] = progress
    with uow() as s:
        return _update_running(s, task_id, values)


def finish(uow: UnitOfWork, task: Task, *, result: str | None) -> bool:
    """Write how ``task`` ended (after its ``end``): state, final progress, the
    result (``result``: its JSON text) or the error, all at once. False when
    the row had already ended."""
    values = {"state": str(task.state), "done": task.done, "total": task.total, "result": result,
              "error": json.dumps(task.error) if task.error else None, "finished_at": task.finished,
              "heartbeat_at": task.finished}
    with uow() as s:
        return _update_running(s, task.id, values)


def read_task(uow: UnitOfWork, task_id: str, *, owner: int | None) -> Task | None:
    """The task as its row says, if ``owner`` started it; else None (someone
    else's task is as unknown as one that never was)."""
    with uow() as s:
        row = s.get(PortalTask, task_id)
        if row is None or row.owner_id != owner:
            return None
        return Task(row.id, row.owner_id, row.label, done=row.done, total=row.total, state=row.state,
                    result=json.loads(row.result) if row.result is not None else None,
                    error=json.loads(row.error) if row.error is not None else None,
                    started=row.started_at, finished=row.finished_at, heartbeat=row.heartbeat_at,
                    runner=row.runner)


def _update_running(s: Session, task_id: str, values: dict) -> bool:
    result = s.execute(update(PortalTask)
                       .where(PortalTask.id == task_id, PortalTask.state == str(TaskState.RUNNING))
                       .values(**values)
                       .execution_options(synchronize_session=False))
    return result.rowcount == 1
