"""The key columns through the CLI: printed before anything is sent, recorded in the report's
Summary and the journal, chosen with --email-column, --phone-column and --ignore-column."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import REPO, fast_args, only_report, report_rows, write_csv

from batch_anonymizer.audit.reportread import read_report

EXPORTS = REPO / "tests" / "data" / "exports"
SALESFORCE_COLUMNS = [
    "key column: Email (email): the header names an email",
    "key column: Phone (telephone): the header names a telephone",
    "key column: MobilePhone (telephone): the header names a telephone",
    "key column: HomePhone (telephone): the header names a telephone",
    "key column: OtherPhone (telephone): the header names a telephone",
    "not used: Fax: a fax number, not a telephone",
    "not used: AssistantPhone: another person's telephone (assistant): used only if named "
    "with --phone-column",
    'not used: HasOptedOutOfEmail: the header words "has opted out of" leave a doubt, and '
    "its cells are not emails (0 of the first 5 non-empty cells are)",
    "not used: EmailBouncedDate: describes an email (bounced date), does not hold one",
    "not used: EmailBouncedReason: describes an email (bounced reason), does not hold one",
]


def test_validate_prints_and_records_the_columns(cli, tmp_path: Path) -> None:
    res = cli("validate", EXPORTS / "transcend_contacts.csv")
    assert res.code == 1, res.err  # row 4 holds no key
    out = res.out.splitlines()
    assert out[:17] == [
        "transcend_contacts.csv: 5 rows: 5 erasure requests (no request-type column: every row "
        "treated as an erasure request), 0 other rights (not_erasure: not sent), 0 held (hold: "
        "not sent), identity verification: not recorded in the input",
        "9 keys ready to send",
        "key column: PERSONAL_EMAIL (email): the header names an email",
        "key column: WORK_EMAIL (email): the header names an email",
        "key column: PREFERRED_EMAIL (email): the header names an email",
        "key column: PHONE (telephone): the header names a telephone",
        "key column: WORK_PHONE (telephone): the header names a telephone",
        "key column: MOBILE_PHONE (telephone): the header names a telephone",
        "not used: CONTACT_ID: an identifier column, but its cells are not emails (0 of the "
        "first 5 non-empty cells are)",
        "not used: EMAIL_OPT_IN: describes an email (opt in), does not hold one",
        "not used: PHONE_TYPE: describes a telephone (type), does not hold one",
        "not used: EMAIL_VERIFIED_AT: describes an email (verified at), does not hold one",
        "no request-type column: every row treated as an erasure request",
        "identity verification: not recorded in the input",
        "requests: 5, one per row (no request-id column; name one with --request-column)",
        "dates received: no such column (name one with --received-column): no due dates",
        "Problems: 1 row without email or telephone, 1 duplicate",
    ]
    xlsx = only_report(tmp_path / "reports")
    rep = read_report(xlsx)
    assert rep.facts["setting.key_columns"] == (
        "PERSONAL_EMAIL (email), WORK_EMAIL (email), PREFERRED_EMAIL (email), "
        "PHONE (telephone), WORK_PHONE (telephone), MOBILE_PHONE (telephone)"
    )
    assert rep.facts["setting.columns_not_used"].startswith("CONTACT_ID: an identifier column")
    assert [(r["source_row"], r["key_type"], r["source_column"]) for r in rep.rows][:5] == [
        ("2", "email", "PERSONAL_EMAIL"),
        ("2", "telephone", "MOBILE_PHONE"),
        ("3", "email", "PERSONAL_EMAIL"),
        ("3", "email", "WORK_EMAIL"),
        ("3", "telephone", "PHONE"),
    ]
    assert [r["key"] for r in rep.rows][:1] == ["ann.lee@example.com"]


def test_a_run_prints_the_columns_before_asking_and_journals_them(
    cli, tmp_path: Path, sandbox
) -> None:
    src = EXPORTS / "salesforce_contacts.csv"
    url = sandbox.url
    # no terminal and no --yes: refused, nothing sent, but the columns were shown first
    res = cli("run", src, "--base-url", url, "--no-progress")
    assert res.code == 2
    assert res.err.splitlines()[: len(SALESFORCE_COLUMNS)] == SALESFORCE_COLUMNS
    assert sandbox.sandbox.posts() == []
    # --no-verify: every key is sent (the sandbox holds none, so lookups would send nothing)
    res = cli("run", src, *fast_args(url), "--no-verify")
    err = res.err.splitlines()
    assert err[: len(SALESFORCE_COLUMNS)] == SALESFORCE_COLUMNS
    n = len(SALESFORCE_COLUMNS)
    assert err[n : n + 2] == [
        "no request-type column: every row treated as an erasure request",
        "identity verification: not recorded in the input",
    ]
    assert err[n + 2].startswith("requests: 5, one per row")  # no id column
    assert err[n + 4].startswith("About to anonymize 8 key(s) at 127.0.0.1")
    posted = ["".join(c for c in e.key if c.isdigit()) for e in sandbox.sandbox.posts()]
    assert "12025550199" not in posted and "12025550198" not in posted  # fax, assistant
    assert "12025550111" in posted  # the check above can fail: Phone of the same row is sent
    assert len(posted) == 8
    journal = only_report(tmp_path / "reports", ".journal")
    run = json.loads(journal.read_text(encoding="utf-8").splitlines()[0])
    assert run["settings"]["key_columns"] == (
        "Email (email), Phone (telephone), MobilePhone (telephone), HomePhone (telephone), "
        "OtherPhone (telephone)"
    )
    assert run["settings"]["columns_not_used"].startswith("Fax: a fax number, not a telephone; ")
    # the report rebuilt from the journal names each key's column too
    xlsx = only_report(tmp_path / "reports")
    res = cli("report", journal, "--report", tmp_path / "rebuilt.xlsx")
    assert res.code == 0, res.err
    rebuilt = report_rows(tmp_path / "rebuilt.xlsx")
    assert rebuilt == report_rows(xlsx)
    assert [r["source_column"] for r in rebuilt if r["source_row"] == "3"] == [
        "Email",
        "MobilePhone",
        "OtherPhone",
    ]
    # a retry from the report keeps each key's column (it has no input file to look at)
    statuses = {r["status"] for r in rebuilt}
    assert "failed" in statuses  # the sandbox knows none of these contacts
    res = cli("retry", xlsx, *fast_args(url), "--no-verify", "--report", tmp_path / "retry.xlsx")
    assert res.code == 1, res.err
    again = report_rows(tmp_path / "retry.xlsx")
    assert [r["source_column"] for r in again] == [r["source_column"] for r in rebuilt]


def test_named_and_ignored_columns(cli, tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "in.csv",
        ["Name", "Contact", "Backup contact", "Email", "Phone", "Mobile"],
        [["Ann", "ann@example.com", "ann@example.org", "a@example.net", "+1 202 555 0101", ""]],
    )
    res = cli(
        "validate", src, "--email-column", "contact", "--email-column", "Backup contact",
        "--ignore-column", "mobile",
    )  # fmt: skip
    assert res.code == 0, res.err
    assert res.out.splitlines()[2:7] == [
        "key column: Contact (email): named with --email-column",
        "key column: Backup contact (email): named with --email-column",
        "key column: Phone (telephone): the header names a telephone",
        "not used: Email: not among the --email-column columns (the header names an email)",
        "not used: Mobile: left out with --ignore-column",
    ]
    rep = read_report(only_report(tmp_path / "reports"))
    assert rep.facts["setting.email_column"] == "contact, Backup contact"
    assert rep.facts["setting.ignore_column"] == "mobile"
    assert [(r["key_type"], r["source_column"]) for r in rep.rows] == [
        ("email", "Contact"),
        ("email", "Backup contact"),
        ("telephone", "Phone"),
    ]
    assert [r["key"] for r in rep.rows][:2] == ["ann@example.com", "ann@example.org"]


def test_a_sheet_without_key_column_is_refused_with_its_headers(cli, tmp_path: Path) -> None:
    src = write_csv(
        tmp_path / "in.csv", ["Name", "Email opt-in", "Notes"], [["Ann", "TRUE", "call back"]]
    )
    res = cli("validate", src)
    assert res.code == 2
    assert res.err == (
        "error: no email or telephone column: found headers Name, Email opt-in, Notes; name "
        'one with --email-column or --phone-column; not used: "Email opt-in" (describes an '
        "email (opt in), does not hold one)\n"
    )
    assert not (tmp_path / "reports").exists()
