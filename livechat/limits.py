"""Per-socket limits: a token bucket for message rate."""

from __future__ import annotations

import time


class TokenBucket:
    def __init__(self, burst: int, per_second: float, *, clock=time.monotonic) -> None:
        self.capacity = float(burst)
        self.rate = per_second
        self.tokens = float(burst)
        self._clock = clock
        self._last = clock()

    def take(self) -> bool:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
        self._last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def retry_after(self) -> float:
        return max(0.0, (1 - self.tokens) / self.rate) if self.rate > 0 else 60.0
