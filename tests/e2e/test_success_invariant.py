"""The verification promise read from the other side: over recorded runs, not over the table.

Real runs through the library against the sandbox with faults (sticky records,
lost answers, refusals, failing lookups, a halt and its resume, a --no-verify
run and its retry). Then every ``done`` line of every journal, and every row of
every report, is held to the promise: a ``success`` rests on an after-lookup
that answered 0 records, made after the key's last anonymize request in that
run; or the run was --no-verify and the line says "(not verified)".
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import API_KEY, start_sandbox, write_csv

from batch_anonymizer.api.auth import ApiKeyAuth
from batch_anonymizer.api.endpoint import Endpoint
from batch_anonymizer.api.settings import Settings
from batch_anonymizer.app.execute import execute
from batch_anonymizer.app.options import RunOptions
from batch_anonymizer.app.prepare import prepare_retry, prepare_run
from batch_anonymizer.audit.reportread import read_report

FAULTS = {
    "script": {
        "sticky@example.com": ["sticky"],
        "sticky-then-fails@example.com": ["sticky"],
        "acted-lost@example.com": ["reset_after"],
        "lost@example.com": ["reset"],
        "refused@example.com": [400],
        "busy@example.com": [503, 503, 503],
        "halts@example.com": ["reset_after"],
        "nv-lost@example.com": ["reset"],
        "nv-lost-refused@example.com": ["reset", 400],
        "nv-gone@example.com": ["reset_after"],
    },
    "lookup_script": {
        "sticky-then-fails@example.com": [200, 200, 503, 503, 503],
        "unverified@example.com": [200, 503, 503, 503],
        "lookup-fails@example.com": [503, 503, 503],
        "halts@example.com": [200, 401],
    },
}
VERIFIED = [
    "held@example.com",
    "not-held@example.com",
    "sticky@example.com",
    "sticky-then-fails@example.com",
    "acted-lost@example.com",
    "lost@example.com",
    "refused@example.com",
    "busy@example.com",
    "unverified@example.com",
    "lookup-fails@example.com",
]
UNVERIFIED = [
    "nv-held@example.com",
    "nv-lost@example.com",
    "nv-lost-refused@example.com",
    "nv-gone@example.com",
]
HALTING = ["halts@example.com", "after-halt@example.com"]


def check(journal: Path, report: Path, *, verify: bool) -> list[tuple[str, str]]:
    """Hold every done line and report row to the promise; return (status, code) of each."""
    sent: dict[int, int] = {}  # index -> position of its last send
    zero_after: dict[int, int] = {}  # index -> position of its last after-lookup of 0
    seen = []
    run_id = ""
    for pos, text in enumerate(journal.read_text(encoding="utf-8").splitlines()):
        rec = json.loads(text)
        i = rec.get("i")
        if rec["t"] == "run":
            run_id = rec["run_id"]
        elif rec["t"] == "send":
            sent[i] = pos
        elif rec["t"] == "look" and rec["ph"] == "after" and rec["n"] == 0:
            zero_after[i] = pos
        elif rec["t"] == "done":
            o = rec["o"]
            seen.append((o["status"], o.get("code", "")))
            if o["status"] != "success":
                continue
            if verify:
                assert zero_after.get(i, -1) > sent.get(i, -1), (journal.name, rec)
                assert o["records_after"] == 0, rec
            else:
                assert "(not verified)" in o["message"], rec
                assert "records_after" not in o, rec
    # a report also carries the lines of the run it retries or resumes, as they ended there
    for row in read_report(report).rows:
        if row["status"] == "success":
            verified = row["records_after"] == "0"
            assert verified != ("(not verified)" in row["message"]), row
            assert verified or not verify or row["run_id"] != run_id, row
    return seen


def test_no_success_without_a_lookup_of_zero_after_the_last_request(tmp_path: Path) -> None:
    keys = VERIFIED + UNVERIFIED + HALTING
    with start_sandbox(json.dumps(FAULTS)) as thread:
        thread.sandbox.seed([k for k in keys if k != "not-held@example.com"], [])

        def run(prep: object, folder: str, *, verify: bool = True) -> tuple[Path, Path]:
            settings = Settings(
                rate=None, concurrency=1, max_retries=2, backoff_base=0.001,
                recheck_delay=0.01, verify=verify,
            )  # fmt: skip
            opts = RunOptions(
                endpoint=Endpoint.for_base_url(thread.url),
                auth=ApiKeyAuth(API_KEY),
                settings=settings,
                reports_dir=tmp_path / folder,
            )
            summary = execute(prep, opts)  # type: ignore[arg-type]
            return summary.journal, summary.xlsx

        def source(name: str, rows: list[str]) -> Path:
            return write_csv(tmp_path / name, ["Email"], [[k] for k in rows])

        runs = [  # the verified run halts at its last two keys; its resume settles them
            (halted := run(prepare_run(src := source("v.csv", VERIFIED + HALTING)), "v"), True),
            (run(prepare_run(src, resume=halted[0]), "v-resume"), True),
            (nv := run(prepare_run(source("nv.csv", UNVERIFIED)), "nv", verify=False), False),
            (run(prepare_retry(nv[1]), "nv-retry"), True),
        ]
        posts = [e.key for e in thread.sandbox.posts()]
    seen = [check(journal, report, verify=verify) for (journal, report), verify in runs]
    # the runs went through the paths the promise is about (it is not held vacuously)
    assert ("failed", "still_present") in seen[0] and ("failed", "unverified") in seen[0]
    assert seen[0].count(("success", "")) == 3  # held, acted-lost, lost (sent again)
    halted_rows = read_report(halted[1]).rows[-2:]
    assert [(r["status"], r["error_code"]) for r in halted_rows] == [("pending", "halted_auth")] * 2
    assert seen[1] == [("success", "")] * 2
    assert posts.count("halts@example.com") == 1  # the resume settled it by a lookup alone
    assert ("failed", "outcome_unknown") in seen[2] and ("success", "") in seen[2]
    assert ("not_found", "gone_unverified") in seen[3]
