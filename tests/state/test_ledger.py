"""The ledger file: schema and migrations, modes, idempotent records, the secret's fingerprint."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from batch_anonymizer.core.errors import LedgerError
from batch_anonymizer.core.records import KeyType
from batch_anonymizer.state.ledger import SCHEMA_VERSION, Ledger, LedgerEntry

SECRET = b"a-test-secret-of-enough-length"


def entry(
    ledger: Ledger, key: str, run: str, outcome: str = "success", at: str = ""
) -> LedgerEntry:
    return LedgerEntry(
        key_hmac=ledger.hmac(KeyType.EMAIL, key),
        key_type="email",
        key_hint=key[0] + "***",
        outcome=outcome,
        code="" if outcome == "success" else outcome,
        records_before=1,
        records_after=0,
        finished_at=at or "2026-03-01T10:00:00Z",
        run_id=run,
        input_sha256="0" * 64,
    )


def open_new(tmp_path: Path) -> Ledger:
    ledger = Ledger(tmp_path / "new" / "deep" / "ledger.sqlite3", create=True)
    ledger.bind(SECRET)
    return ledger


def test_a_new_ledger_is_private_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    ledger = open_new(tmp_path)
    ledger.record([entry(ledger, "ann@example.com", "r1")])  # -wal and -shm exist while open
    path = ledger.path
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.iterdir()}
    assert modes == {path.name: 0o600, f"{path.name}-wal": 0o600, f"{path.name}-shm": 0o600}
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700
    assert ledger.schema_version() == SCHEMA_VERSION == 1
    assert ledger.meta("kind") == "real" and not ledger.sandbox
    ledger.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(1,)]


def test_a_ledger_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    ledger = open_new(tmp_path)
    ledger.close()
    with sqlite3.connect(ledger.path) as db:
        db.execute("UPDATE schema_version SET version = 7")
    with pytest.raises(LedgerError, match="schema 7, written by a newer"):
        Ledger(ledger.path, create=False)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("readonly", [False, True])
@pytest.mark.parametrize("kind", ["empty", "foreign"])
def test_a_file_that_is_not_a_ledger_is_refused_and_left_as_it_was(
    tmp_path: Path, kind: str, readonly: bool
) -> None:
    path = tmp_path / "other.sqlite3"
    if kind == "empty":
        path.touch()
    else:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE contacts (email TEXT)")
    before = files_of(tmp_path)
    what = "an empty file" if kind == "empty" else "not an erasure ledger"
    with pytest.raises(LedgerError, match=what):
        Ledger(path, create=True, readonly=readonly)
    assert files_of(tmp_path) == before  # no table, no meta, no WAL switch, no -wal file


def test_a_new_ledger_is_made_whole_before_it_appears(tmp_path: Path) -> None:
    ledger = open_new(tmp_path)
    ledger.close()
    # nothing of the temporary file it was made in is left
    assert [p.name for p in ledger.path.parent.iterdir()] == ["ledger.sqlite3"]
    again = Ledger(ledger.path, create=True)
    assert again.meta("kind") == "real" and again.meta("created_at")


def test_a_reader_on_read_only_storage_reads_and_writes_nothing(tmp_path: Path) -> None:
    ledger = open_new(tmp_path)
    ledger.record([entry(ledger, "ann@example.com", "r1")])
    ledger.close()
    folder = ledger.path.parent
    before = files_of(folder)
    assert list(before) == ["ledger.sqlite3"]  # the last writer checkpointed its -wal
    ledger.path.chmod(0o444)
    folder.chmod(0o555)  # root ignores the bits, the reader does not: no file may appear
    try:
        reader = Ledger(ledger.path, create=False, readonly=True)
        reader.bind(SECRET, write=False)
        ann = reader.hmac(KeyType.EMAIL, "ann@example.com")
        assert [e.run_id for e in reader.history(ann)] == ["r1"]
        assert reader.stats() == [("2026-03", "success", 1)]
        reader.close()
        assert files_of(folder) == before  # no -wal, no -shm, the same bytes
    finally:
        folder.chmod(0o700)


def test_a_reader_never_gives_a_ledger_its_secret(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    Ledger(path, create=True).close()
    reader = Ledger(path, create=False, readonly=True)
    reader.bind(SECRET)  # even when asked to write
    reader.close()
    assert Ledger(path, create=False).meta("secret_fingerprint") == ""


def test_a_damaged_ledger_is_refused_for_writing(tmp_path: Path) -> None:
    ledger = open_new(tmp_path)
    ledger.record([entry(ledger, f"p{i}@example.com", "r1") for i in range(300)])
    ledger.close()
    data = bytearray(ledger.path.read_bytes())
    at = len(data) // 4096 // 2 * 4096  # a page of the entries, well past meta
    assert at > 5 * 4096
    data[at + 8 : at + 400] = b"\xa5" * 392  # torn
    ledger.path.write_bytes(bytes(data))
    with pytest.raises(LedgerError, match="is damaged"):
        Ledger(ledger.path, create=True)


def test_recording_is_idempotent_per_run_and_key(tmp_path: Path) -> None:
    ledger = open_new(tmp_path)
    first = [entry(ledger, "ann@example.com", "r1"), entry(ledger, "bob@example.com", "r1")]
    assert ledger.record(first) == 2
    assert ledger.record(first) == 0  # a resume records the same again: nothing changes
    assert ledger.record([entry(ledger, "ann@example.com", "r2")]) == 1  # another run
    assert len(ledger.entries()) == 3


def test_settled_is_the_newest_success_or_not_found_outside_the_runs_continued(
    tmp_path: Path,
) -> None:
    ledger = open_new(tmp_path)
    ann, bob, cy = (
        ledger.hmac(KeyType.EMAIL, k) for k in ("ann@x.example", "bob@x.example", "cy@x.example")
    )
    ledger.record(
        [
            entry(ledger, "ann@x.example", "r1", at="2026-01-01T00:00:00Z"),
            entry(ledger, "ann@x.example", "r2", "not_found", at="2026-02-01T00:00:00Z"),
            entry(ledger, "bob@x.example", "r1", "failed"),
            entry(ledger, "cy@x.example", "r3"),
        ]
    )
    found = ledger.settled([ann, bob, cy], besides={"r3"})
    assert set(found) == {ann}  # failed is not an erasure; r3 is the run being continued
    assert found[ann].cited() == "2026-02-01T00:00:00Z run r2 (not_found)"
    assert [e.run_id for e in ledger.history(ann)] == ["r2", "r1"]  # newest first


def test_a_column_of_hashes_is_looked_up_at_once(tmp_path: Path) -> None:
    ledger = open_new(tmp_path)
    ledger.record([entry(ledger, "ann@x.example", "r1"), entry(ledger, "bob@x.example", "r1")])
    ledger.record([entry(ledger, "cy@x.example", "r2", "failed")])
    keys = [f"u{i}@x.example" for i in range(1200)] + ["ann@x.example", "bob@x.example"]
    hashes = ledger.hmacs((KeyType.EMAIL, k) for k in [*keys, "cy@x.example", "ann@x.example"])
    assert hashes[-4] == ledger.hmac(KeyType.EMAIL, "ann@x.example")
    found = ledger.settled(hashes)  # more than one query's parameters: one joined query
    assert set(found) == {hashes[-4], hashes[-3]}
    assert ledger.settled(hashes, besides={"r1"}) == {}
    assert set(ledger.settled(hashes)) == set(found)  # asked again: the same answer
    # a ledger holding more settled entries than the keys asked about: joined to them
    ledger.record([entry(ledger, k, "r3") for k in keys[:900]])
    asked = hashes[600:1100]  # 300 recorded in r3, 200 never
    held = ledger.settled([*asked, hashes[-1]])
    assert set(held) == {*hashes[600:900], hashes[-1]}
    assert held[hashes[-1]].run_id == "r1"
    assert ledger.settled(asked, besides={"r3"}) == {}


def test_a_run_s_batches_are_fsynced_at_its_end_and_every_other_write_at_once(
    tmp_path: Path,
) -> None:
    ledger = open_new(tmp_path)

    def synchronous() -> int:
        return int(ledger.db.execute("PRAGMA synchronous").fetchone()[0])

    assert synchronous() == 2  # FULL
    ledger.record([entry(ledger, "ann@x.example", "r1")], synced=False)
    assert synchronous() == 1  # NORMAL: the journal holds these, a resume records them again
    ledger.sync()
    assert synchronous() == 2
    ledger.record([entry(ledger, "bob@x.example", "r1")])
    assert synchronous() == 2
    assert len(ledger.entries()) == 2


def test_a_ledger_refuses_another_secret(tmp_path: Path) -> None:
    ledger = open_new(tmp_path)
    ledger.close()
    again = Ledger(ledger.path, create=False)
    with pytest.raises(LedgerError, match="made with another secret"):
        again.bind(b"another-secret-of-enough-length")
    again.bind(SECRET)  # the right one is fine


def test_a_missing_ledger_is_not_created_for_reading(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="there is no ledger"):
        Ledger(tmp_path / "none.sqlite3", create=False)
    assert not (tmp_path / "none.sqlite3").exists()


def test_the_telephone_identity_is_the_vendor_form_in_any_writing() -> None:
    from batch_anonymizer.core.identity import vendor_identity

    forms = ["+44 7700 900123", "0044 7700 900123", "447700900123", "+44-7700-900123"]
    assert {vendor_identity(KeyType.TELEPHONE, f) for f in forms} == {"447700900123"}
    assert vendor_identity(KeyType.TELEPHONE, "07700 900123", "447700900123") == "447700900123"
    assert vendor_identity(KeyType.EMAIL, " Ann@Example.COM ") == "ann@example.com"
