"""What a run's ledger entry holds: the request id unless it holds the key, never the key."""

from __future__ import annotations

from pathlib import Path

from conftest import write_csv

from batch_anonymizer.app.keeping import Entries
from batch_anonymizer.app.prepare import prepare_run
from batch_anonymizer.core.records import Outcome, Status
from batch_anonymizer.state.ledger import Ledger


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
