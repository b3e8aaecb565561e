"""What a run's ledger entry holds: the request id unless it holds the key, never the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_csv

from batch_anonymizer.api.endpoint import Endpoint
from batch_anonymizer.api.pool import ReadyJobs
from batch_anonymizer.app import keeping
from batch_anonymizer.app.keeping import Entries, ledger_path
from batch_anonymizer.app.options import LedgerTarget, RunOptions
from batch_anonymizer.app.prepare import prepare_run
from batch_anonymizer.core.records import KeyType, Outcome, Status
from batch_anonymizer.state.ledger import Ledger, LedgerEntry
from batch_anonymizer.state.secret import default_ledger


def test_an_entry_keeps_the_request_id_unless_it_holds_the_key(tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "in.csv",
        ["Request ID", "Email", "Phone"],
        [
            ["DSR-17", "ann@example.com", ""],
            ["bob@example.com", "bob@example.com", ""],
            ["call 07700 900123", "", "+44 7700 900123"],
        ],
    )
    prep = prepare_run(src)
    ledger = Ledger(tmp_path / "l.sqlite3", create=True)
    ledger.bind(b"a-test-secret-of-enough-length")
    entries = Entries(ledger, prep)
    done = Outcome(Status.SUCCESS, records_before=1, records_after=0, run_id="r1", finished_at="t")
    made = [entries(line.index, done) for line in prep.lines]
    # a run gives the line it holds (not made again from the plan's columns): the same entry
    assert [entries(line.index, done, line) for line in prep.lines] == made
    rids = [e.request_id for e in made if e]
    assert rids[0] == "DSR-17"
    # the id that holds a key: its keyed hash, the key nowhere
    assert [r[:9] for r in rids[1:]] == ["withheld:", "withheld:"]
    assert [len(r) for r in rids[1:]] == [9 + 64, 9 + 64]
    assert not any("bob" in r or "900123" in r for r in rids)
    assert [e.key_hint for e in made if e] == [
        "a***@example.com",
        "b***@example.com",
        "4477*****123",
    ]
    assert entries(0, Outcome(Status.PENDING)) is None  # not finished: not in the ledger
    for e in made:
        assert e is not None and "example.com" not in e.key_hmac


def test_earlier_erasures_are_looked_up_a_batch_of_keys_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keeping, "_LOOKUP_BATCH", 2)  # 5 distinct keys: three batches
    monkeypatch.setattr(keeping, "_KEYS_PER_ENTRY", 1)  # (the ledger holds 2 entries)
    emails = ["ann@example.com", "bob@example.com", "cy@example.org", "di@example.net"]
    rows = [[e, ""] for e in emails] + [["", "+44 7700 900123"], ["Bob@Example.com", ""]]
    prep = prepare_run(write_csv(tmp_path / "in.csv", ["Email", "Phone"], rows))
    ledger = Ledger(tmp_path / "l.sqlite3", create=True)
    ledger.bind(b"a-test-secret-of-enough-length")
    erased = [(KeyType.EMAIL, "bob@example.com"), (KeyType.TELEPHONE, "447700900123")]
    ledger.record(
        [
            LedgerEntry(ledger.hmac(kt, key), kt.value, "x", "success", "", 1, 0, "t1", "r0", "")
            for kt, key in erased
        ]
    )
    assert isinstance(prep.jobs, ReadyJobs)
    # line 5 is a duplicate of line 1 (not ready); the telephone is line 4
    assert keeping._earlier_of_keys(ledger, prep.jobs, set()) == {
        1: "t1 run r0 (success)",
        4: "t1 run r0 (success)",
    }


@pytest.mark.parametrize(
    ("base_url", "explicit", "where"),
    [
        ("https://api.eu.customergauge.com", False, "default"),
        ("https://api.us.customergauge.com:443", False, "default"),
        ("https://API.AU.customergauge.com", False, "default"),
        ("http://127.0.0.1:8765", False, "beside"),
        ("http://localhost:8765", False, "beside"),
        ("https://staging.example.net", False, "beside"),
        ("https://api.eu.customergauge.com:8443", False, "beside"),
        ("https://api.eu.customergauge.com.example.net", False, "beside"),
        ("http://127.0.0.1:8765", True, "named"),
    ],
)
def test_only_a_production_host_records_into_the_default_ledger(
    tmp_path: Path, base_url: str, explicit: bool, where: str
) -> None:
    named = tmp_path / "named.sqlite3"
    opts = RunOptions(
        Endpoint.for_base_url(base_url), None, ledger=LedgerTarget(named if explicit else None)
    )
    expected = {
        "default": default_ledger(),
        "beside": tmp_path / "reports" / "sandbox-ledger.sqlite3",
        "named": named,
    }[where]
    assert ledger_path(opts, tmp_path / "reports") == expected
    assert opts.rehearsal is (where == "beside")
