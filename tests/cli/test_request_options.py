"""The request and deadline options: checked before anything is read or sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_csv


def usage_error(cli, capsys: pytest.CaptureFixture[str], *args: object) -> str:
    with pytest.raises(SystemExit) as exc:
        cli(*args)
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_an_unknown_holiday_country_is_a_usage_error(cli, capsys, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["ann@example.com"]])
    err = usage_error(cli, capsys, "validate", src, "--holidays", "XX")
    assert '"XX" is not a country the holidays package knows' in err
    assert "GB-ENG" in usage_error(cli, capsys, "validate", src, "--holidays", "GB-XYZ")
    assert not (tmp_path / "reports").exists()


def test_day_first_and_month_first_exclude_each_other(cli, capsys, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Email"], [["ann@example.com"]])
    err = usage_error(cli, capsys, "validate", src, "--day-first", "--month-first")
    assert "not allowed with argument" in err


def test_a_named_column_must_exist(cli, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ["Case", "Email"], [["C-1", "ann@example.com"]])
    res = cli("validate", src, "--request-column", "Ticket")
    assert res.code == 2
    assert res.err.strip() == (
        'error: --request-column "Ticket": the input has no such column; its columns are: '
        "Case, Email"
    )
    assert not (tmp_path / "reports").exists()


def test_a_named_request_column_makes_the_requests(cli, tmp_path: Path) -> None:
    from batch_anonymizer.audit.reportread import read_requests

    src = write_csv(
        tmp_path / "in.csv",
        ["Case", "Email"],
        [["C-1", "ann@example.com"], ["C-1", "bob@example.com"]],
    )
    res = cli("validate", src, "--request-column", "case", "--report", tmp_path / "v.xlsx")
    assert res.code == 0, res.err
    (request,) = read_requests(tmp_path / "v.xlsx")
    assert (request["request"], request["source_rows"], request["outcome"]) == (
        "C-1",
        "2, 3",
        "ready",
    )


def test_validate_says_which_requests_have_no_deadline_yet(cli, tmp_path: Path) -> None:
    from conftest import SAMPLES

    res = cli("validate", SAMPLES / "requests.csv", "--report", tmp_path / "v.xlsx")
    assert res.code == 1  # the sample's invalid rows
    said = res.out.splitlines()
    assert 'requests: 50, by the column "Request ID" (rows with one id are one)' in said
    assert 'dates received: the column "Date received"; extension: "Extended" (1 extended)' in said
    assert (
        "1 request(s) with a typed date that may be day-first or month-first (REQ-1034): "
        "add --day-first or --month-first, or they get no due date"
    ) in said
    res = cli("validate", SAMPLES / "requests.csv", "--day-first", "--report", tmp_path / "w.xlsx")
    assert not any("day-first or month-first (" in line for line in res.out.splitlines())
