"""Failed logins counted for the whole server, with a lockout window.

One :class:`LoginThrottle` lives in the server process, shared by every
browser session (Streamlit keeps imported modules across sessions), so
opening more tabs or browsers does not buy more guesses. Failures are counted
per client address, per account name and over the whole server in a sliding
window; past a limit, every attempt under that key is refused, the right
password included, until the window has moved past the oldest failure.
Each failure also holds one server-wide lock for :data:`FAILURE_DELAY_S`, so
guesses cannot be made in parallel.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_S = 15 * 60.0
"""Sliding window over which failures are counted, in seconds (OWASP suggests minutes, not seconds)."""

LIMITS = {"client": 5, "account": 5, "server": 20}
"""Failures allowed within :data:`WINDOW_S` per client address, per account name and for the whole server."""

FAILURE_DELAY_S = 1.0
"""How long each failed attempt holds the server-wide lock, in seconds."""


@dataclass
class LoginThrottle:
    """Counts failed logins by key and says when a key is locked out.

    Parameters
    ----------
    clock : callable
        Seconds, monotonic (``time.monotonic``; a test may pass its own).
    sleep : callable
        How a failure waits (``time.sleep``).
    """

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _slow: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def keys(client: str, account: str) -> dict[str, str]:
        """The three counters one attempt touches, by kind ("client", "account", "server")."""
        return {"client": f"client:{client}", "account": f"account:{account.strip().lower()}", "server": "server"}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - WINDOW_S:
            times.popleft()
        return times

    def locked(self, client: str, account: str) -> tuple[str, float] | None:
        """``(kind, seconds left)`` of the first locked counter of this attempt, or None when it may go ahead."""
        now = self.clock()
        with self._lock:
            for kind, key in self.keys(client, account).items():
                times = self._recent(key, now)
                if len(times) >= LIMITS[kind]:
                    return kind, times[-LIMITS[kind]] + WINDOW_S - now
        return None

    def failed(self, client: str, account: str) -> None:
        """Count a failed attempt and make it wait :data:`FAILURE_DELAY_S` behind every other failure."""
        with self._slow:
            now = self.clock()
            with self._lock:
                for key in self.keys(client, account).values():
                    self._recent(key, now).append(now)
            self.sleep(FAILURE_DELAY_S)

    def succeeded(self, client: str, account: str) -> None:
        """Forget the failures of this client and account (the server's count stays)."""
        keys = self.keys(client, account)
        with self._lock:
            self._failures.pop(keys["client"], None)
            self._failures.pop(keys["account"], None)
