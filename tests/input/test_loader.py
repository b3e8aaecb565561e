"""The loader on real files: the samples, the messy corpus, and files it must refuse."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st

from batch_anonymizer.core.errors import InputError
from batch_anonymizer.core.files import file_sha256
from batch_anonymizer.input.loader import load_table
from batch_anonymizer.input.plan import make_plan
from batch_anonymizer.input.text import split_plain

MESSY = REPO / "tests" / "data" / "messy"


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
            "Extended",
            "Name",
            "Email",
            "Phone",
            "Request type",
            "Identity verified",
            "Hold",
        )
    )
    assert [r.cells for r in x.rows] == [r.cells for r in c.rows]
    assert [r.number for r in x.rows] == list(range(2, 52))
    assert x.sheets == ("Requests",) and c.sheets == ()
    assert x.rows[0].cells[:2] == ("REQ-1001", "2026-08-31")
    assert x.sha256 == hashlib.sha256((SAMPLES / "requests.xlsx").read_bytes()).hexdigest()
    assert x.size == (SAMPLES / "requests.xlsx").stat().st_size


def test_sample_problems() -> None:
    access = (
        'not an erasure request (Request type is "Access"): nothing was sent; the person still '
        "needs an answer to that request"
    )
    pending = (
        'held: identity not verified (Identity verified is "Pending"); nothing was sent; '
        "verify the requester's identity, mark the row, and run again"
    )
    hold = "held (Hold): Legal hold: pending litigation, Art. 17(3)(e); nothing was sent"
    assert problems(SAMPLES / "requests.xlsx") == [
        (7, "held", "identity_unverified", pending),
        (7, "held", "identity_unverified", pending),
        (9, "held", "hold", hold),
        (12, "skipped", "not_erasure", access),
        (12, "skipped", "not_erasure", access),
        (23, "skipped", "not_erasure", access),
        (23, "skipped", "not_erasure", access),
        (34, "skipped", "not_erasure", access),
        (45, "skipped", "not_erasure", access),
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


# -- the messy corpus (tests/data/make_messy.py) ----------------------------------------------

UK_WARN = "warning: number range unknown to the phone library"
LOST_DIGITS = "telephone lost digits in Excel; format the column as Text and export again"


def needs_region(key: str) -> str:
    return (
        f"a national number ({key}): its country is unknown, so it cannot be sent in the form "
        "CustomerGauge stores; give --default-region (for example --default-region GB)"
    )


def test_utf8_bom_csv() -> None:
    t = load_table(MESSY / "utf8_bom.csv")
    assert t.columns == ("E-mail", "Name")
    assert keys(MESSY / "utf8_bom.csv") == [
        (2, "email", "zoë@example.com"),
        (3, "email", "ana.lópez@example.org"),
    ]


def test_utf16_tab_text_as_excel_unicode_text() -> None:
    assert keys(MESSY / "utf16_tab.txt") == [
        (2, "email", "jürgen@example.com"),
        (2, "telephone", "447700900201"),
        (3, "telephone", "12025550171"),
    ]
    assert load_table(MESSY / "utf16_tab.txt").rows[1].cells[0] == "Søren Ødegård"


def test_cp1252_semicolon_with_lost_digits() -> None:
    p = MESSY / "cp1252_semicolon.csv"
    assert load_table(p).rows[2].cells[0] == "François Œuvre"
    assert keys(p) == [
        (2, "email", "jose@example.net"),
        (2, "telephone", "447700900123"),
        (3, "email", "zoe@example.net"),
        (3, "telephone", "4,4770E+11"),
        (4, "telephone", "447700900202"),
    ]
    assert problems(p) == [(3, "invalid", "phone_lost_digits", LOST_DIGITS)]


def test_encoding_and_delimiter_overrides() -> None:
    p = MESSY / "cp1252_semicolon.csv"
    assert load_table(p, encoding="latin-1").rows[0].cells[0] == "José Núñez"
    assert refuse(p, encoding="utf-8") == (
        "cp1252_semicolon.csv is not valid utf-8 (byte 24); try --encoding utf-8, utf-16 or cp1252"
    )
    assert load_table(p, delimiter=",").columns == ("Name;Mail;Telephone", "column 2")


def test_pipe_delimited_trailing_empty_cells() -> None:
    p = MESSY / "pipe.txt"
    assert load_table(p).columns == ("Request", "Email address", "SMS number")
    assert keys(p) == [
        (2, "email", "pipe@example.com"),
        (2, "telephone", "61491570156"),
        (3, None, ""),
    ]
    assert problems(p) == [(3, "invalid", "no_key", "no email or telephone in this row")]


def test_title_and_blank_rows_keep_spreadsheet_row_numbers() -> None:
    p = MESSY / "title_rows.csv"
    t = load_table(p)
    assert (t.columns, t.blank_rows) == (("Name", "Email", "Phone"), 3)
    assert keys(p) == [
        (5, "email", "ann@example.com"),
        (7, "telephone", "12025550100"),
        (10, "email", "cleo@example.org"),
    ]
    # header_row as a person sees it; the title becomes the header then
    assert load_table(p, header_row=4).columns == ("Name", "Email", "Phone")
    assert load_table(p, header_row=1).columns[0] == "GDPR erasure requests – March 2024"


def test_export_headers_are_found_under_title_rows(tmp_path: Path) -> None:
    # an export's header names its keys by meaning (PERSONAL_EMAIL, MobilePhone): it is
    # found under a title row and a blank row, and the title row is not taken for it
    p = tmp_path / "export.csv"
    p.write_text(
        "Erasure requests - mobile app,,\n"
        ",,\n"
        "CONTACT_ID,PERSONAL_EMAIL,MobilePhone\n"
        "C-1,ann@example.com,+44 7700 900123\n",
        encoding="utf-8",
    )
    t = load_table(p)
    assert (t.columns, t.rows[0].number) == (("CONTACT_ID", "PERSONAL_EMAIL", "MobilePhone"), 4)
    plan = make_plan(t)
    assert [(ln.source_row, ln.written, ln.source_column) for ln in plan.lines] == [
        (4, "ann@example.com", "PERSONAL_EMAIL"),
        (4, "+44 7700 900123", "MobilePhone"),
    ]
    assert load_table(p, header_row=3).columns == t.columns
    # a header that only describes keys is no header row: the first non-blank row is
    q = tmp_path / "flags.csv"
    q.write_text("Report,\nEmail opt-in,Core Identifier\nTRUE,ann@example.com\n", "utf-8")
    assert load_table(q).columns == ("Report", "column 2")


def test_all_sheets_takes_a_sheet_whose_only_key_column_is_an_identifier(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    first = wb.active
    assert first is not None
    first.title = "Contacts"
    first.append(["Name", "WORK_EMAIL"])
    first.append(["Ann", "ann@example.com"])
    second = wb.create_sheet("Requests")
    second.append(["Request ID", "Core Identifier"])
    second.append(["r-1", "bob@example.org"])
    notes = wb.create_sheet("Notes")
    notes.append(["Email opt-in", "Comment"])
    notes.append(["TRUE", "x"])
    p = tmp_path / "book.xlsx"
    wb.save(p)
    assert refuse(p, all_sheets=True) == (
        'sheet "Notes" of book.xlsx has no email or telephone column; '
        "read one sheet with --sheet, or remove that sheet"
    )
    del wb["Notes"]
    wb.save(p)
    plan = make_plan(load_table(p, all_sheets=True))
    assert [(ln.sheet, ln.source_row, ln.key, ln.source_column) for ln in plan.lines] == [
        ("Contacts", 2, "ann@example.com", "WORK_EMAIL"),
        ("Requests", 2, "bob@example.org", "Core Identifier"),
    ]


def test_wrapped_and_several_keys_per_cell() -> None:
    p = MESSY / "wrapped.csv"
    assert keys(p) == [
        (2, "email", "ann@example.com"),
        (3, "email", "bob@example.com"),
        (4, "email", "cleo@example.org"),
        (5, "email", "a@example.com"),
        (5, "email", "b@example.com"),
        (5, "email", "c@example.net"),
        (6, "email", "dev@example.net"),
        (6, "telephone", "447700900301"),
        (7, "telephone", "447700900302"),
        (7, "telephone", "447700900303"),
        (8, "email", "not an email"),
        (8, "telephone", "12025550199"),
    ]
    assert problems(p) == [
        (
            8,
            "invalid",
            "invalid_email",
            "not a valid email address: An email address must have an @-sign.",
        )
    ]
    # the raw cell travels with the line for the report
    plan = make_plan(load_table(p))
    assert plan.lines[1].cells[0] == '"Lee, Bob" <bob@example.com>'


def test_excel_phones_in_csv() -> None:
    p = MESSY / "excel_phones.csv"
    assert keys(p) == [
        (2, "telephone", "447700900123"),
        (3, "telephone", "4.4770E+11"),
        (4, "telephone", "7700900124"),
        (5, "telephone", "447700900.5"),
        (6, "telephone", "07700 900125"),
    ]
    lost = [
        (3, "invalid", "phone_lost_digits", LOST_DIGITS),
        (5, "invalid", "phone_lost_digits", LOST_DIGITS),
    ]
    # without a region the national numbers cannot be placed in their country
    assert problems(p) == [
        lost[0],
        (4, "invalid", "phone_needs_region", needs_region("7700900124")),
        lost[1],
        (6, "invalid", "phone_needs_region", needs_region("07700 900125")),
    ]
    zero = (
        4,
        "invalid",
        "phone_leading_zero_lost",
        "telephone 7700900124 probably lost its leading 0 in Excel (07700900124); "
        "fix the number, format the column as Text and export again",
    )
    assert problems(p, default_region="GB") == [lost[0], zero, lost[1]]
    assert [k for k in keys(p, default_region="GB") if k[0] == 6] == [
        (6, "telephone", "447700900125")
    ]


@pytest.mark.parametrize("name", ["title_rows.xlsx", "title_rows.xls"])
def test_workbook_numbers_merged_hidden_and_title(name: str) -> None:
    p = MESSY / name
    t = load_table(p)
    assert t.columns == ("Name", "Email", "Phone", "Region")  # column D is hidden
    assert (t.sheets, t.blank_rows) == (("Requests",), 1)
    assert [r.number for r in t.rows] == [4, 5, 7, 8, 9]  # row 8 is hidden
    assert t.rows[0].cells == ("Ann", "ann@example.com", "447700900123", "Central")
    assert keys(p) == [
        (4, "email", "ann@example.com"),
        (4, "telephone", "447700900123"),
        (5, "telephone", "447700900.5"),
        (7, "email", "cleo@example.org"),
        (7, "telephone", "7700900124"),
        (8, "email", "dev@example.net"),
        (8, "telephone", "12025550142"),
        (9, None, ""),
    ]
    assert problems(p, default_region="GB") == [
        (5, "invalid", "phone_lost_digits", LOST_DIGITS),
        (
            7,
            "invalid",
            "phone_leading_zero_lost",
            "telephone 7700900124 probably lost its leading 0 in Excel (07700900124); "
            "fix the number, format the column as Text and export again",
        ),
        (9, "invalid", "no_key", "no email or telephone in this row"),
    ]


@pytest.mark.parametrize("name", ["sheets.xlsx", "sheets.xls", "sheets.ods"])
def test_sheets(name: str) -> None:
    p = MESSY / name
    assert keys(p) == [(2, "email", "ann@example.com"), (3, "email", "bob@example.com")]
    for pick in ("February", "february", "2", 2):
        t = load_table(p, sheet=pick)
        assert (t.sheets, t.columns) == (("February",), ("Name", "email", "Mobile"))
    every = load_table(p, all_sheets=True)
    assert every.sheets == ("January", "February")  # the empty sheet is skipped
    assert every.columns == ("Email", "Name", "Mobile")  # "email" joins "Email"
    assert [(r.sheet, r.number, r.cells) for r in every.rows] == [
        ("January", 2, ("ann@example.com", "Ann", "")),
        ("January", 3, ("bob@example.com", "Bob", "")),
        ("February", 2, ("ANN@example.com", "Ann", "")),
        ("February", 3, ("", "Finn", "+44 7700 900401")),
    ]
    plan = make_plan(every)
    assert [(ln.sheet, ln.source_row, ln.status.value, ln.message) for ln in plan.lines][2:] == [
        ("February", 2, "duplicate", "duplicate of row 2 (sheet January)"),
        ("February", 3, "ready", UK_WARN),
    ]
    assert refuse(p, sheet="March") == (
        f'{name} has no sheet "March"; its sheets are: January, Empty, February'
    )
    assert refuse(p, sheet=3) == (
        f"{name} has 3 sheet(s), so there is no sheet index 3 (0 is the first); "
        "its sheets are: January, Empty, February"
    )
    assert refuse(p, sheet="Empty") == (
        f"{name} has no data; check that you exported the right sheet or file"
    )


def test_all_sheets_refuses_a_sheet_without_key_column() -> None:
    assert refuse(MESSY / "notes_sheet.xlsx", all_sheets=True) == (
        'sheet "Notes" of notes_sheet.xlsx has no email or telephone column; '
        "read one sheet with --sheet, or remove that sheet"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "empty.csv is empty (0 bytes); export the data again"),
        (
            "header_only.csv",
            "header_only.csv has a header but no data rows; "
            "check that you exported the right sheet or file",
        ),
        (
            "encrypted.xlsx",
            "encrypted.xlsx is password-protected (encrypted); open it in Excel, remove the "
            "password (File > Info > Protect Workbook) and save a copy",
        ),
        (
            "garbage.xlsx",
            "garbage.xlsx is not a real .xlsx workbook; "
            "open it in a spreadsheet program and save it again",
        ),
        (
            "csv_named.xlsx",
            "csv_named.xlsx is not a real .xlsx workbook (it looks like text: rename it to .csv)",
        ),
        (
            "corrupt.xlsx",
            "corrupt.xlsx cannot be read as a workbook (File not found '_rels/.rels'); it may be "
            "corrupt or password-protected: open it in a spreadsheet program and save a copy",
        ),
        (
            "report.csv",
            "report.csv is a report of batch-anonymizer, not a list of requests; to send its "
            "failed rows again use `batch-anonymizer retry report.csv`, or continue a run with "
            "`--resume report.csv`",
        ),
        (
            "report.xlsx",
            "report.xlsx is a report of batch-anonymizer, not a list of requests; to send its "
            "failed rows again use `batch-anonymizer retry report.xlsx`, or continue a run with "
            "`--resume report.xlsx`",
        ),
    ],
)
def test_refused_files(name: str, message: str) -> None:
    assert refuse(MESSY / name) == message


def test_reports_read_when_allowed() -> None:
    t = load_table(MESSY / "report.xlsx", allow_report=True)
    assert t.sheets == ("Rows",)
    assert t.rows[0].cells[:4] == ("2", "email", "ann@example.com", "failed")
    t = load_table(MESSY / "report.csv", allow_report=True)
    assert t.columns[:3] == ("source_row", "key_type", "key")


def test_garbage_with_other_workbook_suffixes(tmp_path: Path) -> None:
    for suffix in (".xls", ".ods", ".xlsm"):
        p = tmp_path / f"junk{suffix}"
        p.write_bytes((MESSY / "garbage.xlsx").read_bytes())
        assert refuse(p).startswith(f"junk{suffix} is not a real {suffix} workbook")
    p = tmp_path / "bin.csv"
    p.write_bytes(b"Email\x00\x01\x02")
    assert refuse(p).startswith("bin.csv ")


# -- the quote-free shortcut gives csv's rows ------------------------------------------------


@settings(deadline=None)
@given(
    text=st.text(st.sampled_from(list(",;|\t \n\r\x0b\x0c\x1c\u2028\x85a1é")), max_size=40),
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
)
def test_plain_split_equals_csv_reader(text: str, delimiter: str) -> None:
    rows = split_plain(text, delimiter)
    if rows is not None:
        assert rows == list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    else:
        assert "\r" in text.replace("\r\n", "")


def test_plain_split_leaves_quotes_to_csv() -> None:
    assert split_plain('a,"b,c"\n', ",") is None
    assert split_plain("a\rb\n", ",") is None
    assert split_plain("Email\r\n\r\na@example.com\r\n", ",") == [["Email"], [], ["a@example.com"]]


# -- --encoding: only codecs that read text files, one message each, never a traceback ------


@pytest.mark.parametrize(
    "name", ["hex", "base64", "rot13", "uu", "zlib_codec", "bz2", "undefined", "punycode", "idna"]
)
def test_a_codec_that_is_not_a_text_encoding_is_refused(tmp_path: Path, name: str) -> None:
    p = tmp_path / "a.csv"
    p.write_text("Email\na@example.com\n")
    assert refuse(p, encoding=name) == (
        f'"{name}" is not an encoding of text files; try utf-8, utf-16 or cp1252'
    )


def test_a_codec_that_fails_on_the_file_is_refused_in_one_line(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_bytes(b"Email\na\x80@example.com\n")
    assert refuse(p, encoding="ascii") == (
        "a.csv is not valid ascii (byte 7); try --encoding utf-8, utf-16 or cp1252"
    )


_CODEC_NAMES = st.sampled_from(
    [
        "utf-8",
        "utf-16",
        "utf-32",
        "utf-7",
        "cp1252",
        "latin-1",
        "cp037",
        "big5",
        "hz",
        "shift_jis",
        "iso2022_jp",
        "unicode_escape",
        "raw_unicode_escape",
        "charmap",
        "hex",
        "base64",
        "rot13",
        "uu",
        "zlib_codec",
        "undefined",
        "punycode",
        "idna",
        "mbcs",
    ]
)


@settings(deadline=None)
@given(name=st.one_of(_CODEC_NAMES, st.text(max_size=12)), data=st.binary(max_size=40))
def test_any_encoding_name_reads_or_is_refused_in_one_line(
    tmp_path_factory: pytest.TempPathFactory, name: str, data: bytes
) -> None:
    p = tmp_path_factory.mktemp("enc") / "a.csv"
    p.write_bytes(b"Email\n" + data)
    try:
        load_table(p, encoding=name or None)
    except InputError as e:
        assert "\n" not in e.message
