"""Reading a report back: its .xlsx or .csv into text rows exactly as they were written,
and its Requests sheet (or ``.requests.csv``). The resume, retry, handover, redact and
certificates commands rely on it; ``report`` writes what this reads."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core.codes import reason
from ..core.errors import ReportError
from ..core.records import Status
from .cellsafe import unneutralise
from .manifest import REQUESTS_CSV
from .readback import read_table, read_workbook
from .report import (
    _RESERVED,
    INPUT_SUFFIX,
    NEW_IN_FORMAT_2,
    OPTIONAL_COLUMNS,
    RESULT_COLUMNS,
    SOURCE_COLUMN,
    VERIFY_COLUMNS,
)
from .requests_sheet import DAY_COLUMNS
from .workbook import REQUESTS


@dataclass(frozen=True, slots=True)
class ReadReport:
    """A report read back: Summary facts (empty for a .csv), input columns, text rows.

    ``rows`` are keyed by the header as written: an input column that clashed
    with a result column is under ``"<name> (input)"``; ``input_headers`` holds
    those keys in the order of ``input_columns`` (the original names), and
    ``cells(row)`` gives a row's input cells.
    """

    facts: dict[str, str]
    input_columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    input_headers: tuple[str, ...] = ()
    format_version: int = 2  # 1: written by batch-anonymizer 0.1 (no vendor_code column)

    def cells(self, row: dict[str, str]) -> tuple[str, ...]:
        """The input's own cells of ``row``, aligned to ``input_columns``."""
        return tuple(row.get(h, "") for h in self.input_headers)


def read_report(path: Path) -> ReadReport:
    """Read a report of this tool from its .xlsx or .csv; values as the text written.

    Raises ``ReportError`` when the file cannot be read or is not such a report.
    """
    try:
        if path.suffix.lower() == ".csv":
            facts: dict[str, str] = {}
            header, rows = _read_csv(path)
        else:
            facts, header, rows = read_workbook(path)
    except KeyError:
        raise ReportError(
            f'{path.name} has no "Rows" sheet, so it is not a report of batch-anonymizer; '
            "give the .xlsx or .csv the tool wrote"
        ) from None
    except (OSError, ValueError, UnicodeError, csv.Error) as e:
        raise ReportError(
            f"cannot read the report {path} ({e}); give the .xlsx or .csv the tool wrote, "
            "or rebuild them from the journal with `batch-anonymizer report`"
        ) from e
    except Exception as e:  # openpyxl raises many kinds of errors for a damaged zip
        raise ReportError(
            f"{path.name} is not a readable workbook ({type(e).__name__}); give the .xlsx "
            "or .csv the tool wrote"
        ) from e
    version = 2 if all(c in header for c in NEW_IN_FORMAT_2) else 1
    header = _own_source_column(header)
    optional = (SOURCE_COLUMN,) + (() if version == 2 else NEW_IN_FORMAT_2)
    required = (*RESULT_COLUMNS, *VERIFY_COLUMNS)
    missing = [c for c in required if c not in header and c not in optional]
    if missing:
        raise ReportError(
            f"{path.name} is not a report of batch-anonymizer: it lacks the column(s) "
            + ", ".join(missing)
            + "; give the .xlsx or .csv the tool wrote, unedited"
        )
    if len(set(header)) != len(header):
        raise ReportError(f"{path.name} has two columns of the same name; it was edited")
    headers = tuple(h for h in header if h not in _RESERVED)
    inputs = tuple(h[: -len(INPUT_SUFFIX)] if h.endswith(INPUT_SUFFIX) else h for h in headers)
    absent = [c for c in (*OPTIONAL_COLUMNS, *VERIFY_COLUMNS, SOURCE_COLUMN) if c not in header]
    out = []
    for number, row in enumerate(rows, 2):
        d = dict(zip(header, row, strict=True))
        for opt in absent:
            d[opt] = ""
        _check_row(path, number, d, version)
        out.append(d)
    return ReadReport(facts, inputs, tuple(out), headers, version)


def read_requests(path: Path) -> list[dict[str, str]]:
    """The lines of a report's Requests sheet (from the .xlsx) or of its ``.requests.csv``,
    as the text written. Raises ``ReportError`` when there are none to read."""
    try:
        if path.name.endswith(REQUESTS_CSV):
            header, rows = _read_csv(path)
        else:
            header, rows = read_table(path, REQUESTS, DAY_COLUMNS)
    except KeyError:
        raise ReportError(
            f'{path.name} has no "Requests" sheet: it was written before requests were '
            "reported, or it is not a report of batch-anonymizer"
        ) from None
    except Exception as e:  # openpyxl raises many kinds of errors for a damaged zip
        raise ReportError(f"cannot read the requests of {path.name} ({e})") from e
    return [dict(zip(header, row, strict=True)) for row in rows]


def _own_source_column(header: list[str]) -> list[str]:
    """``header`` with a ``source_column`` that is not ours read as an input column.

    Ours stands right after ``key``; a report written before it existed may
    hold an input column of that name elsewhere, written without the suffix.
    """
    if SOURCE_COLUMN not in header or "key" not in header:
        return header
    if header.index(SOURCE_COLUMN) == header.index("key") + 1:
        return header
    return [SOURCE_COLUMN + INPUT_SUFFIX if h == SOURCE_COLUMN else h for h in header]


def _check_row(path: Path, number: int, d: dict[str, str], version: int) -> None:
    problem = ""
    if d["status"] not in _STATUSES:
        problem = f'status "{d["status"]}" is not one this tool writes'
    elif not d["source_row"].isdigit():
        problem = f'source_row "{d["source_row"]}" is not a row number'
    elif not d["attempts"].isdigit() or not (d["http_status"] == "" or d["http_status"].isdigit()):
        problem = "attempts or http_status is not a whole number"
    elif version >= 2 and not d["unknown_attempts"].isdigit():
        problem = "unknown_attempts is not a whole number"
    elif version >= 2 and d["error_code"] and reason(d["error_code"]) is None:
        problem = f'error_code "{d["error_code"]}" is not a code this tool writes'
    elif any(d[c] and not d[c].isdigit() for c in ("records_before", "records_after")):
        problem = "records_before or records_after is not a whole number"

    if problem:
        raise ReportError(
            f"line {number} of {path.name}: {problem}; the report was edited: "
            "use the copy the tool wrote (check it with `batch-anonymizer verify`)"
        )


_STATUSES = frozenset(s.value for s in Status)


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", errors="surrogatepass", newline="") as f:
        it: Iterator[list[str]] = csv.reader(f)
        header = [unneutralise(h) for h in next(it, [])]
        width = len(header)
        rows = []
        for raw in it:
            if not any(raw):
                continue
            row = [unneutralise(v) for v in raw[:width]]
            rows.append(row + [""] * (width - len(row)))
    return header, rows
