"""The journal: write-ahead records, grouped fsync, torn last line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from batch_anonymizer.errors import ReportError
from batch_anonymizer.journal import JournalWriter, line_record, outcome_to_dict, read_journal
from batch_anonymizer.records import KeyType, Line, Outcome, Status


def make_line(i: int, key: str = "a@example.com") -> Line:
    return Line(i, None, i + 2, KeyType.EMAIL, key, key.lower(), Status.READY, "", "", (key,))


def write_run(path: Path, n: int = 3) -> JournalWriter:
    j = JournalWriter(path)
    j.write(
        {
            "t": "run",
            "run_id": "r1",
            "input": {"sha256": "abc", "name": "in.csv"},
            "columns": ["Email"],
        }
    )
    for i in range(n):
        j.write(line_record(make_line(i, f"u{i}@example.com")))
    j.flush_now()
    return j


def test_state_from_sends_tries_and_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "r.journal"
    j = write_run(path)
    ok = Outcome(Status.SUCCESS, 200, "Record updated successfully", attempts=1, run_id="r1")
    j.write({"t": "send", "i": 0, "a": 1})
    j.write({"t": "done", "i": 0, "o": outcome_to_dict(ok)})
    j.write({"t": "send", "i": 1, "a": 1})  # answer lost
    j.write({"t": "send", "i": 2, "a": 1})
    j.write({"t": "try", "i": 2, "a": 1, "http": 429, "msg": "HTTP 429", "unc": False})
    j.close()
    state = read_journal(path)
    assert [ln.key for ln in state.lines] == ["u0@example.com", "u1@example.com", "u2@example.com"]
    assert state.outcomes[0] == ok
    assert state.sent == {0: 1, 1: 1, 2: 1}
    assert state.unknown.get(1) == 1  # sent, no answer: outcome unknown
    assert state.unknown.get(2) == 0  # a 429 is a known "not done"
    assert not state.torn


def test_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "r.journal"
    write_run(path).close()
    with path.open("ab") as f:
        f.write(b'{"t":"send","i":0,"a"')  # power cut mid-line
    state = read_journal(path)
    assert state.torn
    assert len(state.lines) == 3
    assert state.sent == {}


def test_damage_in_the_middle_is_fatal_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "r.journal"
    write_run(path).close()
    data = path.read_bytes().split(b"\n")
    data[1] = b"garbage"
    path.write_bytes(b"\n".join(data))
    with pytest.raises(ReportError, match="damaged at line 2"):
        read_journal(path)


def test_durable_groups_waiters_into_few_fsyncs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    calls: list[int] = []
    real = os.fsync

    def counting(fd: int) -> None:
        calls.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    path = tmp_path / "r.journal"
    j = write_run(path)
    calls.clear()

    async def main() -> None:
        async def one(i: int) -> None:
            j.write({"t": "send", "i": i, "a": 1})
            await j.durable()

        await asyncio.gather(*(one(i) for i in range(200)))

    asyncio.run(main())
    assert 1 <= len(calls) <= 10  # 200 writers shared a handful of fsyncs
    j.close()
    sends = [json.loads(x) for x in path.read_text().splitlines() if '"send"' in x]
    assert len(sends) == 200


def test_never_overwrites_an_existing_journal(tmp_path: Path) -> None:
    path = tmp_path / "r.journal"
    write_run(path).close()
    with pytest.raises(ReportError, match="cannot create the journal"):
        JournalWriter(path)
    assert (path.stat().st_mode & 0o777) == 0o600
