"""Backoff: capped exponential delays, with full jitter that stays inside the cap."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from shared.queue.backoff import Backoff


def test_delay_doubles_from_base_until_the_cap() -> None:
    backoff = Backoff(base=0.5, cap=4.0, jitter=False)
    assert [backoff(attempt) for attempt in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_huge_attempt_numbers_stay_at_the_cap_without_overflowing() -> None:
    assert Backoff(base=0.5, cap=60.0, jitter=False)(10_000) == 60.0


def test_full_jitter_is_deterministic_with_a_seeded_random() -> None:
    first = Backoff(base=1.0, cap=60.0, rng=random.Random(42))
    second = Backoff(base=1.0, cap=60.0, rng=random.Random(42))
    delays = [first(attempt) for attempt in range(1, 10)]
    assert delays == [second(attempt) for attempt in range(1, 10)]
    assert len(set(delays)) == len(delays)  # jittered, not a fixed ladder


def test_full_jitter_spreads_delays_across_the_whole_range() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(7))
    delays = [backoff(4) for _ in range(2000)]
    assert min(delays) < 0.5 and max(delays) > 7.5


@given(
    attempt=st.integers(min_value=1, max_value=100_000),
    base=st.floats(min_value=0.001, max_value=10.0),
    cap=st.floats(min_value=0.001, max_value=3600.0),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_jittered_delay_never_exceeds_the_unjittered_ceiling_or_the_cap(
    attempt: int, base: float, cap: float, seed: int
) -> None:
    backoff = Backoff(base=base, cap=cap, rng=random.Random(seed))
    assert 0.0 <= backoff(attempt) <= backoff.ceiling(attempt) <= cap
