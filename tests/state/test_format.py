"""Journal and report formats: every record shape round-trips, and 0.1's files still resume."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import example, given
from hypothesis import strategies as st

from batch_anonymizer.app.prepare import prepare_retry, prepare_run
from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.errors import ReportError, UsageError
from batch_anonymizer.core.records import KeyType, Line, Outcome, Status
from batch_anonymizer.state.format import (
    dumps,
    line_from_record,
    line_record,
    line_text,
    outcome_from_dict,
    outcome_to_dict,
)
from batch_anonymizer.state.linesdigest import lines_digest
from batch_anonymizer.state.previous import load_previous
from batch_anonymizer.state.reader import read_journal

V01 = REPO / "tests" / "data" / "v0_1"


@pytest.fixture
def v01(tmp_path: Path) -> Path:
    """A copy of the 0.1 run's folder (input, journal, csv, xlsx)."""
    folder = tmp_path / "v01"
    shutil.copytree(V01, folder)
    return folder


def test_every_outcome_field_round_trips() -> None:
    full = Outcome(
        Status.FAILED,
        Reason.OUTCOME_UNKNOWN,
        "outcome uncertain",
        http_status=400,
        vendor_code="300005",
        attempts=3,
        unknown_attempts=1,
        finished_at="2026-12-01T10:00:00Z",
        run_id="r1",
        records_found=2,
    )
    bare = Outcome(Status.SUCCESS, None, "ok")
    for o in (full, bare):
        assert outcome_from_dict(json.loads(json.dumps(outcome_to_dict(o)))) == o


LINE = Line(
    3,
    "March",
    7,
    KeyType.TELEPHONE,
    "447700900123",
    "+447700900123",
    Status.READY,
    None,
    "",
    ("Ann", "447700900123.0"),
    source_column="MOBILE_PHONE",
    written="447700900123.0",
)


def test_a_line_round_trips_with_its_source_column_and_written_form() -> None:
    rec = json.loads(json.dumps(line_record(LINE)))
    assert (rec["col"], rec["written"]) == ("MOBILE_PHONE", "447700900123.0")
    assert line_from_record(rec) == LINE


_text = st.text(max_size=12)  # any code point but lone surrogates: quotes, controls, é, 😀
_lines = st.builds(
    Line,
    index=st.integers(0, 2**40),
    sheet=st.none() | _text,
    source_row=st.integers(1, 2**31),
    key_type=st.none() | st.sampled_from(KeyType),
    key=_text,
    norm=_text,
    status=st.sampled_from(Status),
    code=st.none() | st.sampled_from(Reason),
    message=_text,
    cells=st.lists(_text, max_size=4).map(tuple),
    written=_text,
    source_column=_text,
)


@given(_lines)
@example(replace(LINE, sheet='Feuil "1"\n', cells=("José \\ Ñ", "\x00\t", "😀"), message="é"))
def test_a_line_built_as_text_is_the_bytes_of_its_record(line: Line) -> None:
    assert line_text(line) == dumps(line_record(line)) + b"\n"
    assert line_from_record(json.loads(line_text(line))) == line


def test_a_line_with_a_carried_over_outcome_is_the_bytes_of_its_record() -> None:
    prior = Outcome(Status.SUCCESS, None, "anonymized", http_status=200, attempts=1)
    assert line_text(LINE, prior) == dumps(line_record(LINE, prior)) + b"\n"
    assert b',"prior":{"status":"success"' in line_text(LINE, prior)


def test_a_line_record_from_before_several_key_columns_still_reads() -> None:
    rec = json.loads(json.dumps(line_record(LINE)))
    del rec["col"], rec["written"]
    assert line_from_record(rec) == replace(LINE, source_column="", written="")


def test_the_lines_digest_covers_the_source_column_and_written_form() -> None:
    digests = {
        lines_digest([LINE]),
        lines_digest([replace(LINE, source_column="PHONE")]),
        lines_digest([replace(LINE, written="447700900123")]),
        lines_digest([replace(LINE, source_column="", written="")]),
    }
    assert len(digests) == 4


def test_a_0_1_outcome_keeps_its_vendor_code_apart() -> None:
    v1 = {"status": "failed", "http_status": 400, "message": "No records found",
          "attempts": 1, "finished_at": "t", "run_id": "r", "error_code": "300005"}  # fmt: skip
    o = outcome_from_dict(v1, version=1)
    assert (o.code, o.vendor_code, o.http_status) == (Reason.VENDOR_ERROR, "300005", 400)


def test_a_0_1_journal_is_read_with_its_codes(v01: Path) -> None:
    state = read_journal(v01 / "v01.journal")
    assert state.version == 1
    assert state.outcomes[0].status is Status.SUCCESS
    assert (state.outcomes[1].code, state.outcomes[1].vendor_code) == (
        Reason.VENDOR_ERROR,
        "300005",
    )
    assert state.lines[4].code is Reason.INVALID_EMAIL
    lost = state.unfinished(2)
    assert lost is not None
    assert (lost.status, lost.attempts, lost.unknown_attempts) == (Status.PENDING, 2, 1)


@pytest.mark.parametrize("source", ["v01.journal", "v01.xlsx", "v01.csv"])
def test_a_0_1_run_resumes(v01: Path, source: str) -> None:
    prep = prepare_run(v01 / "in.csv", resume=v01 / source)
    sent = {job.line.key: job for job in prep.jobs}
    assert sorted(sent) == ["k2@example.com", "k3@example.com", "k4@example.com"]
    # k2 was sent twice, the first answer lost: it goes again once, and says so
    assert sent["k2@example.com"].prior_attempts == 2
    assert sent["k2@example.com"].prior_unknown >= 1
    assert sent["k3@example.com"].prior_attempts == 0
    carried = {prep.lines[i].key: o for i, o in prep.carried.items()}
    assert carried["k0@example.com"].status is Status.SUCCESS
    assert carried["k1@example.com"].vendor_code == "300005"


def test_a_0_1_report_retries_but_not_only_transient(v01: Path) -> None:
    prep = prepare_retry(v01 / "v01.xlsx")
    assert sorted(j.line.key for j in prep.jobs) == [
        "k1@example.com",
        "k2@example.com",
        "k3@example.com",
        "k4@example.com",
    ]
    assert load_previous(v01 / "v01.csv").format_version == 1
    with pytest.raises(UsageError, match=r"0\.1.*without --only-transient"):
        prepare_retry(v01 / "v01.xlsx", only_transient=True)


def test_a_journal_of_a_later_format_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "later.journal"
    path.write_text(json.dumps({"t": "run", "v": 9, "tool_version": "9.0"}) + "\n")
    with pytest.raises(ReportError, match=r"format 9 \(written by batch-anonymizer 9\.0\)"):
        read_journal(path)
