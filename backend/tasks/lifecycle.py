"""A portal task's states, and ``Task.end``, the one writer that moves them.

A task runs once and ends done or failed. ``Task`` is a task as its row says
(``backend.tasks.store`` reads and writes the row); the row is its own
history, so a move leaves no state-history row (the work it runs writes its
own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend.db import utcnow
from backend.lifecycle import Lifecycle
from backend.tasks.models import TaskState

TASK_MOVES = Lifecycle("portal task", {
    TaskState.RUNNING: {TaskState.DONE, TaskState.FAILED},
})
TASK_LOST = "task_lost"  # the stable code of a task whose process stopped before it finished


@dataclass
class Task:
    id: str
    owner: int | None
    label: str
    done: int = 0
    total: int = 0
    state: str = TaskState.RUNNING
    result: Any = None  # plain data (JSON in the row)
    error: dict[str, str] | None = None  # {"code", "message"}
    started: datetime = field(default_factory=utcnow)
    finished: datetime | None = None
    heartbeat: datetime | None = None
    runner: str = ""  # "host:pid" of the process running it

    @property
    def running(self) -> bool:
        return self.state == TaskState.RUNNING

    def end(self, target: TaskState, *, at: datetime | None = None) -> None:
        """The one writer of a task's state."""
        TASK_MOVES.check(self.state, target)
        self.finished = at or utcnow()
        self.state = target

    def lost(self) -> None:
        """Show this task as failed: its row still says running, but the process
        running it stopped (its heartbeat did). Only this copy changes; the row
        stays as the process left it."""
        self.error = {"code": TASK_LOST, "message": (
            f"the portal process running this {self.label} ({self.runner}) stopped before it finished; the "
            "import is one transaction, so nothing of it was written: start it again")}
        self.end(TaskState.FAILED, at=self.heartbeat)

    @property
    def percent(self) -> int:
        if not self.running:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def seconds(self) -> float:
        return ((self.finished or utcnow()) - self.started).total_seconds()
