"""Long operations (imports) run beside the request that starts them.

The page that starts one redirects at once to a progress page, which
refreshes itself (no JavaScript needed) until the work is done and then shows
its result. A task belongs to the user who started it; anyone else gets
``None`` (and the page answers not found).

The work runs in a thread of the process that started it; the task itself is
a row of ``portal_tasks`` (``backend.tasks``), so any portal process shows
any task. While the work runs, a second thread writes its progress to the row
(at most every ``report_every`` seconds) and refreshes its heartbeat (every
``beat_every``); the work's own progress calls never wait for the database,
which on SQLite is locked by the import's transaction until it commits. The
end, with the result (plain data, JSON in the row), is one write. A row still
running whose heartbeat is older than ``lost_after`` belongs to a process
that stopped: it reads as failed (``task_lost``); the work is one transaction
in the core, so nothing of it was written. Tasks that ended a day ago are
dropped when a new one starts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from backend.db import UnitOfWork, utcnow
from backend.errors import DomainError, ErrorCode
from backend.identity.actor import Actor
from backend.tasks import store
from backend.tasks.lifecycle import Task
from backend.tasks.models import TaskState

log = logging.getLogger("backend.web.tasks")

Report = Callable[[int, int], None]  # (done, total)
INTERNAL_ERROR = "internal_error"  # the code the API gives an unexpected failure
FINISH_TRIES = 3  # writing a task's end: tried again after a database error (SQLite: locked past its timeout)


class _Progress:
    """The last (done, total) the work reported, for the thread that writes it."""

    def __init__(self) -> None:
        self.value = (0, 0)

    def report(self, done: int, total: int) -> None:
        self.value = (done, total)


class Tasks:
    """The portal's tasks, in the database; the ones this process runs, in its threads."""

    def __init__(self, uow: UnitOfWork, *, lost_after: timedelta = timedelta(seconds=30), beat_every: float = 5.0,
                 report_every: float = 1.0, keep: timedelta = timedelta(days=1), runner: str | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._uow = uow
        self._lost_after, self._beat_every, self._report_every, self._keep = lost_after, beat_every, report_every, keep
        self.runner = runner or f"{socket.gethostname()}:{os.getpid()}"
        self._clock = clock
        self._running: set[str] = set()
        self._lock = threading.Lock()

    def start(self, owner: int | None, label: str, work: Callable[[Report], Any]) -> Task:
        """Record the task and run ``work(report)`` in a thread; it returns plain data (JSON) or raises."""
        now = self._clock()
        task = Task(secrets.token_urlsafe(12), owner, label, started=now, heartbeat=now, runner=self.runner)
        store.open_task(self._uow, task, keep=self._keep)
        with self._lock:
            self._running.add(task.id)
        threading.Thread(target=self._run, args=(task, work), name=f"task-{task.id}", daemon=True).start()
        return task

    def get(self, owner: int | None, task_id: str) -> Task | None:
        """The task as its row says, if ``owner`` started it; one still running whose heartbeat is older than
        ``lost_after`` (by this machine's clock: the machines' clocks are assumed to agree within seconds)
        reads as failed, ``task_lost``, unless this process runs it."""
        task = store.read_task(self._uow, task_id, owner=owner)
        if task is not None and task.running and self._clock() - task.heartbeat > self._lost_after \
                and not self._runs(task):
            task.lost()
        return task

    def _runs(self, task: Task) -> bool:
        """This process runs it (its heartbeat may wait behind SQLite's lock, but it is alive)."""
        with self._lock:
            return task.runner == self.runner and task.id in self._running

    def _run(self, task: Task, work: Callable[[Report], Any]) -> None:
        progress, stop = _Progress(), threading.Event()
        beating = threading.Thread(target=self._beat, args=(task.id, progress, stop), name=f"task-{task.id}-beat",
                                   daemon=True)
        beating.start()
        try:
            result = self._outcome(task, work, progress)
            self._finish(task, result)
        finally:
            stop.set()
            beating.join()
            with self._lock:
                self._running.discard(task.id)

    def _outcome(self, task: Task, work: Callable[[Report], Any], progress: _Progress) -> str | None:
        """Run the work and end ``task`` as it went; the result's JSON text, if it succeeded."""
        result, target = None, TaskState.DONE
        try:
            result = json.dumps(work(progress.report))  # a result that is not plain data fails here
        except DomainError as exc:
            task.error, target = {"code": str(exc.code), "message": exc.message}, TaskState.FAILED
        except Exception:
            incident = secrets.token_hex(4)
            log.exception("task %s (%s) failed; incident %s", task.id, task.label, incident)
            task.error = {"code": INTERNAL_ERROR, "message": f"the work failed (incident {incident}); "
                          "see the portal's log, then try again"}
            target = TaskState.FAILED
        task.done, task.total = progress.value
        task.end(target, at=self._clock())
        return result

    def _finish(self, task: Task, result: str | None) -> None:
        for attempt in range(1, FINISH_TRIES + 1):
            try:
                if not store.finish(self._uow, task, result=result):
                    log.warning("task %s (%s) had already ended; its end was not written", task.id, task.label)
                return
            except Exception:
                log.warning("task %s (%s): writing its end failed (try %d of %d)", task.id, task.label, attempt,
                            FINISH_TRIES, exc_info=True)
                time.sleep(attempt)
        log.error("task %s (%s) ended %s, but that could not be written; it will read as lost", task.id, task.label,
                  task.state)

    def _beat(self, task_id: str, progress: _Progress, stop: threading.Event) -> None:
        """Until ``stop``: the progress when it moved (at most every ``report_every``), else the heartbeat."""
        written = (0, 0)
        last_report = last_beat = time.monotonic()
        while not stop.wait(min(self._report_every, self._beat_every)):
            now, current = time.monotonic(), progress.value
            report = current != written and now - last_report >= self._report_every
            if not report and now - last_beat < self._beat_every:
                continue
            try:
                store.beat(self._uow, task_id, at=self._clock(), progress=current if report else None)
            except Exception as exc:  # SQLite: locked by an import past its timeout; tried again on the next tick
                log.warning("task %s: its heartbeat could not be written: %s", task_id, str(exc).splitlines()[0])
                continue
            last_beat = now
            if report:
                written, last_report = current, now


TASKS = web.AppKey("portal_tasks", Tasks)


async def start_task(request: web.Request, actor: Actor, label: str, work: Callable[[Report], Any]) -> Task:
    """Start ``work`` as the actor's task (the row is written in a worker thread, as every use case)."""
    return await asyncio.to_thread(request.app[TASKS].start, actor.user_id, label, work)


async def task_of(request: web.Request, actor: Actor) -> Task:
    """The task named in the URL, if the actor started it."""
    task = await asyncio.to_thread(request.app[TASKS].get, actor.user_id, request.match_info["task"])
    if task is None:
        raise DomainError(ErrorCode.NOT_FOUND, "no such import here (an import's page is kept for a day after it "
                          "ends): upload the file again")
    return task
