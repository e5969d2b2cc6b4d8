"""Group commit: every message is stored before it is delivered, and the
messages that arrive while one transaction runs share the next one. One
writer task, so the database sees one message transaction at a time and no
extra latency when the hub is idle."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from backend.conversations.service import NewMessage, Stored, record_messages
from backend.db import UnitOfWork

log = logging.getLogger("livechat.writer")


class MessageWriter:
    def __init__(self, uow: UnitOfWork, *, max_batch: int = 256) -> None:
        self.uow = uow
        self.max_batch = max_batch
        self._pending: list[tuple[NewMessage, asyncio.Future]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.batches = 0
        self.written = 0
        self.db_seconds = 0.0  # time spent in storing transactions (for /health and the bench)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="message-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        for _item, fut in self._pending:
            if not fut.done():
                fut.set_exception(RuntimeError("the hub is stopping"))
        self._pending.clear()

    async def write(self, item: NewMessage) -> Stored:
        return (await self.write_many([item]))[0]

    async def write_many(self, items: Sequence[NewMessage]) -> list[Stored]:
        loop = asyncio.get_running_loop()
        futures = []
        for item in items:
            fut = loop.create_future()
            self._pending.append((item, fut))
            futures.append(fut)
        self._wake.set()
        return list(await asyncio.gather(*futures))

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
                items = [item for item, _fut in batch]
                started = time.perf_counter()
                try:
                    results = await asyncio.to_thread(record_messages, self.uow, items)
                except Exception as exc:  # the database failed: every waiter hears it
                    log.exception("storing %d messages failed", len(items))
                    for _item, fut in batch:
                        if not fut.done():
                            fut.set_exception(exc)
                    continue
                self.batches += 1
                self.written += len(items)
                self.db_seconds += time.perf_counter() - started
                for (_item, fut), result in zip(batch, results):
                    if not fut.done():
                        fut.set_result(result)
