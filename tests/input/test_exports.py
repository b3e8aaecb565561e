"""Files shaped like real exports (tests/data/exports, built by make_exports.py): every key they
hold, the column it came from, and which columns were chosen and left out, and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from batch_anonymizer.core.records import ColumnRule, KeyType, Plan
from batch_anonymizer.input.dates import received_date
from batch_anonymizer.input.loader import load_table
from batch_anonymizer.input.plan import make_plan
from batch_anonymizer.input.sniff import looks_like_phone

EXPORTS = REPO / "tests" / "data" / "exports"
UNKNOWN_RANGE = "warning: number range unknown to the phone library"


def plan_of(name: str, **kw: object) -> Plan:
    return make_plan(load_table(EXPORTS / name), **kw)  # type: ignore[arg-type]


def lines(plan: Plan) -> list[tuple[int, str, str, str, str]]:
    """(row, key type, key as written, source column, status) of every line.

    Keys as written in the file: the form a telephone is sent in is validate's
    business (tested there); emails are sent as written (checked here).
    """
    assert all(ln.key == ln.written for ln in plan.lines if ln.key_type is KeyType.EMAIL)
    return [
        (
            ln.source_row,
            ln.key_type.value if ln.key_type else "",
            ln.written,
            ln.source_column,
            ln.status.value,
        )
        for ln in plan.lines
    ]


def columns(plan: Plan) -> tuple[list[tuple[str, str]], list[tuple[str, ColumnRule]]]:
    return (
        [(k.name, k.key_type.value) for k in plan.key_columns],
        [(r.name, r.rule) for r in plan.rejected_columns],
    )


def test_transcend_contact_sample() -> None:
    plan = plan_of("transcend_contacts.csv")
    assert lines(plan) == [
        # PHONE is empty, yet the personal email and the mobile are found
        (2, "email", "ann.lee@example.com", "PERSONAL_EMAIL", "ready"),
        (2, "telephone", "+44 7700 900101", "MOBILE_PHONE", "ready"),
        (3, "email", "bob.stone@example.org", "PERSONAL_EMAIL", "ready"),
        (3, "email", "b.stone@example.net", "WORK_EMAIL", "ready"),  # also PREFERRED_EMAIL
        (3, "telephone", "+1 202 555 0101", "PHONE", "ready"),
        (3, "telephone", "+1 (202) 555-0102", "WORK_PHONE", "ready"),
        (4, "", "", "", "invalid"),
        (5, "email", "dev.patel@example.com", "WORK_EMAIL", "ready"),
        (5, "telephone", "+44 7700 900102", "MOBILE_PHONE", "ready"),
        (6, "email", "ann.lee@example.com", "WORK_EMAIL", "duplicate"),
        (6, "telephone", "+44 7700 900103", "MOBILE_PHONE", "ready"),
    ]
    assert plan.lines[9].message == "duplicate of row 2"
    assert columns(plan) == (
        [
            ("PERSONAL_EMAIL", "email"),
            ("WORK_EMAIL", "email"),
            ("PREFERRED_EMAIL", "email"),
            ("PHONE", "telephone"),
            ("WORK_PHONE", "telephone"),
            ("MOBILE_PHONE", "telephone"),
        ],
        [
            ("CONTACT_ID", ColumnRule.IDENTIFIER),
            ("EMAIL_OPT_IN", ColumnRule.DESCRIBES),
            ("PHONE_TYPE", ColumnRule.DESCRIBES),
            ("EMAIL_VERIFIED_AT", ColumnRule.DESCRIBES),
        ],
    )
    assert [r.reason for r in plan.rejected_columns] == [
        "an identifier column, but its cells are not emails (0 of the first 5 non-empty cells are)",
        "describes an email (opt in), does not hold one",
        "describes a telephone (type), does not hold one",
        "describes an email (verified at), does not hold one",
    ]
    assert (plan.request_id_column, plan.date_received_column) == (None, None)


def test_transcend_request_export_with_its_where() -> None:
    plan = plan_of("transcend_requests.csv", where=[("Request Type", "ERASURE")])
    assert lines(plan) == [
        (2, "email", "eve@example.com", "Email", "ready"),  # the same in Core Identifier
        (3, "email", "finn@example.org", "Email", "ready"),
        (3, "email", "finn.old@example.net", "Core Identifier", "ready"),
        (4, "email", "gus@example.com", "Email", "skipped"),  # an ACCESS request
        (5, "email", "hana@example.net", "Email", "ready"),  # Core Identifier user-42: no key
        (6, "email", "ivo@example.com", "Core Identifier", "ready"),
    ]
    assert columns(plan) == (
        [("Email", "email"), ("Core Identifier", "email")],
        [("Email Verified", ColumnRule.DESCRIBES), ("Email Verified At", ColumnRule.DESCRIBES)],
    )
    assert plan.key_columns[1].reason == (
        "an identifier column whose cells are emails (4 of the first 5 non-empty cells); "
        "only its cells holding an email are taken"
    )
    assert [r.reason for r in plan.rejected_columns] == [
        "describes an email (verified), does not hold one",
        "describes an email (verified at), does not hold one",
    ]
    assert (plan.request_id_column, plan.date_received_column) == ("Request ID", "Created At")
    # the dates received, by their UTC date (row 3 was sent late on 1 March in New York)
    i = plan.table.columns.index("Created At")
    assert [str(received_date(r.cells[i]).date) for r in plan.table.rows] == [
        "2024-03-01",
        "2024-03-02",
        "2024-03-02",
        "2024-03-03",
        "2024-03-04",
    ]


def test_customergauge_contact_export_xlsx() -> None:
    plan = plan_of("customergauge_contacts.xlsx")
    assert lines(plan) == [
        (2, "email", "tia@example.com", "email", "ready"),
        (2, "telephone", "447700900131", "sms_telephone", "ready"),  # a number cell
        (3, "email", "uma@example.org", "email", "ready"),
        (4, "telephone", "+1 202 555 0131", "sms_telephone", "ready"),
        (5, "email", "tia@example.com", "email", "duplicate"),
        (5, "telephone", "447700900132", "sms_telephone", "ready"),
    ]
    assert columns(plan) == (
        [("email", "email"), ("sms_telephone", "telephone")],
        [
            ("email_opt_out", ColumnRule.DESCRIBES),
            ("phone_type", ColumnRule.DESCRIBES),
            ("last_email_sent_date", ColumnRule.DESCRIBES),
        ],
    )
    assert plan.rejected_columns[2].reason == "describes an email (sent date), does not hold one"
    dates = plan.table.columns.index("last_email_sent_date")
    assert plan.table.rows[0].cells[dates] == "2024-03-01 09:30:00"  # a real date cell


def test_salesforce_contact_export() -> None:
    plan = plan_of("salesforce_contacts.csv")
    assert lines(plan) == [
        (2, "email", "jo.marsh@example.com", "Email", "ready"),
        (2, "telephone", "+1 202 555 0111", "Phone", "ready"),
        (2, "telephone", "+1 202 555 0112", "MobilePhone", "ready"),
        (3, "email", "lars.berg@example.org", "Email", "ready"),
        (3, "telephone", "+44 7700 900111", "MobilePhone", "ready"),  # also HomePhone
        (3, "telephone", "+44 7700 900112", "OtherPhone", "ready"),
        (4, "telephone", "+1 202 555 0113", "HomePhone", "ready"),
        (5, "email", "jo.marsh@example.com", "Email", "duplicate"),
        (6, "email", "ola@example.net", "Email", "ready"),
    ]
    # the fax and the assistant's number of row 2 are never sent
    assert "+1 202 555 0199" not in {ln.written for ln in plan.lines}
    assert "+1 202 555 0198" not in {ln.written for ln in plan.lines}
    assert columns(plan) == (
        [
            ("Email", "email"),
            ("Phone", "telephone"),
            ("MobilePhone", "telephone"),
            ("HomePhone", "telephone"),
            ("OtherPhone", "telephone"),
        ],
        [
            ("Fax", ColumnRule.FAX),
            ("AssistantPhone", ColumnRule.OTHER_PERSON),
            ("HasOptedOutOfEmail", ColumnRule.CELLS),
            ("EmailBouncedDate", ColumnRule.DESCRIBES),
            ("EmailBouncedReason", ColumnRule.DESCRIBES),
        ],
    )
    assert plan.rejected_columns[2].reason == (
        'the header words "has opted out of" leave a doubt, and its cells are not emails '
        "(0 of the first 5 non-empty cells are)"
    )
    # CreatedDate is when the contact was made, not when a request came in
    assert (plan.request_id_column, plan.date_received_column) == (None, None)


def test_hubspot_contact_export() -> None:
    plan = plan_of("hubspot_contacts.csv")
    assert lines(plan) == [
        (2, "email", "pia@example.com", "Email", "ready"),
        (2, "telephone", "+44 7700 900121", "Phone Number", "ready"),
        (2, "telephone", "+44 7700 900122", "Mobile Phone Number", "ready"),
        (3, "email", "quin@example.org", "Email", "ready"),
        (3, "telephone", "+1 202 555 0121", "Mobile Phone Number", "ready"),
        (4, "telephone", "+1 202 555 0122", "Phone Number", "ready"),
        (5, "email", "sol@example.net", "Email", "ready"),
        (5, "telephone", "+1 202 555 0123", "Phone Number", "ready"),  # in both columns
    ]
    assert plan.lines[1].message == UNKNOWN_RANGE
    assert columns(plan) == (
        [("Email", "email"), ("Phone Number", "telephone"), ("Mobile Phone Number", "telephone")],
        [
            ("Email Domain", ColumnRule.DESCRIBES),
            ("Unsubscribed from all email", ColumnRule.CELLS),
            ("Last marketing email send date", ColumnRule.DESCRIBES),
            ("Phone type", ColumnRule.DESCRIBES),
        ],
    )


@pytest.mark.parametrize("path", sorted(EXPORTS.iterdir()), ids=lambda p: p.name)
def test_fixtures_hold_only_reserved_values(path: Path) -> None:
    plan = make_plan(load_table(path))
    for ln in plan.lines:
        if ln.key_type is None:
            continue
        if ln.key_type.value == "email":
            assert ln.key.lower().rsplit(".", 1)[0].endswith("@example"), ln.key
        else:
            digits = "".join(c for c in ln.written if c.isdigit())
            assert digits.startswith("447700900") or digits.startswith("12025550"), ln.key
            assert (digits[:9] == "447700900") or (100 <= int(digits[-4:]) <= 199), ln.key
    for row in plan.table.rows:  # the columns left out hold reserved values too
        for cell in row.cells:
            if "@" in cell:
                assert cell.lower().rsplit(".", 1)[0].endswith("@example"), cell
            if looks_like_phone(cell):
                digits = "".join(c for c in cell if c.isdigit())
                assert digits[:9] == "447700900" or (
                    digits[:8] == "12025550" and 100 <= int(digits[-4:]) <= 199
                ), cell


def test_the_fixtures_are_what_make_exports_builds(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_exports", EXPORTS.parent / "make_exports.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.OUT = tmp_path
    module.main()
    for built in sorted(tmp_path.iterdir()):
        if built.suffix == ".csv":
            assert built.read_bytes() == (EXPORTS / built.name).read_bytes(), built.name
        else:  # a workbook's bytes depend on the writer's version: compare what it holds
            assert load_table(built).rows == load_table(EXPORTS / built.name).rows, built.name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in EXPORTS.iterdir())
