"""The loader on real files: the samples, the messy corpus, and files it must refuse."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from batch_anonymizer.errors import InputError
from batch_anonymizer.keys import make_plan
from batch_anonymizer.loader import file_sha256, load_table

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_inputs"
MESSY = Path(__file__).resolve().parent / "data" / "messy"


def keys(path: Path, **kw: object) -> list[tuple[int, str | None, str]]:
    """(source_row, key_type, key) of every line planned from ``path``."""
    region = kw.pop("default_region", None)
    plan = make_plan(load_table(path, **kw), default_region=region)  # type: ignore[arg-type]
    return [(ln.source_row, ln.key_type and ln.key_type.value, ln.key) for ln in plan.lines]


def problems(path: Path, **kw: object) -> list[tuple[int, str, str, str]]:
    """(source_row, status, code, message) of every line that will not be sent."""
    region = kw.pop("default_region", None)
    plan = make_plan(load_table(path, **kw), default_region=region)  # type: ignore[arg-type]
    return [
        (ln.source_row, ln.status.value, ln.code, ln.message)
        for ln in plan.lines
        if ln.status.value != "ready"
    ]


def refuse(path: Path, **kw: object) -> str:
    with pytest.raises(InputError) as e:
        load_table(path, **kw)  # type: ignore[arg-type]
    assert "\n" not in e.value.message
    return e.value.message


# -- the samples ---------------------------------------------------------------------------


def test_sample_xlsx_and_csv_read_the_same() -> None:
    x = load_table(SAMPLES / "requests.xlsx")
    c = load_table(SAMPLES / "requests.csv")
    assert (
        x.columns
        == c.columns
        == (
            "Request ID",
            "Date received",
            "Name",
            "Email",
            "Phone",
            "Request type",
        )
    )
    assert [r.cells for r in x.rows] == [r.cells for r in c.rows]
    assert [r.number for r in x.rows] == list(range(2, 52))
    assert x.sheets == ("Requests",) and c.sheets == ()
    assert x.rows[0].cells[:2] == ("REQ-1001", "2024-03-01")
    assert x.sha256 == hashlib.sha256((SAMPLES / "requests.xlsx").read_bytes()).hexdigest()
    assert x.size == (SAMPLES / "requests.xlsx").stat().st_size


def test_sample_problems() -> None:
    assert problems(SAMPLES / "requests.xlsx") == [
        (48, "duplicate", "duplicate", "duplicate of row 2"),
        (49, "duplicate", "duplicate", "duplicate of row 3"),
        (
            50,
            "invalid",
            "invalid_email",
            "not a valid email address: The part after the @-sign is not valid. "
            "It should have a period.",
        ),
        (51, "invalid", "no_key", "no email or telephone in this row"),
    ]


def test_file_sha256_streams(tmp_path: Path) -> None:
    p = tmp_path / "big.bin"
    p.write_bytes(b"x" * (3 << 20))
    assert file_sha256(p) == hashlib.sha256(b"x" * (3 << 20)).hexdigest()


# -- files that must be refused --------------------------------------------------------------


def test_missing_directory_unsupported(tmp_path: Path) -> None:
    assert (
        refuse(tmp_path / "nope.csv") == f"{tmp_path / 'nope.csv'} does not exist; check the path"
    )
    assert refuse(tmp_path) == f"{tmp_path} is a folder; give a spreadsheet file"
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    assert refuse(tmp_path / "a.pdf") == (
        'a.pdf: unsupported file type ".pdf"; save it as one of '
        ".csv, .tsv, .txt, .xlsx, .xlsm, .xls, .ods"
    )


def test_too_many_rows_and_columns(tmp_path: Path) -> None:
    p = tmp_path / "long.csv"
    p.write_bytes(b"Email\n" + b"a@example.com\n" * 1_048_576)
    assert refuse(p) == (
        "long.csv has more than 1,048,576 rows, the most a spreadsheet holds; "
        "split it into smaller files"
    )
    p = tmp_path / "wide.csv"
    p.write_text("Email," + ",".join(f"c{i}" for i in range(16_384)) + "\na@example.com\n")
    assert refuse(p) == (
        "wide.csv has 16,385 columns, more than the 16,384 a spreadsheet holds; "
        "remove the extra columns"
    )


def test_column_names_trimmed_unique_and_filled(tmp_path: Path) -> None:
    p = tmp_path / "cols.csv"
    p.write_text(" Email ,,email,Email,Note\na@example.com,x,b@example.com,c,d,extra\n")
    t = load_table(p)
    assert t.columns == ("Email", "column 2", "email (2)", "Email (3)", "Note", "column 6")
    assert t.rows[0].cells == ("a@example.com", "x", "b@example.com", "c", "d", "extra")


def test_bad_overrides(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("Email\na@example.com\n")
    assert refuse(p, encoding="klingon") == (
        'unknown encoding "klingon"; try utf-8, utf-16 or cp1252'
    )
    assert refuse(p, header_row=5) == "a.csv has only 2 rows, so row 5 cannot be the header"
    assert load_table(p, header_row=1).rows[0].number == 2
