"""The ledger feed writes an entry only once the journal's done record behind it is on disk."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from batch_anonymizer.core.errors import LedgerError
from batch_anonymizer.core.records import Line, Outcome, Status
from batch_anonymizer.state.feed import LedgerFeed
from batch_anonymizer.state.ledger import LedgerEntry


class Journal:
    """A journal whose fsync waits until the test says so."""

    def __init__(self) -> None:
        self.done_records: list[int] = []
        self.synced: list[int] = []
        self.release = asyncio.Event()

    def done(self, index: int, outcome: Outcome) -> None:
        self.done_records.append(index)

    async def durable(self) -> None:
        await self.release.wait()
        self.synced = list(self.done_records)


class Ledger:
    def __init__(self, journal: Journal, fail: bool = False) -> None:
        self.journal = journal
        self.fail = fail
        self.batches: list[list[str]] = []
        self.unsynced = 0  # batches recorded, not yet made durable
        self.made_durable = 0  # how many the last sync() made durable

    def record(self, entries: list[LedgerEntry], *, synced: bool = True) -> int:
        self.unsynced += not synced
        if self.fail:
            raise LedgerError("cannot write the ledger: full")
        # journal first: every entry's done record was on disk before it was written
        assert all(int(e.run_id) in self.journal.synced for e in entries)
        self.batches.append([e.run_id for e in entries])
        return len(entries)

    def sync(self) -> None:
        self.made_durable = self.unsynced
        self.unsynced = 0


def entry_of(index: int, outcome: Outcome, line: Line | None = None) -> LedgerEntry:
    return LedgerEntry("h", "email", "a***", outcome.status.value, "", 1, 0, "t", str(index), "s")


def test_entries_wait_for_the_journal_then_go_in_batches() -> None:
    async def go() -> tuple[list[list[str]], int]:
        journal = Journal()
        ledger = Ledger(journal)
        feed = LedgerFeed(journal, ledger, entry_of, on_failure=lambda e: None)  # type: ignore[arg-type]
        feed.start()
        for i in range(3):
            feed.done(i, Outcome(Status.SUCCESS))
        await asyncio.sleep(0.01)
        assert ledger.batches == []  # the journal is not on disk yet: nothing in the ledger
        journal.release.set()
        await feed.aclose()
        # the run's batches are not fsynced one by one (the journal is), but all at its end
        assert (ledger.made_durable, ledger.unsynced) == (len(ledger.batches), 0)
        return ledger.batches, feed.recorded

    batches, recorded = asyncio.run(go())
    assert [i for b in batches for i in b] == ["0", "1", "2"] and recorded == 3


def test_a_ledger_that_cannot_be_written_stops_the_run_once() -> None:
    failures: list[LedgerError] = []

    async def go() -> None:
        journal = Journal()
        journal.release.set()
        feed = LedgerFeed(journal, Ledger(journal, fail=True), entry_of, failures.append)  # type: ignore[arg-type]
        feed.start()
        feed.done(0, Outcome(Status.SUCCESS))
        await asyncio.sleep(0.01)
        feed.done(1, Outcome(Status.SUCCESS))  # after the failure: not queued, not retried
        await feed.aclose()

    asyncio.run(go())
    assert len(failures) == 1


async def _until(done: Callable[[], bool]) -> None:
    for _ in range(2000):
        if done():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the feed did not write in time")


def _feed(batch: int, interval: float) -> tuple[LedgerFeed, Ledger]:
    journal = Journal()
    journal.release.set()
    ledger = Ledger(journal)
    feed = LedgerFeed(journal, ledger, entry_of, lambda e: None, batch=batch, interval=interval)  # type: ignore[arg-type]
    feed.start()
    return feed, ledger


def test_the_first_key_goes_at_once_then_full_batches_the_rest_at_the_end() -> None:
    async def go() -> tuple[list[list[str]], list[list[str]]]:
        feed, ledger = _feed(batch=4, interval=60.0)
        for i in range(10):
            feed.done(i, Outcome(Status.SUCCESS))
            written = 1 + i // 4  # the first at once (a broken ledger stops the run early)
            await _until(lambda: len(ledger.batches) >= written)  # noqa: B023 (awaited here)
        await asyncio.sleep(0.02)
        waiting = list(ledger.batches)  # the last one waits for more (up to the interval)
        await feed.aclose()
        return waiting, ledger.batches

    waiting, closed = asyncio.run(go())
    assert waiting == [["0"], ["1", "2", "3", "4"], ["5", "6", "7", "8"]]
    assert closed == [*waiting, ["9"]]


def test_a_partial_batch_goes_in_once_its_time_is_up() -> None:
    async def go() -> list[list[str]]:
        feed, ledger = _feed(batch=1000, interval=0.01)
        feed.done(0, Outcome(Status.SUCCESS))
        await _until(lambda: len(ledger.batches) == 1)
        feed.done(1, Outcome(Status.SUCCESS))
        await _until(lambda: len(ledger.batches) == 2)  # before the end of the run
        batches = list(ledger.batches)
        await feed.aclose()
        return batches

    assert asyncio.run(go()) == [["0"], ["1"]]
