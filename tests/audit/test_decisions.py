"""Decision facts in the register: handled_by, approved_by, decision, decision_note and
reply_draft on the Requests sheet and its csv twin, each decision written out; the Summary's
deadline table counts held, not_erasure and left-out requests where they belong."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from decision_data import FACTS, HEADER, OUTCOMES, ROWS
from request_data import READY, TODAY, derive, planned

from batch_anonymizer.app.certify import write_certificates
from batch_anonymizer.audit.manifest import write_manifest
from batch_anonymizer.audit.report import requests_csv_path, write_report
from batch_anonymizer.audit.reportread import read_requests
from batch_anonymizer.audit.requests_sheet import request_tables
from batch_anonymizer.core.decision import decision
from batch_anonymizer.core.records import RunFacts
from batch_anonymizer.core.requests import RequestOutcome
from batch_anonymizer.requests import derive_requests


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        ("erased", "erased"),
        ("no_data_held", "no data held"),
        ("held", "held"),
        ("not_erasure", "not an erasure"),
        ("invalid", "invalid"),
        ("incomplete", "incomplete"),
        ("anonymized_unverified", "incomplete"),  # not verified: not counted completed
        ("ready", ""),  # a dry run decides nothing
        ("skipped", ""),  # left out by --where: not a request of this run
    ],
)
def test_each_outcome_has_its_decision_in_the_registers_words(outcome: str, words: str) -> None:
    (r,) = derive([["R-1", "2026-11-20", "", "ann@example.com", ""]])
    assert decision(replace(r, outcome=RequestOutcome(outcome))) == words


def written(tmp_path: Path, facts: RunFacts = FACTS) -> tuple[Path, list[dict[str, str]]]:
    lines, rules = planned(ROWS, OUTCOMES, header=HEADER)
    requests = derive_requests(lines, HEADER, rules, TODAY)
    xlsx = tmp_path / "run.xlsx"
    write_report(xlsx, tmp_path / "run.csv", HEADER, lines, facts, requests=requests)
    return xlsx, read_requests(requests_csv_path(xlsx))


def test_the_register_holds_who_handled_approved_and_decided_what(tmp_path: Path) -> None:
    xlsx, sheet = written(tmp_path)
    got = {
        r["request"]: (r["handled_by"], r["approved_by"], r["decision"], r["decision_note"])
        for r in sheet
    }
    approver = "Piotr Zieliński"
    assert got == {
        "R-1": ("Joanna Nowak", approver, "erased", "extended: complex"),
        "R-2": ("alice on dpo-laptop", approver, "no data held", ""),  # no handler: the operator
        "R-3": ("Li Wei", approver, "held", "hold: Art. 17(3)(b)"),
        "R-4": ("Li Wei", approver, "held", "identity not verified (Pending)"),
        "R-5": ("Li Wei", approver, "not an erasure", "request type: Access"),
        "R-6": ("Li Wei", approver, "invalid", ""),
        "R-7": ("Li Wei; Omar Haddad", approver, "incomplete", ""),  # two rows, two handlers
        "R-8": (
            "Li Wei",
            approver,
            "incomplete",
            "anonymized on the vendor's answer, not verified by lookup (--no-verify)",
        ),
    }
    # the new columns come after every earlier one: protocol_reason is still the 19th
    assert list(sheet[0])[18:24] == [
        "protocol_reason", "handled_by", "approved_by", "decision", "decision_note", "reply_draft",
    ]  # fmt: skip
    # each request's reply draft is named, and is the file the certificates folder holds
    assert [r["reply_draft"] for r in sheet] == [f"R-{n}.eml" for n in range(1, 9)]
    manifest = write_manifest(xlsx, tmp_path / "run.csv", None, FACTS)
    lines, rules = planned(ROWS, OUTCOMES, header=HEADER)
    folder = write_certificates(
        xlsx, manifest, derive_requests(lines, HEADER, rules, TODAY), FACTS
    ).folder
    assert all((folder / r["reply_draft"]).is_file() for r in sheet)


def test_without_approver_or_drafts_those_columns_are_empty(tmp_path: Path) -> None:
    settings = tuple(s for s in FACTS.settings if s[0] not in ("approved_by", "certificates"))
    _, sheet = written(tmp_path, replace(FACTS, settings=settings))
    assert {(r["approved_by"], r["reply_draft"]) for r in sheet} == {("", "")}


def test_the_deadline_table_counts_held_not_erasure_and_left_out_requests_once() -> None:
    header = ["Request ID", "Date received", "Email", "Request type", "Team"]
    rows = [
        ["A-1", "2026-11-20", "ann@example.com", "Erasure", "EU"],  # erased, due 12-21: yes
        ["A-2", "2026-10-01", "bob@example.com", "Access", "EU"],  # not_erasure: overdue
        ["A-3", "2026-11-26", "cleo@example.com", "Erasure", "US"],  # left out: dated, no status
        ["A-4", "", "dev@example.com", "Erasure", "EU"],  # undated
        ["A-5", "2026-11-05", "eve@example.com", "Erasure", "EU"],  # ready: due soon (7 Dec)
    ]
    requests = derive(rows, {"eve@example.com": READY}, header=header, where=(("Team", "EU"),))
    assert [r.outcome.value for r in requests] == [
        "erased", "not_erasure", "skipped", "erased", "ready",
    ]  # fmt: skip
    _, by_time = request_tables(requests)
    assert [(value, n) for value, n, _ in by_time.counts] == [
        ("yes", 1),
        ("late", 0),
        ("overdue", 1),  # another right still runs against its deadline
        ("due_soon", 1),
        ("open", 0),
        ("(left out by --where)", 1),
        ("(no due date)", 1),  # A-4 only
    ]
    assert sum(n for _, n, _ in by_time.counts) == len(requests)  # each request once


@pytest.mark.parametrize("column", ["Handled by", "Owner", "Assignee", "assigned_to"])
def test_the_handler_comes_from_any_of_its_headers(column: str) -> None:
    header = ["Request ID", "Date received", "Email", column]
    rows = [["R-1", "2026-11-20", "ann@example.com", " Joanna Nowak "]]
    (r,) = derive(rows, header=header)
    assert r.handled_by == "Joanna Nowak"
    (other,) = derive(rows, header=[*header[:3], "Notes"])
    assert other.handled_by == ""  # no handler column: the register names the operator
