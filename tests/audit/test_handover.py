"""The handover copy holds no key, and the same secret finds a key in it."""

from __future__ import annotations

import hashlib
import hmac
import zipfile
from pathlib import Path

import pytest
from test_report import FACTS, make_line

from batch_anonymizer.audit.handover import REMOVED, lookup, write_handover
from batch_anonymizer.audit.report import write_report
from batch_anonymizer.audit.reportread import read_report
from batch_anonymizer.core.errors import UsageError
from batch_anonymizer.core.identity import pseudonym
from batch_anonymizer.core.records import KeyType, Status
from batch_anonymizer.state.secret import SECRET_ENV, load_secret

SECRET = b"0123456789abcdef-handover-test"
COLUMNS = ("Request ID", "Email", "Phone", "Notes")
KEYS = ["Jane.Doe@Example.com", "+44 7700 900123", "bob@example.org", "not-an-email"]


def make_report(tmp_path: Path) -> Path:
    lines = [
        make_line(0, key=KEYS[0], cells=("R1", KEYS[0], "", "call back")),
        make_line(
            1,
            key=KEYS[1],
            key_type=KeyType.TELEPHONE,
            cells=("R2", "", KEYS[1], "ring 07700 900123 first"),
        ),
        make_line(
            2,
            Status.FAILED,
            key=KEYS[2],
            message="no record for bob@example.org",
            cells=("R3", KEYS[2], "", "see jane.doe@example.com too"),
        ),
        make_line(3, Status.INVALID, key=KEYS[3], message="'not-an-email' is not an email"),
        make_line(4, Status.INVALID, key="", key_type=None, message="no key in the row"),
    ]
    xlsx = tmp_path / "run.xlsx"
    write_report(xlsx, tmp_path / "run.csv", COLUMNS, lines, FACTS)
    return xlsx


def all_bytes(xlsx: Path) -> bytes:
    with zipfile.ZipFile(xlsx) as z:
        return b"".join(z.read(n) for n in z.namelist()) + xlsx.with_suffix(".csv").read_bytes()


def test_handover_holds_no_key(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    out = write_handover(report, tmp_path / "out.xlsx", SECRET, ["Request ID", "Notes"])
    assert out == tmp_path / "out.xlsx" and out.with_suffix(".csv").exists()
    raw = all_bytes(out).lower()
    for key in [*KEYS, "07700 900123", "447700900123", "jane.doe", "bob@"]:
        assert key.lower().encode() not in raw, key
    assert SECRET not in all_bytes(out)
    # the report itself does hold them: the check above is not vacuous
    assert KEYS[0].encode() in all_bytes(report)


def test_handover_contents(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    out = write_handover(report, tmp_path / "out.xlsx", SECRET, ["Request ID", "Notes"])
    for path in (out, out.with_suffix(".csv")):
        rep = read_report(path)
        assert rep.input_columns == ("key_hint", "Request ID", "Notes")
        rows = rep.rows
        digest = hmac.new(SECRET, b"jane.doe@example.com", hashlib.sha256).hexdigest()
        assert rows[0]["key"] == digest
        assert rows[0]["key_hint"] == "J***@Example.com"
        assert rows[1]["key_hint"] == "+44 77** ***123"
        assert [r["Request ID"] for r in rows] == ["R1", "R2", "R3", "R3", "R4"]
        assert rows[0]["Notes"] == "call back"
        assert rows[1]["Notes"] == REMOVED  # its own number, written another way
        assert rows[2]["Notes"] == REMOVED  # another line's key
        assert rows[2]["message"] == REMOVED
        assert rows[3]["message"] == REMOVED
        assert rows[4]["message"] == "no key in the row"
        assert rows[4]["key"] == ""
        assert [r["status"] for r in rows] == ["success", "success", "failed", "invalid", "invalid"]
        assert rows[0]["finished_at"] == "2024-03-01T10:01:00Z"
        # the column each key came from is a header, not a key: it is kept
        assert [r["source_column"] for r in rows] == ["Email", "Phone", "Email", "Email", ""]
    assert read_report(out).facts["run_id"] == FACTS.run_id


def test_lookup_finds_a_processed_key(tmp_path: Path) -> None:
    out = write_handover(make_report(tmp_path), tmp_path / "out.xlsx", SECRET, [])
    found = lookup(out, "  jane.doe@EXAMPLE.com ", SECRET)
    assert [(r["source_row"], r["status"]) for r in found] == [("2", "success")]
    assert len(lookup(out.with_suffix(".csv"), "+447700900123", SECRET)) == 1
    assert lookup(out, "someone@example.net", SECRET) == []
    assert lookup(out, KEYS[0], b"another secret of enough length") == []


def test_refusals(tmp_path: Path) -> None:
    report = make_report(tmp_path)
    with pytest.raises(UsageError, match="has no input column 'Nope'"):
        write_handover(report, tmp_path / "out.xlsx", SECRET, ["Nope"])
    with pytest.raises(UsageError, match="would overwrite the report"):
        write_handover(report, report, SECRET, [])


def test_load_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with pytest.raises(UsageError, match="no handover secret"):
        load_secret(None)
    monkeypatch.setenv(SECRET_ENV, "short")
    with pytest.raises(UsageError, match="shorter than 16 bytes"):
        load_secret(None)
    monkeypatch.setenv(SECRET_ENV, "x" * 20)
    assert load_secret(None) == b"x" * 20
    f = tmp_path / "secret"
    f.write_bytes(SECRET + b"\n")
    assert load_secret(f) == SECRET
    with pytest.raises(UsageError, match="cannot read the handover secret file"):
        load_secret(tmp_path / "missing")


def test_a_telephone_pseudonym_is_the_same_in_every_written_form() -> None:
    # the HMAC is over the vendor's stored form: country code and digits
    expected = hmac.new(SECRET, b"447700900123", hashlib.sha256).hexdigest()
    for written in ("+44 7700 900123", "0044 7700 900123", "447700900123", "+44-7700-900-123"):
        assert pseudonym(SECRET, written, KeyType.TELEPHONE) == expected
    assert pseudonym(SECRET, " Ann@Example.COM ") == pseudonym(SECRET, "ann@example.com")


def test_a_kept_cell_holding_a_key_of_nobody_in_the_report_is_removed(tmp_path: Path) -> None:
    # a request id that is another person's key, not one of the report's (issue 23)
    lines = [
        make_line(0, key=KEYS[0], cells=("+44 7700 900999", KEYS[0], "", "")),
        make_line(1, key=KEYS[2], cells=("zed@example.net", KEYS[2], "", "")),
        make_line(2, key="amy@example.com", cells=("REQ-2024-000123", "amy@example.com", "", "")),
    ]
    write_report(tmp_path / "run.xlsx", tmp_path / "run.csv", COLUMNS, lines, FACTS)
    out = write_handover(tmp_path / "run.xlsx", tmp_path / "out.xlsx", SECRET, ["Request ID"])
    assert [r["Request ID"] for r in read_report(out).rows] == [
        REMOVED,
        REMOVED,
        "REQ-2024-000123",
    ]
    assert b"900999" not in all_bytes(out) and b"zed@" not in all_bytes(out)
