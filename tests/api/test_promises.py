"""Audit promises that one small change of the code would break unnoticed.

Each test names the promise, and the comment above it the small bug it was
checked against (put in by hand, the test failed, taken out again).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import replace

import pytest
from fakes import FakeClock
from test_erasure import FakeVendor, jobs_of, phone, run
from test_pool import lines

from batch_anonymizer.api.classify import Answer
from batch_anonymizer.api.ratelimit import RateLimiter
from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.job import Job
from batch_anonymizer.core.records import Status

ERROR_400 = Answer(400, b'{"Error":{"Message":"Email is not valid","Code":300004}}')


# Bug: in the recheck after a success answer, ``looked.records == 0`` written as
# ``not looked.records`` (None, a failed lookup, is falsy too).
def test_no_success_when_records_remain_and_the_last_lookup_fails() -> None:
    # The vendor answers success but keeps its 2 records; the lookup right after it
    # lists them, the second lookup (the recheck) fails with an Error.
    vendor = FakeVendor(
        {"user0@example.com": 2},
        post_script={"user0@example.com": ["sticky"]},
        get_script={"user0@example.com": [None, None, ERROR_400]},
    )
    result, _, _ = run(vendor, jobs_of(1))
    o = result.outcomes[0]
    assert (o.status, o.code, o.records_before, o.records_after) == (
        Status.FAILED,
        Reason.UNVERIFIED,
        2,
        None,
    )
    assert vendor.records == {"user0@example.com": 2}


# Bug: ``if tally.attempts`` (sent by an earlier run) written as ``if tally.unknown``.
def test_a_key_sent_before_with_every_answer_known_and_no_record_now_is_not_an_erasure() -> None:
    # An earlier run sent it once (a 503: the answer was known, the key unsettled) and
    # never looked it up. No record now: nobody can say whether that request erased
    # them or there were none, so it is neither a success nor "we held no data".
    vendor = FakeVendor({})
    job = Job(lines(1)[0], prior_attempts=1, prior_unknown=0)
    result, _, _ = run(vendor, [job])
    o = result.outcomes[0]
    assert (o.status, o.code) == (Status.NOT_FOUND, Reason.GONE_UNVERIFIED)
    assert vendor.requests("POST") == []


# Bug: the GCRA base always taken from the last theoretical arrival time (never
# "from now" after an idle spell), so a long pause lets the next starts go at once.
def test_no_burst_after_an_idle_spell() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock.clock())

    async def main() -> list[float]:
        times: list[float] = []
        for _ in range(3):
            await limiter.acquire()
            times.append(clock.now())
        clock.t += 60.0  # idle for a minute
        for _ in range(6):
            await limiter.acquire()
            times.append(clock.now())
        return times

    times = asyncio.run(main())
    after_idle = times[3:]
    gaps = [b - a for a, b in itertools.pairwise(after_idle)]
    assert min(gaps) >= 0.2 - 1e-9, gaps  # evenly spread at 5/s, never all at once


# Bug: the log masking only the key as sent (``line.key``), not the lower-cased,
# vendor or E.164 form a vendor's Error may echo.
@pytest.mark.parametrize(
    ("line", "echoed"),
    [
        (
            replace(lines(1)[0], key="Ann.Lee@Example.com", written="Ann.Lee@Example.com"),
            "ann.lee@example.com",
        ),
        (phone(0, "+44 7700 900123", "447700900123"), "447700900123"),
        (phone(0, "+44 7700 900123", "447700900123"), "+447700900123"),
        (phone(0, "+44 7700 900123", "447700900123"), "+44 7700 900123"),
    ],
)
def test_the_log_masks_every_form_of_the_key_a_vendor_may_echo(
    line: object, echoed: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert hasattr(line, "key")
    text = f'{{"Error":{{"Message":"Contact {echoed} is locked","Code":300004}}}}'
    answer = Answer(400, text.encode())
    vendor = FakeVendor({echoed: 1, line.key: 1}, post_script={line.key: [answer]})  # type: ignore[attr-defined]
    with caplog.at_level(logging.INFO, logger="batch_anonymizer"):
        result, _, _ = run(vendor, [Job(line)])  # type: ignore[arg-type]
    assert result.outcomes[0].status is Status.FAILED
    assert echoed in result.outcomes[0].message  # the report keeps the vendor's words
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "is locked" in logged
    assert echoed not in logged
    assert echoed.lower() not in logged.lower()
