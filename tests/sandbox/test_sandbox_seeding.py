"""The built-in sandbox's seeding rule, records files from the command line, over HTTP."""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

import pytest
from conftest import REPO, report_rows, write_csv
from forkcli import spawn
from sandbox_helpers import call

import batch_anonymizer as ba
from batch_anonymizer.app.builtin import seed, seeded_sandbox
from batch_anonymizer.core.records import KeyType, Line, Status
from batch_anonymizer.sandbox import Sandbox, SandboxThread


def line(i: int, row: int, key_type: KeyType | None, key: str, sheet: str | None = None) -> Line:
    return Line(i, sheet, row, key_type, key, key.lower(), Status.READY, None, "", (key,))


def email_rows(n: int) -> list[Line]:
    return [line(i, i + 2, KeyType.EMAIL, f"user{i}@example.com") for i in range(n)]


def records_by_rule(stored_key: str) -> int:
    """The documented rule, written out again here: a drift in either one fails."""
    n = int.from_bytes(hashlib.sha256(stored_key.encode()).digest()[:8], "big")
    return 0 if n % 20 == 0 else 1 + (n // 20) % 3


def store_of(box: Sandbox) -> list[tuple[int, str, str, str, str]]:
    return [
        (r.person, r.email, r.sms_telephone, r.last_name, r.number_customergauge)
        for r in box.contacts
    ]


def test_the_same_input_always_gives_the_same_store() -> None:
    lines = email_rows(60)
    first, second = seeded_sandbox(lines), seeded_sandbox(list(lines))
    assert store_of(first) == store_of(second)
    assert first.store.people == second.store.people


def test_one_person_per_row_with_0_to_3_records_by_the_documented_rule() -> None:
    lines = email_rows(200)
    box = seeded_sandbox(lines)
    assert len(box.store.people) == 200
    counts = [p.records for p in box.store.people]
    assert counts == [records_by_rule(f"user{i}@example.com") for i in range(200)]
    assert set(counts) == {0, 1, 2, 3}
    assert 3 <= counts.count(0) <= 20  # about one row in twenty holds nothing
    assert len(box.contacts) == sum(counts)
    assert [p.last_name for p in box.store.people[:2]] == ["Row2", "Row3"]


def test_some_rows_are_held_by_no_record_and_answer_as_the_vendor_would() -> None:
    # From the sample sheet: these two rows' first keys hash to "no records".
    lines = [
        line(0, 11, KeyType.TELEPHONE, "+44 7700 900109"),
        line(1, 38, KeyType.EMAIL, "ann.novak36@example.com"),
        line(2, 39, KeyType.EMAIL, "held@example.com"),
    ]
    with SandboxThread(seeded_sandbox(lines, api_key="k")) as thread:
        box = thread.sandbox
        assert [p.records for p in box.store.people] == [0, 0, 3]
        for params in ({"telephone": "447700900109"}, {"email": "ann.novak36@example.com"}):
            got = call(thread.url, "GET", params=params, headers={"Authorization": "api_key k"})
            assert got.json() == {"Data": []}
        held = call(
            thread.url,
            "GET",
            params={"email": "held@example.com"},
            headers={"Authorization": "api_key k"},
        )
        assert len(held.json()["Data"]) == 3


def test_a_row_with_an_email_and_a_telephone_is_one_person() -> None:
    lines = [
        line(0, 2, KeyType.EMAIL, "BOB@Example.com"),
        line(1, 2, KeyType.TELEPHONE, "+44 7700 900150"),
        line(2, 3, KeyType.TELEPHONE, "+1 (202) 555-0150"),
        line(3, 4, None, ""),  # a row without a key adds nobody
    ]
    box = seeded_sandbox(lines)
    bob, cleo = box.store.people
    assert (bob.emails, bob.telephones) == (("BOB@Example.com",), ("447700900150",))
    assert cleo.telephones == ("12025550150",)  # stored in the vendor's form
    assert bob.records == records_by_rule("bob@example.com") == 2
    # answers by email, then an SMS answer by telephone: one record per key at least
    assert [(r.person, r.email, r.sms_telephone) for r in box.store.records_of(0)] == [
        (0, "BOB@Example.com", ""),
        (0, "", "447700900150"),
    ]
    assert box.anonymize("email", "bob@example.com") == 1
    assert len(box.records_for("telephone", "447700900150")) == 1  # the SMS answer is left


def test_the_decision_is_the_same_whatever_form_the_telephone_is_written_in() -> None:
    forms = ["+44 7700 900109", "447700900109", "0044 7700 900109", "+44 (0) 7700 900109"]
    boxes = [seeded_sandbox([line(0, 2, KeyType.TELEPHONE, form)]) for form in forms]
    assert {store_of(b) == store_of(boxes[0]) for b in boxes} == {True}
    national = seeded_sandbox([line(0, 2, KeyType.TELEPHONE, "07700 900151")])
    assert {r.sms_telephone for r in national.contacts} == {"07700 900151"}  # cannot be placed


def test_rows_on_two_sheets_are_two_people() -> None:
    lines = [
        line(0, 2, KeyType.EMAIL, "a@example.org", sheet="One"),
        line(1, 2, KeyType.EMAIL, "b@example.org", sheet="Two"),
    ]
    box = Sandbox()
    seed(box, lines)
    assert [p.emails for p in box.store.people] == [("a@example.org",), ("b@example.org",)]


def test_a_records_file_replaces_the_seeding(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text("email,first_name\nonly@example.net,Only\n", encoding="utf-8")
    box = seeded_sandbox(email_rows(5), records=path)
    assert [(r.email, r.first_name) for r in box.contacts] == [("only@example.net", "Only")]


# -- from the command line --------------------------------------------------------------


RECORDS = "email,sms_telephone,first_name\nann@example.com,,Ann\nann@example.com,,Ann\n"


def test_run_sandbox_records_seeds_the_built_in_sandbox(cli, tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(RECORDS, encoding="utf-8")
    src = write_csv(tmp_path / "in.csv", ["Email"], [["ann@example.com"], ["bob@example.com"]])
    args = ("run", src, "--sandbox", "--yes", "--no-progress", "--rate", "0")
    result = cli(*args, "--sandbox-records", records)
    assert result.code in (0, 1), result.err  # what a key not held is called is the client's
    (report,) = (tmp_path / "reports").glob("*.xlsx")
    statuses = {r["key"]: r["status"] for r in report_rows(report)}
    # ann is held (twice) by the records file, bob is not: the input's keys seeded nothing
    assert statuses["ann@example.com"] == "success"
    assert statuses["bob@example.com"] != "success"


def test_run_refuses_a_bad_records_file_before_anything(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("email,sms_telephone\n,+44 7700 900152\n", encoding="utf-8")
    src = write_csv(tmp_path / "in.csv", ["Email"], [["ann@example.com"]])
    result = cli("run", src, "--sandbox", "--yes", "--no-progress", "--sandbox-records", bad)
    assert result.code == 2
    message = result.err.strip().splitlines()[-1]
    assert message.startswith(f"error: sandbox records: {bad}: line 2: sms_telephone ")
    assert not any(tmp_path.glob("reports/*"))  # no journal, no report: nothing was sent


def test_sandbox_records_needs_the_built_in_sandbox(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["ann@example.com"]])
    result = cli(
        "run", src, "--base-url", "http://127.0.0.1:9", "--yes", "--sandbox-records", "r.csv"
    )
    assert result.code == 2
    assert result.err.strip() == (
        "error: --sandbox-records seeds the built-in sandbox: add --sandbox "
        "(a standalone sandbox takes `batch-anonymizer sandbox --records FILE`)"
    )


def test_the_standalone_sandbox_refuses_a_bad_records_file_in_one_line(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("email,phone\n", encoding="utf-8")
    result = cli("sandbox", "--port", "0", "--records", bad)
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"error: sandbox records: {bad}: unknown column(s) 'phone'")
    assert result.out == ""


@pytest.mark.slow
def test_the_standalone_sandbox_serves_a_records_file_and_a_seed_input(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(RECORDS + ",447700900153,Kim\n", encoding="utf-8")
    src = write_csv(
        tmp_path / "in.csv", ["Email", "Phone"], [["held@example.com", "+1 202 555 0154"]]
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = ["sandbox", "--port", "0", "--records", str(records), "--seed", str(src)]
    proc = spawn(args, tmp_path, env)  # `python -m batch_anonymizer`, forked (tests/forkcli.py)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == f"Loaded 3 record(s) from {records}\n"
        url = proc.stdout.readline().split()[-1]
        key = proc.stdout.readline().split()[3]
        auth = {"Authorization": f"api_key {key}"}
        got = call(url, "GET", params={"telephone": "447700900153"}, headers=auth)
        assert [r["first_name"] for r in got.json()["Data"]] == ["Kim"]
        got = call(url, "GET", params={"email": "ANN@example.com"}, headers=auth)
        assert len(got.json()["Data"]) == 2
        # --seed: the input's row is one person, its records by the demo rule:
        # answers by email, and one SMS answer that holds the telephone only
        got = call(url, "GET", params={"telephone": "12025550154"}, headers=auth)
        assert [r["email"] for r in got.json()["Data"]] == [""]
        got = call(url, "GET", params={"email": "held@example.com"}, headers=auth)
        assert len(got.json()["Data"]) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_the_library_seeds_the_same_way() -> None:
    prep = ba.prepare_run(REPO / "sample_inputs" / "requests.csv")
    box = ba.seeded_sandbox(prep.lines)
    held = {p.last_name: p.records for p in box.store.people}
    assert (held["Row11"], held["Row38"]) == (0, 0)
    assert sum(1 for n in held.values() if n == 0) == 2
