"""A circuit breaker per dependency: after repeated failures, fail fast, then let one probe through."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    """Closed -> open after `threshold` failures in a row -> half-open after `cool_down` -> one probe."""

    def __init__(self, threshold: int = 5, cool_down: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self.threshold, self.cool_down, self.clock = threshold, cool_down, clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self._prober: int | None = None  # the thread whose call is the half-open probe
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """closed, open or half-open (for metrics and tests)."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half-open" if self.clock() - self._opened_at >= self.cool_down else "open"

    def allow(self) -> bool:
        """Tell whether a call may go out now; in half-open state only one probe at a time may."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return True
            if state == "half-open" and not self._probing:
                self._probing, self._prober = True, threading.get_ident()
                return True
            return False

    def retry_after(self) -> int:
        """Seconds until the next probe may go out."""
        with self._lock:
            if self._opened_at is None:
                return 1
            return max(1, int(self.cool_down - (self.clock() - self._opened_at)) + 1)

    def record_success(self) -> None:
        """A call succeeded: close the circuit."""
        with self._lock:
            self._failures, self._opened_at, self._probing, self._prober = 0, None, False, None

    def cancel_probe(self) -> None:
        """This thread's call never reached the dependency: free the probe if it was that call, count nothing."""
        with self._lock:
            if self._prober == threading.get_ident():
                self._probing, self._prober = False, None

    def record_busy(self) -> None:
        """The dependency answered, asking for time: a probe's answer closes the circuit; otherwise the failures
        in a row are left as they are (neither a failure nor a success)."""
        with self._lock:
            answered_probe = self._probing and self._prober == threading.get_ident()
        if answered_probe:
            self.record_success()

    def record_failure(self) -> None:
        """A call failed: count it, and (re)open the circuit at the threshold or after a failed probe."""
        with self._lock:
            self._failures += 1
            if self._probing or self._failures >= self.threshold:
                self._opened_at = self.clock()
            self._probing, self._prober = False, None
