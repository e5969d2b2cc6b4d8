"""Long operations (imports) run beside the request that starts them.

The page that starts one redirects at once to a progress page, which
refreshes itself (no JavaScript needed) until the work is done and then shows
its result. A task belongs to the user who started it; anyone else gets
``None`` (and the page answers not found). Tasks live in this process's
memory: the work itself is one transaction in the core, so a process that
dies mid-import leaves nothing half-written, only a lost progress bar.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from enum import StrEnum

from aiohttp import web

from backend.errors import DomainError
from backend.lifecycle import Lifecycle

log = logging.getLogger("backend.web.tasks")

Report = Callable[[int, int], None]  # (done, total)
INTERNAL_ERROR = "internal_error"  # the code the API gives an unexpected failure


class TaskState(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


# A task runs once and ends done or failed. It lives in this process's memory
# only, so its moves leave no history row (the work it runs writes its own).
TASK_MOVES = Lifecycle("portal task", {
    TaskState.RUNNING: {TaskState.DONE, TaskState.FAILED},
})


@dataclass
class Task:
    id: str
    owner: int | None
    label: str
    done: int = 0
    total: int = 0
    state: str = TaskState.RUNNING
    result: Any = None
    error: dict[str, str] | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    @property
    def running(self) -> bool:
        return self.state == TaskState.RUNNING

    def end(self, target: TaskState) -> None:
        """The one writer of a task's state."""
        TASK_MOVES.check(self.state, target)
        self.finished = time.monotonic()
        self.state = target

    @property
    def percent(self) -> int:
        if not self.running:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started


class Tasks:
    """The running and recent tasks of one portal process (the newest ``keep``)."""

    def __init__(self, keep: int = 100) -> None:
        self._tasks: OrderedDict[str, Task] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = keep

    def start(self, owner: int | None, label: str, work: Callable[[Report], Any]) -> Task:
        task = Task(secrets.token_urlsafe(12), owner, label)
        with self._lock:
            self._tasks[task.id] = task
            while len(self._tasks) > self._keep:
                oldest = next(iter(self._tasks))
                if self._tasks[oldest].running:
                    break
                self._tasks.pop(oldest)
        threading.Thread(target=self._run, args=(task, work), name=f"task-{task.id}", daemon=True).start()
        return task

    def get(self, owner: int | None, task_id: str) -> Task | None:
        with self._lock:
            task = self._tasks.get(task_id)
        return task if task is not None and task.owner == owner else None

    @staticmethod
    def _run(task: Task, work: Callable[[Report], Any]) -> None:
        def report(done: int, total: int) -> None:
            task.done, task.total = done, total

        try:
            task.result = work(report)
            task.end(TaskState.DONE)
        except DomainError as exc:
            task.error = {"code": str(exc.code), "message": exc.message}
            task.end(TaskState.FAILED)
        except Exception:
            incident = secrets.token_hex(4)
            log.exception("task %s (%s) failed; incident %s", task.id, task.label, incident)
            task.error = {"code": INTERNAL_ERROR, "message": f"the work failed (incident {incident}); "
                          "see the portal's log, then try again"}
            task.end(TaskState.FAILED)


TASKS = web.AppKey("portal_tasks", Tasks)
