"""Failed identity checks counted per reference, across conversations.

A visitor proves who they are with a reference and the phone or e-mail on
file; references are short and sequential, so a script could try one
reference from many new chats. Each chat already stops after three misses
(``MAX_IDENTIFY_FAILURES``); this stops the same reference for everyone
after ``limit`` misses in ``window`` seconds, without even asking the
backend, so a blocked reference tells an attacker nothing. A success clears
the count. Kept in the action server's memory (one process serves the bot;
several would each keep their own count).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class FailedAttempts:
    def __init__(self, *, limit: int = 5, window: float = 900.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._misses: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        misses, now = self._misses[key], self._clock()
        while misses and now - misses[0] > self.window:
            misses.popleft()
        return misses

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key)) >= self.limit

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key).append(self._clock())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._misses.pop(key, None)
