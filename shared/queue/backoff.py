"""Retry delays: capped exponential backoff with optional full jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# 2**62 times any sane base already exceeds any sane cap; bounding the exponent
# keeps huge attempt numbers from overflowing a float.
_MAX_EXPONENT = 62


@dataclass(frozen=True)
class Backoff:
    """Delay before retry number `attempt`: min(cap, base * 2**(attempt-1)), jittered."""

    base: float = 0.5
    cap: float = 60.0
    jitter: bool = True
    # Inject a seeded random.Random for deterministic tests; None uses the global one.
    rng: random.Random | None = field(default=None, compare=False, repr=False)

    def ceiling(self, attempt: int) -> float:
        """Return the un-jittered delay for the given 1-based attempt number."""
        exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
        return min(self.cap, self.base * 2.0**exponent)

    def __call__(self, attempt: int) -> float:
        """Return the delay in seconds before retrying after the given attempt."""
        ceiling = self.ceiling(attempt)
        if not self.jitter:
            return ceiling
        # Full jitter (uniform in [0, ceiling]) spreads retries of jobs that failed
        # together, e.g. during an outage, instead of retrying them in lockstep.
        uniform = self.rng.uniform if self.rng is not None else random.uniform
        return uniform(0.0, ceiling)
