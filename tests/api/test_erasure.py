"""The verified erasure flow, against a fake vendor that really holds records (virtual clock).

Every test asserts what the vendor's store holds afterwards and which requests
it received, not only the outcome the tool wrote.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from dataclasses import replace

import pytest
from fakes import run_virtual
from test_pool import MemoryRecorder, lines

from batch_anonymizer.api.classify import Answer, Transport
from batch_anonymizer.api.control import RunControl
from batch_anonymizer.api.pool import PoolResult
from batch_anonymizer.api.sending import Sending
from batch_anonymizer.api.settings import Settings
from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.job import Job
from batch_anonymizer.core.records import KeyForm, KeyType, Line, Phase, Status

OK = b'{"Data":{"message":"Record updated successfully"}}'
TIMEOUT = Answer(None, transport=Transport.TIMEOUT, detail="timeout")


class FakeVendor:
    """Holds records per key (exact value, as the vendor stores it) and answers like the API.

    ``post_script`` / ``get_script``: per key, what the next calls do instead of the normal:
    an ``Answer`` (sent as is, nothing changes), ``"sticky"`` (success, records stay),
    ``"acted_then_lost"`` (records anonymized, the answer lost), ``"lost"`` (nothing done,
    the answer lost).
    """

    def __init__(
        self,
        records: dict[str, int],
        post_script: dict[str, list[object]] | None = None,
        get_script: dict[str, list[object]] | None = None,
    ) -> None:
        self.records = dict(records)
        self.post_script = {k: list(v) for k, v in (post_script or {}).items()}
        self.get_script = {k: list(v) for k, v in (get_script or {}).items()}
        self.calls: list[tuple[float, str, str]] = []

    def _next(self, script: dict[str, list[object]], key: str) -> object:
        queue = script.get(key)
        return queue.pop(0) if queue else None

    async def anonymize(self, key_type: KeyType, key: str) -> Answer:
        self.calls.append((asyncio.get_running_loop().time(), "POST", key))
        await asyncio.sleep(0.1)
        step = self._next(self.post_script, key)
        if isinstance(step, Answer):
            return step
        if step == "lost":
            return TIMEOUT
        if step != "sticky":
            had = self.records.pop(key, 0)
            if step == "acted_then_lost":
                return TIMEOUT
            if not had:
                return Answer(400, b'{"Error":{"Message":"No records found","Code":300005}}')
        return Answer(200, OK)

    async def lookup(self, key_type: KeyType, key: str) -> Answer:
        self.calls.append((asyncio.get_running_loop().time(), "GET", key))
        await asyncio.sleep(0.1)
        step = self._next(self.get_script, key)
        if isinstance(step, Answer):
            return step
        listing = [{"email": key}] * self.records.get(key, 0)
        return Answer(200, json.dumps({"Data": listing}).encode())

    def requests(self, method: str | None = None) -> list[tuple[str, str]]:
        return [(m, k) for _, m, k in self.calls if method is None or m == method]


def phone(i: int, written: str, vendor: str) -> Line:
    return Line(
        i, None, i + 2, KeyType.TELEPHONE, vendor, vendor, Status.READY, None, "", (written,),
        written=written,
    )  # fmt: skip


def run(
    vendor: FakeVendor,
    jobs: list[Job],
    *,
    mode: str = "anonymize",
    **settings: object,
) -> tuple[PoolResult, MemoryRecorder, float]:
    """Run ``jobs`` through the verified flow; return the result, the records, the end time."""
    recorder = MemoryRecorder()
    control = RunControl()
    s = Settings(**{"rate": None, "concurrency": 1, **settings})  # type: ignore[arg-type]

    async def main() -> tuple[PoolResult, float]:
        loop = asyncio.get_running_loop()
        control.bind(loop)
        sending = Sending(
            vendor, recorder, s, control, run_id="r1", rng=random.Random(0), now_iso=lambda: "t"
        )
        work = sending.anonymize if mode == "anonymize" else sending.lookup
        result = await work(jobs)
        return result, loop.time()

    result, ended = run_virtual(main(), start=0.0)
    return result, recorder, ended


def jobs_of(n: int) -> list[Job]:
    return [Job(line) for line in lines(n)]


def test_records_looked_up_anonymized_and_verified_gone() -> None:
    vendor = FakeVendor({"user0@example.com": 3})
    result, recorder, _ = run(vendor, jobs_of(1))
    o = result.outcomes[0]
    assert (o.status, o.code) == (Status.SUCCESS, None)
    assert (o.records_before, o.records_after, o.key_form) == (3, 0, KeyForm.VENDOR)
    assert "3 record(s) anonymized, none left" in o.message
    assert vendor.requests() == [("GET", "user0@example.com"), ("POST", "user0@example.com"),
                                 ("GET", "user0@example.com")]  # fmt: skip
    assert vendor.records == {}
    looks = [r for r in recorder.records if r[0] == "look"]
    assert looks == [
        ("look", 0, Phase.BEFORE, KeyForm.VENDOR, 3),
        ("look", 0, Phase.AFTER, KeyForm.VENDOR, 0),
    ]


def test_a_key_with_no_record_in_any_form_is_not_found_and_never_sent() -> None:
    vendor = FakeVendor({})
    line = phone(0, "+44 7700 900123", "447700900123")
    result, _, _ = run(vendor, [Job(line)])
    o = result.outcomes[0]
    assert (o.status, o.code, o.records_before, o.attempts) == (
        Status.NOT_FOUND,
        Reason.NOT_FOUND,
        0,
        0,
    )
    assert vendor.requests("POST") == []
    assert vendor.requests("GET") == [
        ("GET", "447700900123"),
        ("GET", "+44 7700 900123"),
        ("GET", "+447700900123"),
    ]
    assert "CustomerGauge holds no record for this key" in o.message


def test_records_held_under_another_form_are_found_and_anonymized_in_it() -> None:
    vendor = FakeVendor({"+447700900123": 2})  # an account that stores the + form
    line = phone(0, "+44 7700 900123", "447700900123")
    result, _, _ = run(vendor, [Job(line)])
    o = result.outcomes[0]
    assert (o.status, o.key_form, o.records_before, o.records_after) == (
        Status.SUCCESS,
        KeyForm.E164,
        2,
        0,
    )
    assert vendor.requests("POST") == [("POST", "+447700900123")]
    assert vendor.records == {}


def test_an_email_is_looked_up_lower_cased_when_as_written_finds_nothing() -> None:
    vendor = FakeVendor({"ann.lee@example.com": 1})
    line = replace(lines(1)[0], key="Ann.Lee@Example.com", written="Ann.Lee@Example.com")
    result, _, _ = run(vendor, [Job(line)])
    assert (result.outcomes[0].status, result.outcomes[0].key_form) == (
        Status.SUCCESS,
        KeyForm.LOWERCASE,
    )


def test_a_blind_success_is_never_taken_for_an_erasure() -> None:
    # The vendor would answer success for anything; the lookup before says it holds nothing.
    vendor = FakeVendor({}, post_script={"user0@example.com": [Answer(200, OK)]})
    result, _, _ = run(vendor, jobs_of(1))
    assert result.outcomes[0].status is Status.NOT_FOUND
    assert vendor.requests("POST") == []


def test_sticky_records_are_still_present_after_a_second_look() -> None:
    vendor = FakeVendor({"user0@example.com": 2}, post_script={"user0@example.com": ["sticky"]})
    result, _, _ = run(vendor, jobs_of(1), recheck_delay=3.0)
    o = result.outcomes[0]
    assert (o.status, o.code, o.records_before, o.records_after) == (
        Status.FAILED,
        Reason.STILL_PRESENT,
        2,
        2,
    )
    assert "the vendor answered success but 2 record(s) remain" in o.message
    gets = [t for t, m, _ in vendor.calls if m == "GET"]
    assert len(gets) == 3 and gets[2] - gets[1] >= 3.0  # the second look waited
    assert vendor.records == {"user0@example.com": 2}


def test_a_slow_vendor_is_given_the_recheck() -> None:
    # records still listed right after the success answer, gone at the second look
    two, none = Answer(200, b'{"Data":[{},{}]}'), Answer(200, b'{"Data":[]}')
    vendor = FakeVendor(
        {"user0@example.com": 2},
        post_script={"user0@example.com": ["sticky"]},
        get_script={"user0@example.com": [two, two, none]},
    )
    result, _, _ = run(vendor, jobs_of(1))
    o = result.outcomes[0]
    assert (o.status, o.records_before, o.records_after) == (Status.SUCCESS, 2, 0)
    assert [m for m, _ in vendor.requests()] == ["GET", "POST", "GET", "GET"]


def test_a_lost_answer_whose_work_was_done_is_success_with_one_post() -> None:
    vendor = FakeVendor(
        {"user0@example.com": 1}, post_script={"user0@example.com": ["acted_then_lost"]}
    )
    result, _, _ = run(vendor, jobs_of(1))
    o = result.outcomes[0]
    assert (o.status, o.attempts, o.unknown_attempts, o.records_after) == (
        Status.SUCCESS,
        1,
        1,
        0,
    )
    assert "the answer was lost" in o.message
    assert len(vendor.requests("POST")) == 1


def test_a_lost_answer_with_records_left_is_sent_again() -> None:
    vendor = FakeVendor({"user0@example.com": 1}, post_script={"user0@example.com": ["lost"]})
    result, _, _ = run(vendor, jobs_of(1))
    o = result.outcomes[0]
    assert (o.status, o.attempts, o.unknown_attempts) == (Status.SUCCESS, 2, 1)
    methods = [m for m, _ in vendor.requests()]
    assert methods == ["GET", "POST", "GET", "POST", "GET"]
    assert vendor.records == {}


def test_a_refused_lookup_halts_before_any_post() -> None:
    refused = Answer(405, b"")
    vendor = FakeVendor(
        {f"user{i}@example.com": 1 for i in range(5)},
        get_script={f"user{i}@example.com": [refused] for i in range(5)},
    )
    result, _, _ = run(vendor, jobs_of(5), concurrency=3)
    assert vendor.requests("POST") == []
    assert len(vendor.requests("GET")) == 1  # the first key goes alone
    assert result.halt_code is Reason.LOOKUP_REFUSED
    assert "--no-verify" in result.halted
    assert all(o.status is Status.PENDING for o in result.outcomes.values())
    assert all(o.code is Reason.LOOKUP_REFUSED for o in result.outcomes.values())


def test_a_lookup_failing_after_a_success_leaves_the_key_unverified() -> None:
    busy = Answer(503, b"busy")
    vendor = FakeVendor(
        {"user0@example.com": 1}, get_script={"user0@example.com": [None, busy, busy, busy]}
    )
    result, _, _ = run(vendor, jobs_of(1), max_retries=2)
    o = result.outcomes[0]
    assert (o.status, o.code, o.records_before, o.records_after) == (
        Status.FAILED,
        Reason.UNVERIFIED,
        1,
        None,
    )


def test_a_refusal_after_records_were_found_says_how_many_remain() -> None:
    refusal = Answer(400, b'{"Error":{"Message":"Email is not valid","Code":300004}}')
    vendor = FakeVendor({"user0@example.com": 2}, post_script={"user0@example.com": [refusal]})
    result, _, _ = run(vendor, jobs_of(1))
    o = result.outcomes[0]
    assert (o.status, o.code, o.vendor_code, o.records_after) == (
        Status.FAILED,
        Reason.VENDOR_ERROR,
        "300004",
        2,
    )
    assert "2 record(s) remain" in o.message


@pytest.mark.parametrize(("left", "posts"), [(0, 0), (2, 1)])
def test_a_key_an_earlier_run_sent_is_looked_up_before_it_is_sent_again(
    left: int, posts: int
) -> None:
    vendor = FakeVendor({"user0@example.com": left} if left else {})
    job = Job(lines(1)[0], prior_attempts=1, prior_unknown=1, prior_form=KeyForm.VENDOR,
              prior_records=2)  # fmt: skip
    result, _, _ = run(vendor, [job])
    o = result.outcomes[0]
    assert o.status is Status.SUCCESS
    assert len(vendor.requests("POST")) == posts
    assert vendor.requests()[0] == ("GET", "user0@example.com")
    assert (o.records_before, o.records_after, o.attempts) == (2, 0, 1 + posts)


def test_check_counts_records_and_changes_nothing() -> None:
    vendor = FakeVendor({"user0@example.com": 2})
    result, _, _ = run(vendor, jobs_of(2), mode="lookup")
    held, absent = result.outcomes[0], result.outcomes[1]
    assert (held.status, held.records_found, held.records_before) == (Status.READY, 2, 2)
    assert absent.status is Status.NOT_FOUND
    assert vendor.requests("POST") == []
    assert vendor.records == {"user0@example.com": 2}


def test_lookups_share_the_rate_limit_with_posts() -> None:
    vendor = FakeVendor({"user0@example.com": 1, "user1@example.com": 1})
    run(vendor, jobs_of(2), rate=2.0)
    starts = [t for t, _, _ in vendor.calls]
    assert len(starts) == 6
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(g >= 0.5 - 1e-9 for g in gaps), gaps
