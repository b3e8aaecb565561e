"""Planning with several key columns: a row's keys are their union, each key once, with the
column it came from and the key as written."""

from __future__ import annotations

from conftest import make_table

from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.records import KeyType, Plan
from batch_anonymizer.input.plan import make_plan

EXPORT = ["CONTACT_ID", "PERSONAL_EMAIL", "WORK_EMAIL", "PREFERRED_EMAIL", "PHONE", "MOBILE_PHONE"]


def lines_of(plan: Plan) -> list[tuple[int, str | None, str, str, str, Reason | None]]:
    """(row, key type, key as written, source column, status, code) of every line.

    The key as written, not as sent: how a telephone is sent is validate's business.
    """
    return [
        (
            ln.source_row,
            ln.key_type and ln.key_type.value,
            ln.written,
            ln.source_column,
            ln.status.value,
            ln.code,
        )
        for ln in plan.lines
    ]


def test_a_rows_keys_are_the_union_of_its_key_columns_each_once() -> None:
    plan = make_plan(
        make_table(
            EXPORT,
            [
                ["c1", "ann@example.com", "", "Ann@Example.com", "", "+44 7700 900123"],
                ["c2", "", "bob@example.org", "", "+1 202 555 0143", "+1 (202) 555-0143"],
                ["c3", "", "", "", "", ""],
                ["c4", "", "ann@example.com", "", "", ""],
                ["c5", "not-an-email", "cid@example.net", "", "", ""],
            ],
        )
    )
    assert lines_of(plan) == [
        (2, "email", "ann@example.com", "PERSONAL_EMAIL", "ready", None),
        (2, "telephone", "+44 7700 900123", "MOBILE_PHONE", "ready", None),
        (3, "email", "bob@example.org", "WORK_EMAIL", "ready", None),
        (3, "telephone", "+1 202 555 0143", "PHONE", "ready", None),  # also MOBILE_PHONE
        (4, None, "", "", "invalid", "no_key"),
        (5, "email", "ann@example.com", "WORK_EMAIL", "duplicate", "duplicate"),
        (6, "email", "not-an-email", "PERSONAL_EMAIL", "invalid", "invalid_email"),
        (6, "email", "cid@example.net", "WORK_EMAIL", "ready", None),
    ]
    # emails are sent as written
    assert all(ln.key == ln.written for ln in plan.lines if ln.key_type is KeyType.EMAIL)
    assert plan.lines[5].message == "duplicate of row 2"
    assert [ln.index for ln in plan.lines] == list(range(8))
    assert (plan.email_column, plan.phone_column) == ("PERSONAL_EMAIL", "PHONE")
    assert [(k.name, k.key_type.value) for k in plan.key_columns] == [
        ("PERSONAL_EMAIL", "email"),
        ("WORK_EMAIL", "email"),
        ("PREFERRED_EMAIL", "email"),
        ("PHONE", "telephone"),
        ("MOBILE_PHONE", "telephone"),
    ]
    assert [r.name for r in plan.rejected_columns] == ["CONTACT_ID"]


def test_a_key_only_in_a_later_column_is_still_taken() -> None:
    # the row's first key column is empty: the row is not without a key
    plan = make_plan(make_table(["Phone", "Email", "Mobile"], [["", "", "+1 202 555 0143"]]))
    assert lines_of(plan) == [(2, "telephone", "+1 202 555 0143", "Mobile", "ready", None)]


def test_the_same_invalid_text_in_two_columns_is_one_line_different_ones_two() -> None:
    plan = make_plan(make_table(["Phone", "Mobile"], [["call me", "call me"], ["n/a", "none"]]))
    assert [(ln.source_row, ln.written, ln.source_column, ln.code) for ln in plan.lines] == [
        (2, "call me", "Phone", "invalid_telephone"),
        (3, "n/a", "Phone", "invalid_telephone"),
        (3, "none", "Mobile", "invalid_telephone"),
    ]


def test_written_is_the_key_as_in_its_cell_before_validation() -> None:
    plan = make_plan(
        make_table(
            ["Email", "Phone"],
            [
                ['"Lee, Ann" <ann@example.com>', " 447700900123.0 "],
                ["mailto:bob@example.org?subject=x", "tel:+12025550143"],
            ],
        )
    )
    assert [ln.written for ln in plan.lines] == [
        "ann@example.com",
        "447700900123.0",  # Excel's float, as written
        "bob@example.org",
        "+12025550143",
    ]
    # what is sent is validate's: the address unwrapped, the number without Excel's ".0"
    assert [ln.key for ln in plan.lines][:3] == [
        "ann@example.com",
        "447700900123",
        "bob@example.org",
    ]


def test_where_skips_every_key_of_a_row_once_with_its_column() -> None:
    t = make_table(
        ["Email", "Work Email", "Request Type"],
        [["a@example.com", "A@example.com", "ACCESS"], ["", "", "ACCESS"]],
    )
    plan = make_plan(t, where=[("Request Type", "ERASURE")])
    reason = 'not processed: Request Type is "ACCESS", --where wants "ERASURE"'
    assert [
        (ln.source_row, ln.key, ln.source_column, ln.status.value, ln.message) for ln in plan.lines
    ] == [
        (2, "a@example.com", "Email", "skipped", reason),
        (3, "", "", "skipped", reason),
    ]


def test_the_plan_records_the_request_id_and_date_received_columns() -> None:
    t = make_table(
        ["Request ID", "Created At", "Email", "Request Type"],
        [["r1", "2024-03-01", "a@example.com", "Erasure"]],
    )
    plan = make_plan(t)
    assert (plan.request_id_column, plan.date_received_column) == ("Request ID", "Created At")
    assert plan.type_column == "Request Type"
    plan = make_plan(make_table(["Email"], [["a@example.com"]]))
    assert (plan.request_id_column, plan.date_received_column) == (None, None)


def test_a_key_in_several_columns_is_validated_once(monkeypatch) -> None:
    import batch_anonymizer.input.columnar as plan_module

    seen: list[str] = []
    check = plan_module.check_email

    def counting(key: str):  # type: ignore[no-untyped-def]
        seen.append(key)
        return check(key)

    monkeypatch.setattr(plan_module, "check_email", counting)
    # addresses that are not ASCII: the fast paths leave them to check_email
    make_plan(
        make_table(
            ["Email", "Work Email", "Other Email"],
            [[" a@exämple.com", "a@exämple.com ", " b@exämple.com"], ["b@exämple.com ", "", ""]],
        )
    )
    assert sorted(seen) == ["a@exämple.com", "b@exämple.com"]
