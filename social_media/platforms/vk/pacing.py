"""VK's per-token request rate, kept on this side: at most N calls in any second.

VK answers error 6 ("Too many requests per second") past 3 calls a second for a user
token. Each worker process keeps a sliding window per token (keyed by a hash of the
token, never the token itself) and waits for a free slot when the wait is short
(``MAX_WAIT`` seconds at most); a longer wait is refused before anything is sent, and
the post is retried later (``RATE_LIMITED``). Processes do not share their windows:
VK's own error 6 covers the rest, mapped to ``RATE_LIMITED`` with a one-second wait,
and the steps already done are kept in the post's state, so nothing is redone.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable

# A little over a second: the platform counts arrivals, which network jitter moves closer.
WINDOW = 1.1
# The longest a worker waits for a slot; more than that is a RATE_LIMITED answer.
MAX_WAIT = 2.5


class Pacer:
    """Sliding-window slots per key, shared by the threads of one process."""

    def __init__(
        self,
        *,
        window: float = WINDOW,
        max_wait: float = MAX_WAIT,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.window = window
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep
        self._slots: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, per_second: int) -> float | None:
        """Reserve the next slot for ``key``: the seconds to wait for it (0: now), or
        ``None`` when it is further away than ``max_wait`` (nothing is reserved)."""
        with self._lock:
            now = self.clock()
            slots = self._slots.setdefault(key, deque())
            while slots and slots[0] <= now - self.window:
                slots.popleft()
            at = now if len(slots) < per_second else max(now, slots[-per_second] + self.window)
            if at - now > self.max_wait:
                return None
            slots.append(at)
            return at - now

    def take(self, key: str, per_second: int) -> float | None:
        """Wait for a slot (briefly); the seconds waited, or ``None`` when refused."""
        wait = self.reserve(key, per_second)
        if wait:
            self.sleep(wait)
        return wait

    def next_free(self, key: str, per_second: int) -> float:
        """Seconds until a slot frees up (for a retry_after)."""
        with self._lock:
            slots = self._slots.get(key, deque())
            if len(slots) < per_second:
                return 0.0
            return max(0.0, slots[-per_second] + self.window - self.clock())


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:24]


PACER = Pacer()
