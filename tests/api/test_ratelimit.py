"""The rate limiter and backoff, driven by a fake clock: no real sleeping."""

from __future__ import annotations

import asyncio
import itertools
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from fakes import FakeClock, max_in_window

from batch_anonymizer.api.classify import parse_retry_after
from batch_anonymizer.api.ratelimit import RateLimiter
from batch_anonymizer.api.retry import backoff_delay


async def start_times(limiter: RateLimiter, clock: FakeClock, n: int, workers: int) -> list[float]:
    times: list[float] = []
    queue = list(range(n))

    async def worker() -> None:
        while queue:
            queue.pop()
            await limiter.acquire()
            times.append(clock.now())

    await asyncio.gather(*(worker() for _ in range(workers)))
    return sorted(times)


@pytest.mark.parametrize("rate", [1, 5, 50, 500])
def test_never_more_than_rate_starts_in_any_window(rate: int) -> None:
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock.clock())
    times = asyncio.run(start_times(limiter, clock, rate * 5, workers=8))
    assert len(times) == rate * 5
    assert max_in_window(times) <= rate
    # and the rate is kept: 5 seconds' worth of starts take about 5 seconds
    span = times[-1] - times[0]
    assert (rate * 5 - 1) / rate * 0.98 <= span <= 5.0


def test_starts_are_spread_not_bursty() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock.clock())
    times = asyncio.run(start_times(limiter, clock, 20, workers=10))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.1 - 1e-9


def test_pause_holds_every_worker() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock.clock())
    limiter.pause_until(clock.now() + 30)
    times = asyncio.run(start_times(limiter, clock, 4, workers=4))
    assert all(t >= 1030 for t in times)


def test_throttle_halves_and_recovers_slowly_never_above_max() -> None:
    limiter = RateLimiter(8, clock=FakeClock().clock())
    limiter.throttled()
    assert limiter.rate == 4
    limiter.throttled()
    assert limiter.rate == 2
    for _ in range(RateLimiter.RECOVER_AFTER - 1):
        limiter.succeeded()
    assert limiter.rate == 2
    limiter.succeeded()
    assert limiter.rate == pytest.approx(2.2)
    for _ in range(2000):
        limiter.succeeded()
    assert limiter.rate == 8


def test_unlimited_does_not_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock.clock())
    asyncio.run(start_times(limiter, clock, 100, workers=4))
    assert clock.slept == []


def test_backoff_is_capped_full_jitter() -> None:
    rng = random.Random(1)
    for attempt in range(1, 12):
        upper = min(30.0, 0.5 * 2 ** (attempt - 1))
        delays = [backoff_delay(attempt, rng=rng) for _ in range(200)]
        assert all(0 <= d <= upper for d in delays)
        assert max(delays) > upper * 0.8  # full jitter spreads over the whole range


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now=now) == 7
    date = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(date, now=now) == 90
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 0  # in the past
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


class LateClock(FakeClock):
    """Every sleep wakes up 3 ms late, as on a busy machine."""

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds + 0.003)


def test_late_wakeups_do_not_lose_rate_nor_break_the_window() -> None:
    clock = LateClock()
    limiter = RateLimiter(500, clock=clock.clock())
    times = asyncio.run(start_times(limiter, clock, 2500, workers=8))
    achieved = (len(times) - 1) / (times[-1] - times[0])
    assert achieved >= 500 * 0.98
    assert max_in_window(times) <= 500


# Bug: a start counted when its slot was taken, not when the request left after waiting
# (for its write-ahead fsync): the next slot came a second after the old count.
def test_a_request_that_leaves_late_is_counted_when_it_leaves() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock.clock())

    async def main() -> list[float]:
        a = await limiter.take()  # 1000.0
        b = await limiter.take()  # 1000.5
        assert (a, b) == (1000.0, 1000.5)
        clock.t = 1000.9  # a's fsync ends: it leaves now
        await limiter.started(a)
        await limiter.take()  # a third start: not before 1001.5, two are in (1000.5, 1001.5]
        return [1000.5, 1000.9, clock.now()]

    left = asyncio.run(main())
    assert left[2] == pytest.approx(1001.5)
    assert max_in_window(left) <= 2


def test_started_waits_while_the_second_is_full_and_is_free_in_its_own_slot() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock.clock())

    async def main() -> list[float]:
        a = await limiter.take()
        await limiter.started(a)  # leaves in its own slot: nothing changes
        b = await limiter.take()
        c = await limiter.take()  # 1001.0: two starts in (1000.0, 1001.0]
        clock.t = 1001.2  # b leaves late, the second up to now holds c and one more slot
        await limiter.started(b)
        return [a, b, c, clock.now()]

    a, b, c, left = asyncio.run(main())
    assert (a, b, c) == (1000.0, 1000.5, 1001.0)
    assert left == pytest.approx(1001.2)  # (1000.2, 1001.2] held only c: no wait
    assert clock.slept == [0.5, 0.5]  # the two takes' spacing, no more


def test_unlimited_start_is_not_counted() -> None:
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock.clock())

    async def main() -> None:
        slot = await limiter.take()
        assert slot == 1000.0
        clock.t += 5
        await limiter.started(slot)

    asyncio.run(main())
    assert clock.slept == []
