"""The loader over hostile bytes: a plan or the project's InputError, never anything else.

Under every input suffix: random bytes; zips of random and mutated workbook
parts; real workbooks with bytes flipped; delimited text with random quoting,
encodings and separators. ``load_table`` + ``make_plan`` must return a plan
or raise ``InputError`` (no BadZipFile, UnicodeError, calamine panic,
RecursionError, MemoryError). Sizes are small so the run takes seconds.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_anonymizer.core.errors import InputError
from batch_anonymizer.input.loader import load_table
from batch_anonymizer.input.plan import make_plan

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")
MESSY = REPO / "tests" / "data" / "messy"
FUZZ = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # capfd is read after every example
    ],
)


def load_or_refuse(data: bytes, suffix: str, capfd: pytest.CaptureFixture[str]) -> None:
    """The property: a plan, or InputError; anything else fails the test.

    A Rust panic that calamine recovers from still prints "panicked at" on the
    process's stderr (file descriptor 2): that fails the test too.
    """
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            make_plan(load_table(path))
        except InputError as e:
            assert e.message and "\n" not in e.message
    assert "panicked" not in capfd.readouterr().err


def _parts(book: Path, keep: tuple[str, ...] = ()) -> dict[str, bytes]:
    with zipfile.ZipFile(book) as z:
        return {
            i.filename: z.read(i.filename) for i in z.infolist() if not keep or i.filename in keep
        }


XLSX_PARTS = _parts(MESSY / "sheets.xlsx")
ODS_PARTS = _parts(MESSY / "sheets.ods", ("mimetype", "META-INF/manifest.xml", "content.xml"))
XLS = (MESSY / "sheets.xls").read_bytes()


def _zip(parts: dict[str, bytes], method: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in parts.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data, method)
    return out.getvalue()


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        if not out:
            break
        at = draw(st.integers(0, len(out) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "digits", "far", "ff"]))
        if kind == "flip":
            out[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del out[at : at + draw(st.integers(1, 64))]
        elif kind == "insert":
            out[at:at] = draw(
                st.sampled_from([b"<", b">", b'"', b"&", b"9999999", b"ZZZ", b"\x00"])
            )
        elif kind == "digits":  # make a number in a cell reference huge
            out[at:at] = b"1048577"
        elif kind == "far":  # a cell far away
            out[at:at] = b'<c r="ZZ1000000"><v>1</v></c>'
        else:  # a size or position field of a binary format at its maximum
            out[at : at + 4] = b"\xff\xff\xff\xff"
    return bytes(out)


@st.composite
def zips(draw: st.DrawFn) -> bytes:
    base = draw(st.sampled_from([XLSX_PARTS, ODS_PARTS]))
    parts = dict(base)
    for name in draw(st.lists(st.sampled_from(sorted(base)), max_size=3, unique=True)):
        choice = draw(st.sampled_from(["mutate", "drop", "random"]))
        if choice == "mutate":
            parts[name] = _mutate(parts[name], draw)
        elif choice == "drop":
            del parts[name]
        else:
            parts[name] = draw(st.binary(max_size=300))
    if draw(st.booleans()):
        parts[draw(st.sampled_from(["xl/worksheets/sheet9.xml", "x.bin", "content.xml"]))] = draw(
            st.binary(max_size=100)
        )
    method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
    data = _zip(parts, method)
    return _mutate(data, draw) if draw(st.integers(0, 4)) == 0 else data


_CELL = st.one_of(
    st.sampled_from(["ann@example.com", "+44 7700 900123", "", " ", '"', '""', "a,b", "=1+1"]),
    st.text(max_size=12),
)


@st.composite
def texts(draw: st.DrawFn) -> bytes:
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    rows = draw(st.lists(st.lists(_CELL, max_size=5), max_size=8))
    header = draw(st.sampled_from(["Email", "Phone", "Name", "E-mail,Phone", ""]))
    quote = draw(st.booleans())
    lines = [header] + [
        sep.join(f'"{c}"' if quote and draw(st.booleans()) else c for c in row) for row in rows
    ]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    return text.encode(encoding, errors="replace")


@FUZZ
@given(data=st.binary(max_size=600), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_under_every_suffix(
    data: bytes, suffix: str, capfd: pytest.CaptureFixture[str]
) -> None:
    load_or_refuse(data, suffix, capfd)


@FUZZ
@given(data=zips(), suffix=st.sampled_from((".xlsx", ".xlsm", ".ods", ".xls")))
def test_zips_of_random_and_mutated_parts(
    data: bytes, suffix: str, capfd: pytest.CaptureFixture[str]
) -> None:
    load_or_refuse(data, suffix, capfd)


@st.composite
def xls_mutants(draw: st.DrawFn) -> bytes:
    return _mutate(XLS, draw)


@FUZZ
@given(data=xls_mutants())
def test_an_xls_with_bytes_flipped(data: bytes, capfd: pytest.CaptureFixture[str]) -> None:
    load_or_refuse(data, ".xls", capfd)


@FUZZ
@given(data=texts(), suffix=st.sampled_from((".csv", ".tsv", ".txt")))
def test_text_with_random_quoting_and_encodings(
    data: bytes, suffix: str, capfd: pytest.CaptureFixture[str]
) -> None:
    load_or_refuse(data, suffix, capfd)
