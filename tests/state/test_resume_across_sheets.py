"""Issue 17's exact failure: a resume from the .xlsx of a run whose lines fill more than
one Rows sheet carries over every line, so nothing is sent twice.

The sheet limit is lowered to 5 rows (a header and 4 lines); bench/run.py --only limits
does the same with the real 1,048,576.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import openpyxl
from conftest import report_rows, start_sandbox, write_csv

from batch_anonymizer.audit import limits

KEYS = [f"k{i}@example.com" for i in range(12)]


def test_a_resume_from_a_three_sheet_report_sends_nothing_twice(
    cli, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(limits, "MAX_ROWS", 5)
    src = write_csv(
        tmp_path / "in.csv", ["Request ID", "Email"], [[f"R{i}", k] for i, k in enumerate(KEYS)]
    )
    base = ["--yes", "--rate", "0", "--concurrency", "1", "--no-progress"]
    with start_sandbox('{"script": {"k9@example.com": [401]}}') as thread:
        thread.sandbox.seed(KEYS, [])
        first = tmp_path / "first.xlsx"
        res = cli("run", src, "--base-url", thread.url, "--report", first, *base)
        assert res.code == 3, res.err  # halted on the 401: k0-k8 success, k9-k11 pending
        sheets = openpyxl.load_workbook(first, read_only=True).sheetnames
        assert sheets[:10] == [
            "Summary", "Requests", "Requests (2)", "Requests (3)",
            "Register", "Register (2)", "Register (3)", "Rows", "Rows (2)", "Rows (3)"
        ]  # fmt: skip
        assert [r["status"] for r in report_rows(first)] == ["success"] * 9 + ["pending"] * 3
        res = cli(
            "run", src, "--resume", first, "--base-url", thread.url,
            "--report", tmp_path / "second.xlsx", *base,
        )  # fmt: skip
        posts = thread.sandbox.posts()
    assert res.code == 0, res.err
    anonymized = Counter(e.key for e in posts if e.outcome == "anonymized")
    assert anonymized == Counter(KEYS)  # each key anonymized exactly once
    assert Counter(e.key for e in posts) == Counter({**Counter(KEYS), "k9@example.com": 2})
    rows = report_rows(tmp_path / "second.xlsx")
    assert [r["Request ID"] for r in rows] == [f"R{i}" for i in range(12)]
    assert [r["status"] for r in rows] == ["success"] * 12
