"""Failed-login throttling: a small in-process sliding window per (address, username) and per address.

One process is enough for the deployments this serves (a few gunicorn workers each keep their own window, which
only makes the effective limit a small multiple); nothing is stored about successful logins.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class FailedLoginLimiter:
    def __init__(self, per_user: int = 5, per_address: int = 20, window: float = 300.0):
        self.per_user, self.per_address, self.window = per_user, per_address, window
        self._hits: dict[tuple, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _count(self, key: tuple, now: float) -> int:
        hits = self._hits[key]
        while hits and hits[0] < now - self.window:
            hits.popleft()
        return len(hits)

    def blocked(self, address: str, username: str) -> float:
        """Seconds until another attempt is allowed (0 when allowed)."""
        now = time.monotonic()
        with self._lock:
            for key, limit in (((address, username.lower()), self.per_user), ((address,), self.per_address)):
                if self._count(key, now) >= limit:
                    return max(1.0, self._hits[key][0] + self.window - now)
        return 0.0

    def failed(self, address: str, username: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._hits[(address, username.lower())].append(now)
            self._hits[(address,)].append(now)

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._hits.pop((address, username.lower()), None)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
