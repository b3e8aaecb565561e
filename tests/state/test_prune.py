"""``ledger prune --older-than YEARS``: exactly the old entries of settled requests go, and
the ledger counts them per month (``ledger stats`` and ``history`` say so)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from batch_anonymizer.cli.main import main
from batch_anonymizer.state.ledger import Ledger
from batch_anonymizer.state.prune import cutoff, prune, pruned
from tests.state.test_ledger import SECRET, entry

NOW = datetime(2024, 6, 15, 9, 0, tzinfo=UTC)  # two years back: 2022-06-15T09:00:00Z


def _ledger(tmp_path: Path) -> Path:
    ledger = Ledger(tmp_path / "ledger.sqlite3", create=True)
    ledger.bind(SECRET)
    e = lambda key, run, outcome="success", at="2021-01-10T10:00:00Z", req="": replace(  # noqa: E731
        entry(ledger, key, run, outcome, at), request_id=req
    )
    ledger.record(
        [
            e("old@example.com", "r1"),  # settled, old: pruned
            e("gone@example.com", "r1", "not_found", "2021-02-03T10:00:00Z"),  # pruned
            e("edge@example.com", "r2", at="2022-06-15T09:00:00Z"),  # exactly 2 years: kept
            e("new@example.com", "r3", at="2023-01-01T10:00:00Z"),  # recent: kept
            e("failed@example.com", "r1", "failed"),  # not settled: kept
            e("pair1@example.com", "r1", req="R9"),  # its request has a failed key: kept
            e("pair2@example.com", "r1", "failed", req="R9"),
            e("both1@example.com", "r1", req="R8"),  # a settled request: both pruned
            e("both2@example.com", "r1", "not_found", req="R8"),
            e("pair1@example.com", "r4", req="R9"),  # the same id in another run: settled
        ]
    )
    ledger.close()
    return tmp_path / "ledger.sqlite3"


def _left(path: Path) -> set[tuple[str, str]]:
    ledger = Ledger(path, create=False)
    try:
        return {(e.key_hint, e.run_id) for e in ledger.entries()}
    finally:
        ledger.close()


def test_prune_removes_exactly_the_old_entries_of_settled_requests(tmp_path: Path) -> None:
    path = _ledger(tmp_path)
    assert cutoff(2, NOW) == "2022-06-15T09:00:00Z"
    ledger = Ledger(path, create=False)
    done = prune(ledger, 2, NOW)
    assert [(p.month, p.outcome, p.entries) for p in done] == [
        ("2021-01", "not_found", 1),
        ("2021-01", "success", 3),
        ("2021-02", "not_found", 1),
    ]
    assert _left(path) == {
        ("e***", "r2"),
        ("n***", "r3"),
        ("f***", "r1"),
        ("p***", "r1"),  # pair1 and pair2 of run r1: one hint
    }
    assert len(pruned(ledger)) == 3
    assert prune(ledger, 2, NOW) == []  # nothing more
    assert sum(p.entries for p in pruned(ledger)) == 5
    ledger.close()


def test_stats_and_history_explain_the_gap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _ledger(tmp_path)
    monkeypatch.setenv("BATCH_ANONYMIZER_HMAC_KEY", SECRET.decode())
    assert main(["ledger", "prune", "--older-than", "3", "--ledger", str(path)]) == 0
    assert "Pruned" in capsys.readouterr().out  # today minus 3 years: the 2021 entries go
    assert main(["ledger", "stats", "--ledger", str(path)]) == 0
    out = capsys.readouterr().out
    assert "pruned (ledger prune" in out and "2021-01" in out
    assert main(["history", "old@example.com", "--ledger", str(path)]) == 1
    out = capsys.readouterr().out
    assert "not found" in out and "were pruned from this ledger" in out
    with pytest.raises(SystemExit) as stop:  # no default retention: the years are required
        main(["ledger", "prune", "--ledger", str(path)])
    assert stop.value.code == 2
