"""``python -m kb watch``: keep the index in step with the database, with no manual step.

Every ``interval`` seconds the watcher reads a one-row summary of the articles
table (``backend.knowledge.service.index_fingerprint``: count, versions,
statuses, last change); when it differs from the one of the last successful
sync it runs ``Indexer.sync()`` — the same incremental sync as ``python -m kb
sync`` — and prints one line with the summary. The searchers of the hub and
the action server notice the new index generation by themselves
(``Searcher.refresh`` compares the manifest's signature every few seconds).

One watcher per index folder: it holds ``WATCH_LOCK`` for its whole life (a
second one refuses to start), and each sync also takes the folder's
``writer_lock``, so a ``python -m kb sync`` run by hand waits for it rather
than writing at the same time.

A database or index error is printed and retried (the wait doubles up to
``max_backoff``); the watcher never exits because of one. The embedding model
loads only when something must be embedded and is dropped again after
``keep_model`` idle seconds.
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from backend.db import UnitOfWork
from backend.knowledge.service import IndexFingerprint, index_fingerprint
from kb.encoder import Encoder

WATCH_LOCK = ".watch.lock"


class AlreadyWatched(RuntimeError):
    """Another watcher holds this index folder."""


def _stamp() -> str:
    return datetime.now().strftime("%H:%M:%S")


def _default_say(line: str) -> None:
    print(f"{_stamp()} kb watch: {line}", flush=True)


def _describe(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(getattr(exc, "orig", None) or exc)
    return f"{type(exc).__name__}: {message.strip().splitlines()[0][:300] if message.strip() else '-'}"


@dataclass
class WatchState:
    syncs: int = 0
    failures: int = 0
    last_error: str | None = None
    last_summary: str | None = None
    generation: int = 0


class Watcher:
    """Poll ``index_fingerprint`` and run ``Indexer.sync()`` when it changes."""

    def __init__(self, folder: Path | str, uow: UnitOfWork, encoder_factory: Callable[[], Encoder], *,
                 interval: float = 5.0, keep_model: float = 300.0, max_backoff: float = 60.0,
                 say: Callable[[str], None] = _default_say) -> None:
        if interval <= 0 or keep_model < 0 or max_backoff < interval:
            raise ValueError("interval > 0, keep_model >= 0 and max_backoff >= interval")
        self.folder = Path(folder)
        self.uow = uow
        self.encoder_factory = encoder_factory
        self.interval, self.keep_model, self.max_backoff = interval, keep_model, max_backoff
        self.say = say
        self.state = WatchState()
        self._synced: IndexFingerprint | None = None  # fingerprint the index is known to match
        self._encoder: Encoder | None = None
        self._encoder_used = 0.0
        self._lock_file: IO | None = None

    # -- the single-writer lock ---------------------------------------------------------------

    def acquire(self) -> None:
        """Take the folder's watch lock, or raise AlreadyWatched."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.folder / WATCH_LOCK, "a+")  # noqa: SIM115 (held for the watcher's life)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise AlreadyWatched(f"another watcher (pid {holder}) keeps {self.folder} up to date") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle

    def release(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    # -- one poll -----------------------------------------------------------------------------

    def _encoder_now(self) -> Encoder:
        if self._encoder is None:
            self._encoder = self.encoder_factory()
        self._encoder_used = time.monotonic()
        return self._encoder

    def _maybe_drop_model(self) -> None:
        if self._encoder is not None and time.monotonic() - self._encoder_used >= self.keep_model:
            self._encoder = None
            self.say(f"embedding model released after {self.keep_model:.0f} s idle")

    def poll(self) -> bool:
        """Sync if the articles changed since the last successful sync; True if a sync ran.

        Raises whatever the database or the index raises (``run`` reports and retries)."""
        seen = index_fingerprint(self.uow)  # read before the sync: a change during it is caught next time
        if seen == self._synced:
            self._maybe_drop_model()
            return False
        from kb.indexer import Indexer

        report = Indexer(self.folder, self._encoder_now(), self.uow).sync()
        self._encoder_used = time.monotonic()
        self._synced = seen
        self.state.syncs += 1
        self.state.generation = report.generation
        self.state.last_summary = report.summary()
        self.say(f"{'synced' if report.written else 'checked'} ({seen.articles} articles, "
                 f"{seen.published} published, {seen.archived} archived): {report.summary()}")
        return True

    # -- the loop -----------------------------------------------------------------------------

    def run(self, stop: threading.Event | None = None) -> None:
        """Poll until ``stop`` is set; errors are reported and retried with a growing wait."""
        stop = stop or threading.Event()
        self.say(f"watching the articles every {self.interval:g} s; index {self.folder}")
        wait = self.interval
        while not stop.is_set():
            try:
                self.poll()
            except Exception as exc:  # noqa: BLE001 (database, index, model: report, wait, retry)
                self.state.failures += 1
                self.state.last_error = _describe(exc)
                wait = min(self.max_backoff, wait * 2) if self.state.failures > 1 else self.interval
                self.say(f"sync failed ({self.state.last_error}); retrying in {wait:g} s")
            else:
                if self.state.failures:
                    self.say(f"recovered after {self.state.failures} failed attempt(s)")
                self.state.failures, self.state.last_error, wait = 0, None, self.interval
            stop.wait(wait)
        self.say("stopped")


def watch(args, settings, folder: Path, encoder_factory: Callable[[], Encoder]) -> int:
    """``python -m kb watch`` (arguments parsed by ``kb.cli``); stops on SIGINT/SIGTERM."""
    import signal

    from backend.db import make_engine, make_session_factory

    if args.interval <= 0 or args.keep_model < 0:
        print("refused [invalid_input]: --interval must be > 0 and --keep-model >= 0", file=sys.stderr)
        return 2
    engine = make_engine(settings.database_url)
    if args.create_tables:
        from backend.db import Base

        Base.metadata.create_all(engine)
    watcher = Watcher(folder, UnitOfWork(make_session_factory(engine)), encoder_factory, interval=args.interval,
                      keep_model=args.keep_model, max_backoff=max(60.0, args.interval))
    try:
        watcher.acquire()
    except AlreadyWatched as exc:
        print(f"{_stamp()} kb watch: not started: {exc}", flush=True)
        engine.dispose()
        return 3
    stop = threading.Event()
    try:
        if args.once:
            try:
                watcher.poll() or watcher.say("nothing changed")
            except Exception as exc:  # noqa: BLE001 (reported with its type, exit code 3)
                watcher.say(f"sync failed ({_describe(exc)})")
                return 3
            return 0
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        watcher.run(stop)
        return 0
    finally:
        watcher.release()
        engine.dispose()
