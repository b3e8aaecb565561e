"""The journal: write-ahead records, grouped fsync, torn last line."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.errors import ReportError
from batch_anonymizer.core.records import KeyType, Line, Outcome, Status
from batch_anonymizer.state.format import line_record, outcome_to_dict
from batch_anonymizer.state.journal import JournalWriter
from batch_anonymizer.state.linesdigest import lines_digest
from batch_anonymizer.state.reader import JournalState, read_journal


def make_line(i: int, key: str = "a@example.com") -> Line:
    return Line(i, None, i + 2, KeyType.EMAIL, key, key.lower(), Status.READY, None, "", (key,))


def plan_lines(n: int = 3) -> list[Line]:
    return [make_line(i, f"u{i}@example.com") for i in range(n)]


def write_run(path: Path, n: int = 3, priors: dict[int, Outcome] | None = None) -> JournalWriter:
    lines = plan_lines(n)
    j = JournalWriter(path)
    j.write(
        {
            "t": "run",
            "v": 2,
            "run_id": "r1",
            "input": {"sha256": "abc", "name": "in.csv"},
            "columns": ["Email"],
            "lines_sha256": lines_digest(lines),
        }
    )
    for line in lines:
        j.write(line_record(line, (priors or {}).get(line.index)))
    j.flush_now()
    return j


def same_state(a: JournalState, b: JournalState) -> None:
    """Everything but how the lines were obtained."""
    assert a.lines == b.lines
    for name in ("run", "priors", "outcomes", "sent", "unknown", "last_try", "ended", "torn"):
        assert getattr(a, name) == getattr(b, name), name


def test_state_from_sends_tries_and_outcomes(tmp_path: Path) -> None:
    path = tmp_path / "r.journal"
    j = write_run(path)
    ok = Outcome(
        Status.SUCCESS,
        None,
        "Record updated successfully",
        http_status=200,
        attempts=1,
        run_id="r1",
    )
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


def write_mixed(path: Path) -> None:
    """A resumed run: carried outcomes, sends, a lost answer, retries, odd shapes."""
    earlier = Outcome(Status.SUCCESS, None, "anonymized", http_status=200, attempts=1, run_id="r0")
    j = write_run(path, n=6, priors={0: earlier})
    ok = Outcome(
        Status.SUCCESS, None, "anonymized (1 record)", http_status=200, attempts=1, run_id="r1"
    )
    j.write({"t": "send", "i": 1, "a": 1})
    j.write({"t": "done", "i": 1, "o": outcome_to_dict(ok)})
    j.write({"t": "send", "i": 2, "a": 1})  # answer lost
    j.write({"t": "send", "i": 3, "a": 1})
    j.write(
        {
            "t": "try",
            "i": 3,
            "a": 1,
            "http": 503,
            "code": "server_error",
            "msg": "HTTP 503",
            "unc": False,
        }
    )
    j.write({"t": "send", "i": 3, "a": 2})
    j.write({"t": "done", "i": 3, "o": outcome_to_dict(ok)})
    j.write({"t": "send", "i": 4, "a": 1, "note": "a field a later version might add"})
    j.write({"t": "done", "i": 4, "o": outcome_to_dict(ok), "extra": 1})
    j.write({"t": "end", "ended_at": "2024-03-01T12:00:00Z", "halted": ""})
    j.close()


def test_a_resume_of_the_same_plan_reads_the_same_state_without_decoding_lines(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.journal"
    write_mixed(path)
    full = read_journal(path)
    fast = read_journal(path, plan_lines(6))
    assert fast.lines_from_plan and not full.lines_from_plan
    same_state(fast, full)
    assert full.priors[0].run_id == "r0"
    assert full.sent == {1: 1, 2: 1, 3: 2, 4: 1}
    assert full.unknown == {2: 1}
    assert set(full.outcomes) == {1, 3, 4}
    assert full.last_try == {3: "HTTP 503"}
    assert full.ended is not None


def test_a_different_plan_is_decoded_from_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "r.journal"
    write_mixed(path)
    other = plan_lines(6)
    other[5] = make_line(5, "someone.else@example.com")
    state = read_journal(path, other)
    assert not state.lines_from_plan
    assert state.lines[5].key == "u5@example.com"  # what the journal says, not the new plan
    same_state(state, read_journal(path))


def test_a_run_killed_while_writing_its_plan_is_decoded_in_full(tmp_path: Path) -> None:
    path = tmp_path / "r.journal"
    write_run(path, n=6).close()
    records = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(records[:4]) + b"\n" + records[4][:10])  # 3 of 6 lines, torn
    state = read_journal(path, plan_lines(6))
    assert not state.lines_from_plan
    assert [ln.index for ln in state.lines] == [0, 1, 2]
    assert state.torn


def test_damage_after_the_plan_is_found_in_the_fast_read_too(tmp_path: Path) -> None:
    path = tmp_path / "r.journal"
    write_mixed(path)
    records = path.read_bytes().split(b"\n")
    records[8] = records[8][:-3] + b"}}"  # a done record cut short, not the last one
    path.write_bytes(b"\n".join(records))
    for lines in (None, plan_lines(6)):
        with pytest.raises(ReportError, match="damaged at line 9"):
            read_journal(path, lines)


def test_invalid_utf8_is_damage_in_the_middle_and_a_torn_write_at_the_end(
    tmp_path: Path,
) -> None:
    path = tmp_path / "r.journal"
    write_mixed(path)
    good = path.read_bytes()
    expected = read_journal(path)
    path.write_bytes(good + b'{"t":"send","i":5,"a":1,"x":"\xe2\x82"}\n')  # cut inside a char
    state = read_journal(path)
    assert state.torn
    state.torn = False
    same_state(state, expected)
    records = good.split(b"\n")
    records[3] = records[3].replace(b"u2@", b"u\xff@")
    path.write_bytes(b"\n".join(records))
    with pytest.raises(ReportError, match="damaged at line 4"):
        read_journal(path)


def test_the_digest_is_unambiguous_when_cells_hold_its_separator() -> None:
    a = replace(make_line(0), cells=("x\x1fy", "z"))
    b = replace(make_line(0), cells=("x", "y\x1fz"))
    assert lines_digest([a]) != lines_digest([b])
    assert lines_digest([a]) == lines_digest([replace(a)])
    assert lines_digest([a]) != lines_digest([a, a])


def test_send_and_done_write_the_same_records_as_write(tmp_path: Path) -> None:
    ok = Outcome(
        Status.SUCCESS,
        None,
        'said "yes" – ok',
        http_status=200,
        attempts=2,
        finished_at="t",
        run_id="r",
    )
    odd = Outcome(
        Status.FAILED,
        Reason.OUTCOME_UNKNOWN,
        "x",
        vendor_code="E1",
        attempts=1,
        unknown_attempts=1,
        finished_at="t",
        run_id="r",
        records_found=3,
    )
    fast, plain = JournalWriter(tmp_path / "a.journal"), JournalWriter(tmp_path / "b.journal")
    for i in range(3):
        fast.send(i, i + 1)
        plain.write({"t": "send", "i": i, "a": i + 1})
        for o in (ok, odd):
            fast.done(i, o)
            plain.write({"t": "done", "i": i, "o": outcome_to_dict(o)})
    fast.close()
    plain.close()
    assert (tmp_path / "a.journal").read_bytes() == (tmp_path / "b.journal").read_bytes()


def test_the_digest_of_one_plan_is_computed_once_and_follows_its_content(monkeypatch) -> None:
    import batch_anonymizer.state.linesdigest as journal

    lines = tuple(plan_lines(3))
    first = lines_digest(lines)
    monkeypatch.setattr(journal, "_digest", lambda _lines: "recomputed")
    assert lines_digest(lines) == first  # the same tuple: remembered
    assert lines_digest(tuple(lines)) == first  # tuple() of a tuple is the same object
    assert lines_digest(list(lines)) == "recomputed"  # a list may change: never remembered
    assert lines_digest(lines[:2]) == "recomputed"
