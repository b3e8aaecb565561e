"""The stop list and earlier erasures in the verified flow (fake vendor, virtual clock)."""

from __future__ import annotations

import asyncio

from test_erasure import OK, FakeVendor, jobs_of, run

from batch_anonymizer.api.classify import Answer
from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.job import Job
from batch_anonymizer.core.records import Status

REFUSED = Answer(400, b'{"Error":{"Message":"Email is required","Code":400402}}')


class ListingVendor(FakeVendor):
    """A fake vendor with an unsubscribe list; ``list_script`` answers its POSTs in turn."""

    def __init__(self, records: dict[str, int], list_script: list[Answer]) -> None:
        super().__init__(records)
        self.list_script = list(list_script)
        self.listed: list[str] = []

    async def unsubscribe(self, email: str) -> Answer:
        self.calls.append((asyncio.get_running_loop().time(), "LIST", email))
        answer = self.list_script.pop(0) if self.list_script else Answer(200, OK)
        if answer.status == 200:
            self.listed.append(email)
        return answer


def test_a_transient_failure_of_the_list_is_retried_then_added() -> None:
    vendor = ListingVendor({"user0@example.com": 2}, [Answer(503, b"busy")])
    result, _, _ = run(vendor, jobs_of(1), stop_list=True)
    o = result.outcomes[0]
    assert (o.status, o.stop_list) == (Status.SUCCESS, "added")
    assert vendor.listed == ["user0@example.com"]
    assert vendor.requests("LIST") == [("LIST", "user0@example.com")] * 2


def test_a_refusal_is_recorded_as_failed_and_the_erasure_stands() -> None:
    vendor = ListingVendor({"user0@example.com": 1}, [REFUSED])
    result, _, _ = run(vendor, jobs_of(1), stop_list=True)
    o = result.outcomes[0]
    assert (o.status, o.code, o.stop_list) == (Status.SUCCESS, None, "failed")
    assert "NOT added to the vendor's stop list" in o.message
    assert vendor.listed == []


def test_keys_not_verified_erased_never_reach_the_list() -> None:
    vendor = ListingVendor({}, [])  # nobody held: not_found, nothing erased
    result, _, _ = run(vendor, jobs_of(2), stop_list=True)
    assert {o.status for o in result.outcomes.values()} == {Status.NOT_FOUND}
    assert vendor.requests("LIST") == [] and all(not o.stop_list for o in result.outcomes.values())


def test_an_earlier_erasure_is_cited_and_a_key_found_again_reappeared() -> None:
    earlier = "2026-01-05T10:00:00Z run 20260105T100000Z-abc123 (success)"
    vendor = FakeVendor({"user0@example.com": 1})
    jobs = [Job(j.line, prior_erasure=earlier) for j in jobs_of(2)]
    result, _, _ = run(vendor, jobs)
    back, gone = result.outcomes[0], result.outcomes[1]
    assert (back.status, back.code, back.previously_erased) == (
        Status.SUCCESS,
        Reason.REAPPEARED,
        earlier,
    )
    assert (gone.status, gone.code, gone.previously_erased) == (
        Status.NOT_FOUND,
        Reason.NOT_FOUND,
        earlier,
    )
    assert earlier in gone.message


def _owing(message: str = "1 record(s) anonymized, none left") -> list[Job]:
    """A verified erasure of an earlier run whose stop-list addition failed."""
    from dataclasses import replace

    from batch_anonymizer.core.records import Outcome

    earlier = Outcome(
        Status.SUCCESS,
        message=message + "; NOT added to the vendor's stop list (the run stopped first): "
        "add it by hand",
        records_before=1,
        records_after=0,
        finished_at="2026-01-05T10:00:00Z",
        run_id="20260105T100000Z-abc123",
        stop_list="failed",
    )
    return [replace(job, stop_list_only=earlier) for job in jobs_of(1)]


def test_an_erasure_owing_its_stop_list_gets_the_addition_alone() -> None:
    vendor = ListingVendor({}, [])
    result, _, _ = run(vendor, _owing(), stop_list=True)
    o = result.outcomes[0]
    assert vendor.requests() == [("LIST", "user0@example.com")]  # no lookup, no anonymize
    assert (o.status, o.stop_list, o.run_id) == (Status.SUCCESS, "added", "20260105T100000Z-abc123")
    assert o.message == "1 record(s) anonymized, none left; added to the vendor's stop list"


def test_without_stop_list_an_erasure_owing_it_keeps_its_outcome_and_sends_nothing() -> None:
    vendor = ListingVendor({}, [])
    jobs = _owing()
    result, _, _ = run(vendor, jobs)
    assert vendor.requests() == [] and result.outcomes[0] == jobs[0].stop_list_only


def test_a_stopped_run_leaves_an_erasure_owing_its_stop_list_as_it_was() -> None:
    # not "pending": the erasure happened and was verified; the list is still owed
    import random

    from fakes import run_virtual
    from test_pool import MemoryRecorder

    from batch_anonymizer.api.control import RunControl
    from batch_anonymizer.api.sending import Sending
    from batch_anonymizer.api.settings import Settings

    vendor, jobs, control = ListingVendor({}, []), _owing(), RunControl()

    async def main() -> object:
        control.bind(asyncio.get_running_loop())
        control.stop()
        s = Settings(rate=None, concurrency=1, stop_list=True)
        sending = Sending(vendor, MemoryRecorder(), s, control, run_id="r2",
                          rng=random.Random(0), now_iso=lambda: "t")  # fmt: skip
        return await sending.anonymize(jobs)

    result = run_virtual(main(), start=0.0)
    assert vendor.requests() == [] and result.outcomes[0] == jobs[0].stop_list_only  # type: ignore[attr-defined]
