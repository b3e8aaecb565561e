"""The worker pool with a scripted sender and a fake clock (fast, exact).

End-to-end behaviour over real HTTP is in test_e2e.py; here each rule of the
runner is pinned down on its own.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from batch_anonymizer.api.classify import Answer
from batch_anonymizer.api.pool import GAVE_UP, Job, Runner, Settings
from batch_anonymizer.api.ratelimit import FakeClock
from batch_anonymizer.core.records import KeyType, Line, Status
from batch_anonymizer.state.journal import JournalWriter, read_journal

OK = Answer(200, b'{"Data":{"message":"Record updated successfully"}}')
NO_MATCH = Answer(400, b'{"Error":{"Message":"No records found","Code":300005}}')
DENIED = Answer(401, b'{"Error":{"Message":"Invalid API Key","Code":200000}}')


class ScriptedSender:
    """Answers from a per-key script; records (time, method, key) of every call."""

    def __init__(
        self,
        clock: FakeClock,
        script: dict[str, list[Answer]] | None = None,
        default: Answer = OK,
        records: dict[str, int] | None = None,
    ) -> None:
        self.clock = clock
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.default = default
        self.records = records or {}
        self.calls: list[tuple[float, str, str]] = []

    async def anonymize(self, key_type: KeyType, key: str) -> Answer:
        self.calls.append((self.clock.now(), "POST", key))
        await asyncio.sleep(0)
        queue = self.script.get(key)
        return queue.pop(0) if queue else self.default

    async def precheck(self, key_type: KeyType, key: str) -> Answer:
        self.calls.append((self.clock.now(), "GET", key))
        n = self.records.get(key, 1)
        body = "[" + ",".join('{"email":"x"}' for _ in range(n)) + "]"
        return Answer(200, ('{"Data":' + body + "}").encode())


def lines(n: int) -> list[Line]:
    return [
        Line(
            i,
            None,
            i + 2,
            KeyType.EMAIL,
            f"user{i}@example.com",
            f"user{i}@example.com",
            Status.READY,
            "",
            "",
            (f"user{i}@example.com",),
        )
        for i in range(n)
    ]


def run(tmp_path: Path, sender: ScriptedSender, clock: FakeClock, n: int, **settings: object):
    s = Settings(**{"rate": None, "concurrency": 1, **settings})  # type: ignore[arg-type]
    journal = JournalWriter(tmp_path / "t.journal")
    runner = Runner(
        sender,
        journal,
        s,
        run_id="run-1",
        clock=clock.clock(),
        rng=random.Random(0),
        progress=False,
    )
    result = asyncio.run(runner.run([Job(line) for line in lines(n)]))
    journal.close()
    return result, runner


def test_transient_then_success_counts_attempts(tmp_path: Path) -> None:
    clock = FakeClock()
    sender = ScriptedSender(clock, {"user0@example.com": [Answer(503, b"busy"), OK]})
    result, _ = run(tmp_path, sender, clock, 2)
    o = result.outcomes[0]
    assert (o.status, o.attempts, o.http_status) == (Status.SUCCESS, 2, 200)
    assert o.message == "Record updated successfully"
    assert result.outcomes[1].attempts == 1
    assert not result.halted
    assert clock.slept, "backed off before the retry"


def test_401_halts_at_once_rest_pending(tmp_path: Path) -> None:
    clock = FakeClock()
    sender = ScriptedSender(clock, {"user2@example.com": [DENIED]})
    result, _ = run(tmp_path, sender, clock, 6)
    assert "credentials" in result.halted
    posts = [c[2] for c in sender.calls]
    assert posts == [f"user{i}@example.com" for i in range(3)]  # nothing after the 401
    statuses = [result.outcomes[i].status for i in range(6)]
    assert statuses == [Status.SUCCESS] * 2 + [Status.PENDING] * 4
    assert result.outcomes[2].http_status == 401
    assert result.outcomes[3].message.startswith("not sent: run halted")


def test_consecutive_failures_breaker(tmp_path: Path) -> None:
    clock = FakeClock()
    sender = ScriptedSender(clock, default=NO_MATCH)
    result, _ = run(tmp_path, sender, clock, 15, max_consecutive_failures=3)
    assert "3 keys failed in a row" in result.halted
    assert len(sender.calls) == 3
    assert [result.outcomes[i].status for i in range(4)] == [Status.FAILED] * 3 + [Status.PENDING]


def test_failure_rate_breaker_waits_for_twenty(tmp_path: Path) -> None:
    clock = FakeClock()
    script = {f"user{i}@example.com": [NO_MATCH] for i in range(0, 40, 2)}  # every other fails
    sender = ScriptedSender(clock, script)
    result, _ = run(tmp_path, sender, clock, 40, max_failure_rate=0.5, max_consecutive_failures=0)
    assert "10 of 20 finished keys failed" in result.halted
    assert len(sender.calls) == 20


def test_long_retry_after_halts(tmp_path: Path) -> None:
    clock = FakeClock()
    sender = ScriptedSender(clock, {"user1@example.com": [Answer(429, b"", retry_after="3600")]})
    result, _ = run(tmp_path, sender, clock, 4, max_wait=300)
    assert "asked to wait 3600 s" in result.halted
    assert result.outcomes[1].status is Status.PENDING
    assert result.outcomes[1].attempts == 1
    assert [result.outcomes[i].status for i in (2, 3)] == [Status.PENDING] * 2


def test_retry_after_pauses_every_worker(tmp_path: Path) -> None:
    clock = FakeClock()
    sender = ScriptedSender(clock, {"user0@example.com": [Answer(503, b"", retry_after="20"), OK]})
    result, _ = run(tmp_path, sender, clock, 6, concurrency=3)
    t0 = sender.calls[0][0]
    after = [t for t, _, key in sender.calls[1:] if t > t0]
    assert all(o.status is Status.SUCCESS for o in result.outcomes.values())
    # every send that started after the 503 waited for the whole pause
    assert after and all(t >= t0 + 20 for t in after)


def test_429_halves_the_rate(tmp_path: Path) -> None:
    clock = FakeClock()
    sender = ScriptedSender(clock, {"user0@example.com": [Answer(429, b""), OK]})
    _, runner = run(tmp_path, sender, clock, 1, rate=8.0)
    assert runner.limiter.rate == 4


def test_transient_exhausted_is_failed_and_says_so(tmp_path: Path) -> None:
    clock = FakeClock()
    sender = ScriptedSender(clock, default=Answer(503, b"<html>busy</html>"))
    result, _ = run(tmp_path, sender, clock, 1, max_retries=2)
    o = result.outcomes[0]
    assert o.status is Status.FAILED
    assert o.attempts == 3
    assert o.message.startswith(f"{GAVE_UP} 3 attempts: HTTP 503")


def test_timeout_then_no_match_is_reported_as_uncertain(tmp_path: Path) -> None:
    clock = FakeClock()
    sender = ScriptedSender(clock, {"user0@example.com": [Answer(None, error="timeout"), NO_MATCH]})
    result, _ = run(tmp_path, sender, clock, 1)
    o = result.outcomes[0]
    assert o.status is Status.FAILED
    assert o.attempts == 2
    assert o.unknown_attempts == 1
    assert "outcome uncertain" in o.message
    assert "No records found" in o.message
    assert o.error_code == "300005"


def test_precheck_settles_a_lost_answer(tmp_path: Path) -> None:
    clock = FakeClock()
    sender = ScriptedSender(
        clock,
        {"user0@example.com": [Answer(None, error="timeout"), NO_MATCH]},
        records={"user0@example.com": 0},
    )
    result, _ = run(tmp_path, sender, clock, 1, precheck=True)
    o = result.outcomes[0]
    assert o.status is Status.SUCCESS
    assert "verified by pre-check: no records remain" in o.message
    assert [c[1] for c in sender.calls] == ["GET", "POST", "POST", "GET"]


def test_every_send_is_journaled_before_it_leaves(tmp_path: Path) -> None:
    clock = FakeClock()
    journal_path = tmp_path / "t.journal"
    seen: list[int] = []

    class Checking(ScriptedSender):
        async def anonymize(self, key_type: KeyType, key: str) -> Answer:
            # the send record must already be on disk when the request goes out
            text = journal_path.read_text()
            seen.append(text.count('"t":"send"'))
            return await super().anonymize(key_type, key)

    sender = Checking(clock, {"user0@example.com": [Answer(500, b""), OK]})
    journal = JournalWriter(journal_path)
    journal.write({"t": "run", "run_id": "run-1"})
    runner = Runner(
        sender,
        journal,
        Settings(rate=None, concurrency=1),
        run_id="run-1",
        clock=clock.clock(),
        rng=random.Random(0),
        progress=False,
    )
    asyncio.run(runner.run([Job(line) for line in lines(2)]))
    journal.close()
    assert seen == [1, 2, 3]
    state = read_journal(journal_path)
    assert state.outcomes[0].attempts == 2


@pytest.mark.parametrize("n", [0, 1])
def test_empty_and_single(tmp_path: Path, n: int) -> None:
    clock = FakeClock()
    result, _ = run(tmp_path, ScriptedSender(clock), clock, n)
    assert len(result.outcomes) == n
