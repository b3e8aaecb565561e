"""Atomic evidence writes: all files or none, and a message that says what to do next."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from batch_anonymizer.core.errors import ReportError
from batch_anonymizer.core.files import atomic_write


def test_every_file_is_written_private_or_none_is(tmp_path: Path) -> None:
    a, b = tmp_path / "out" / "a.csv", tmp_path / "out" / "b.csv"
    atomic_write((a, lambda f: f.write(b"one")), (b, lambda f: f.write(b"two")))
    assert (a.read_bytes(), b.read_bytes()) == (b"one", b"two")
    assert stat.S_IMODE(a.stat().st_mode) == 0o600
    assert stat.S_IMODE(a.parent.stat().st_mode) == 0o700

    def fails(f) -> None:
        f.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(ReportError) as exc:
        atomic_write((a, lambda f: f.write(b"new")), (b, fails), then="then export again")
    assert (a.read_bytes(), b.read_bytes()) == (b"one", b"two")  # neither replaced
    assert sorted(p.name for p in a.parent.iterdir()) == ["a.csv", "b.csv"]  # no temp left
    assert exc.value.message == (
        f"cannot write {b} (No space left on device); free some disk space or choose another "
        "folder, then export again"
    )


def test_the_report_advice_is_the_default(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    with pytest.raises(ReportError) as exc:
        atomic_write((blocker / "r.csv", lambda f: f.write(b"x")))
    assert exc.value.message.endswith(
        "then write the report again from the journal with `batch-anonymizer report`"
    )
