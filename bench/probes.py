"""One measured workload per process: ``python bench/probes.py NAME ARGS...``.

Each probe prints one JSON line with its own wall time (imports excluded);
the parent reads the child's peak RSS from ``wait4``. Probes:

- ``load PATH``: ``make_plan(load_table(PATH))`` (the tool's load, validate, dedupe).
- ``pandas PATH``: ``pandas.read_csv`` (pyarrow engine) or ``read_excel`` (calamine).
  Both give their CPU seconds (all threads) beside the wall time.
- ``verdicts PATH``: do the plan's verdicts equal email-validator's and phonenumbers'?
- ``report LINES OUT``: ``batch_anonymizer.audit.report.write_report`` of LINES report lines.
- ``xlsxwriter SRC OUT``: the cells of the workbook SRC written by xlsxwriter constant_memory.
- ``journal KEYS WRITERS PATH``: keys/s through ``JournalWriter`` (write+durable per key).
- ``fsync PATH``: one fsync after a one-line append, median seconds.
- ``make-journal KEYS PATH`` / ``resume KEYS PATH``: a crashed run's journal; resuming it.
- ``limits LINES OUT``: a report of more lines than one sheet holds, written and read back
  (its sheets, and whether every line came back, in order).
- ``requests LINES CERTIFICATES OUT``: deriving the requests of LINES lines (one request
  each), the report written without and with its Requests sheet, and CERTIFICATES PDFs.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from batch_anonymizer.core.codes import Reason
from batch_anonymizer.core.records import (
    InputTable,
    KeyType,
    Line,
    Mode,
    Outcome,
    Plan,
    ReportLine,
    RunFacts,
    SourceRow,
    Status,
)

RUN_ID = "20240301T120000Z-bench0"
SHA = "0" * 64
COLUMNS = ("Request ID", "Date received", "Name", "Email", "Phone", "Request type")


def _emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def probe_load(path: str) -> None:
    # the libraries the plan imports when first used, imported before the clock as the
    # pandas probe imports pandas: both figures are the work, not the imports
    import pandas  # noqa: F401
    import pyarrow.compute  # noqa: F401

    from batch_anonymizer.input.loader import load_table
    from batch_anonymizer.input.plan import make_plan

    t0, c0 = time.perf_counter(), time.process_time()
    table = load_table(Path(path))
    t1 = time.perf_counter()
    plan = make_plan(table)
    t2, c2 = time.perf_counter(), time.process_time()
    codes = Counter(line.status.value for line in plan.lines)
    cpu = c2 - c0
    _emit(wall=t2 - t0, cpu=cpu, load=t1 - t0, plan=t2 - t1, rows=len(table.rows), statuses=codes)


def probe_pandas(path: str) -> None:
    import pandas as pd

    t0, c0 = time.perf_counter(), time.process_time()
    if path.endswith(".csv"):
        df = pd.read_csv(path, engine="pyarrow", dtype=str, keep_default_na=False)
    else:
        df = pd.read_excel(path, engine="calamine", dtype=str)
    _emit(wall=time.perf_counter() - t0, cpu=time.process_time() - c0, rows=len(df))


def probe_verdicts(path: str) -> None:
    """Compare each key's verdict with the libraries' (validity only, not timing)."""
    import phonenumbers
    from email_validator import EmailNotValidError, validate_email

    from batch_anonymizer.input.loader import load_table
    from batch_anonymizer.input.plan import make_plan

    plan = make_plan(load_table(Path(path)))
    checked = differ = 0
    examples: list[str] = []
    for line in plan.lines:
        if line.key_type is None or line.status is Status.DUPLICATE:
            continue
        tool_ok = line.status is Status.READY
        if line.key_type is KeyType.EMAIL:
            try:
                validate_email(line.key, check_deliverability=False)
                lib_ok = True
            except EmailNotValidError:
                lib_ok = False
        else:
            # the telephone as written: ``key`` is the vendor's form (digits, no "+")
            try:
                num = phonenumbers.parse(line.written or line.key, None)
                lib_ok = bool(phonenumbers.is_possible_number(num))
            except phonenumbers.NumberParseException:
                lib_ok = False
        checked += 1
        if lib_ok != tool_ok:
            differ += 1
            if len(examples) < 5:
                examples.append(f"{line.key!r}: tool {tool_ok}, library {lib_ok}")
    _emit(checked=checked, differ=differ, examples=examples)


def _report_lines(n: int) -> list[ReportLine]:
    """A finished run's lines: mostly success, some duplicate, invalid and failed."""
    out = []
    for i in range(n):
        email = f"user{i}@example.{('com', 'org', 'net')[i % 3]}"
        cells = (f"REQ-{100000 + i}", "2024-03-01", f"Person {i}", email, "", "Erasure")
        if i % 50 == 7:
            line = Line(
                i,
                None,
                i + 2,
                KeyType.EMAIL,
                email,
                email,
                Status.DUPLICATE,
                Reason.DUPLICATE,
                "duplicate of row 9",
                cells,
            )
            outcome = Outcome(Status.DUPLICATE, Reason.DUPLICATE, "duplicate of row 9")
        elif i % 50 == 13:
            line = Line(
                i,
                None,
                i + 2,
                KeyType.EMAIL,
                email,
                email,
                Status.INVALID,
                Reason.INVALID_EMAIL,
                "not a valid email address",
                cells,
            )
            outcome = Outcome(Status.INVALID, Reason.INVALID_EMAIL, "not a valid email address")
        else:
            line = Line(i, None, i + 2, KeyType.EMAIL, email, email, Status.READY, None, "", cells)
            ok = i % 100 != 21
            outcome = Outcome(
                Status.SUCCESS if ok else Status.FAILED,
                None if ok else Reason.RETRIES_EXHAUSTED,
                http_status=200 if ok else 500,
                message="anonymized (1 record)" if ok else "gave up after 6 attempts: HTTP 500",
                attempts=1 if ok else 6,
                finished_at="2024-03-01T12:00:00Z",
                run_id=RUN_ID,
                records_found=None,
            )
        out.append(ReportLine(line, outcome))
    return out


def _facts() -> RunFacts:
    return RunFacts(
        run_id=RUN_ID,
        mode=Mode.RUN,
        tool_version="bench",
        started_at="2024-03-01T12:00:00Z",
        ended_at="2024-03-01T12:30:00Z",
        input_name="contacts.csv",
        input_size=1,
        input_sha256=SHA,
        endpoint_host="127.0.0.1",
        journal_name="bench.journal",
    )


def probe_report(n: str, out: str) -> None:
    from batch_anonymizer.audit.report import write_report

    lines = _report_lines(int(n))
    xlsx = Path(out)
    for p in (xlsx, xlsx.with_suffix(".csv")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    write_report(xlsx, xlsx.with_suffix(".csv"), COLUMNS, lines, _facts())
    _emit(wall=time.perf_counter() - t0, lines=len(lines))


def probe_requests(n: str, certificates: str, out: str) -> None:
    import shutil

    from batch_anonymizer.app.certify import write_certificates
    from batch_anonymizer.audit.manifest import certificates_dir, write_manifest
    from batch_anonymizer.audit.report import write_report
    from batch_anonymizer.requests import RequestRules, derive_requests

    lines = _report_lines(int(n))
    xlsx = Path(out)
    for p in xlsx.parent.glob(xlsx.stem + ".*"):
        p.unlink()
    shutil.rmtree(certificates_dir(xlsx), ignore_errors=True)
    t0 = time.perf_counter()
    rules = RequestRules("Request ID", "Date received")
    requests = derive_requests(lines, COLUMNS, rules, datetime(2024, 3, 20).date())
    derive = time.perf_counter() - t0
    csv = xlsx.with_suffix(".csv")
    t0 = time.perf_counter()
    write_report(xlsx, csv, COLUMNS, lines, _facts())
    plain = time.perf_counter() - t0
    for p in (xlsx, csv):
        p.unlink()
    t0 = time.perf_counter()
    write_report(xlsx, csv, COLUMNS, lines, _facts(), requests=requests)
    with_requests = time.perf_counter() - t0
    manifest = write_manifest(xlsx, csv, None, _facts())
    t0 = time.perf_counter()
    done = write_certificates(xlsx, manifest, requests[: int(certificates)], _facts())
    certify = time.perf_counter() - t0
    _emit(
        derive=derive,
        plain=plain,
        with_requests=with_requests,
        certificates=done.count,
        certify=certify,
    )


def probe_xlsxwriter(src: str, out: str) -> None:
    """Write every cell of every sheet of ``src`` again, with xlsxwriter constant_memory."""
    import xlsxwriter  # type: ignore[import-untyped]
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(src)
    sheets = [(name, book.get_sheet_by_name(name).to_python()) for name in book.sheet_names]
    cells = sum(len(r) for _, rows in sheets for r in rows)
    Path(out).unlink(missing_ok=True)
    t0 = time.perf_counter()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    for name, rows in sheets:
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, row)
    wb.close()
    _emit(wall=time.perf_counter() - t0, cells=cells)


def probe_journal(keys: str, writers: str, path: str) -> None:
    from batch_anonymizer.state.journal import JournalWriter

    n, w = int(keys), int(writers)
    done = Outcome(
        Status.SUCCESS,
        None,
        "anonymized",
        http_status=200,
        attempts=1,
        finished_at="2024-03-01T12:00:00Z",
        run_id=RUN_ID,
    )
    Path(path).unlink(missing_ok=True)

    async def main() -> float:
        journal = JournalWriter(Path(path))
        journal.start()
        it = iter(range(n))

        async def worker() -> None:
            for i in it:
                journal.send(i, 1)  # as the runner writes them
                await journal.durable()
                journal.done(i, done)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(w)))
        wall = time.perf_counter() - t0
        await journal.aclose()
        return wall

    wall = asyncio.run(main())
    _emit(wall=wall, keys=n, per_s=n / wall)


def probe_fsync(path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    times = []
    for i in range(200):
        os.write(fd, b'{"t":"send","i":%d,"a":1}\n' % i)
        t0 = time.perf_counter()
        os.fsync(fd)
        times.append(time.perf_counter() - t0)
    os.close(fd)
    os.unlink(path)
    _emit(median=statistics.median(times), max=max(times))


def _resume_plan(n: int, path: Path) -> Plan:
    """A plan of ``n`` email keys, built as ``make_plan`` builds one (collector paused)."""
    from batch_anonymizer.core.gcpause import gc_paused

    with gc_paused():
        return _plan_of(n, path)


def _plan_of(n: int, path: Path) -> Plan:
    rows, lines = [], []
    for i in range(n):
        email = f"user{i}@example.{('com', 'org', 'net')[i % 3]}"
        cells = (f"REQ-{100000 + i}", "2024-03-01", f"Person {i}", email, "", "Erasure")
        rows.append(SourceRow(None, i + 2, cells))
        lines.append(
            Line(i, None, i + 2, KeyType.EMAIL, email, email, Status.READY, None, "", cells)
        )
    table = InputTable(path, SHA, 1, COLUMNS, tuple(rows))
    return Plan(table, "Email", None, tuple(lines))


def probe_make_journal(keys: str, path: str) -> None:
    """A run over KEYS keys killed at 70%: its plan, then send/done, some sends unanswered."""
    from batch_anonymizer.state.journal import JournalWriter

    n = int(keys)
    plan = _resume_plan(n, Path("contacts.csv"))
    out = Path(path)
    out.unlink(missing_ok=True)
    j = JournalWriter(out)
    j.write_plan(
        {
            "t": "run",
            "v": 3,
            "run_id": RUN_ID,
            "mode": "run",
            "tool_version": "bench",
            "started_at": "2024-03-01T12:00:00Z",
            "input": {"name": "contacts.csv", "path": "contacts.csv", "sha256": SHA, "size": 1},
            "endpoint_host": "127.0.0.1",
            "region": "",
            "previous_run_id": "",
            "settings": {},
            "columns": list(COLUMNS),
        },
        plan.lines,
        {},
    )
    sent, answered = int(n * 0.71), int(n * 0.70)
    start = datetime(2024, 3, 1, 12, tzinfo=UTC)
    for i in range(sent):
        j.send(i, 1)
        if i < answered:
            # As a real run writes them: a new second every 500 answers (the API's pace),
            # a few answers that needed a second attempt or found two records.
            at = start + timedelta(seconds=i // 500)
            o = Outcome(
                Status.SUCCESS,
                None,
                http_status=200,
                message=f"anonymized ({1 + (i % 97 == 0)} record(s))",
                attempts=1 + (i % 89 == 0),
                finished_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                run_id=RUN_ID,
            )
            j.done(i, o)
    j.close()
    with out.open("rb") as f:
        count = sum(1 for _ in f)
    _emit(lines=count, bytes=out.stat().st_size)


def probe_resume(keys: str, path: str) -> None:
    from batch_anonymizer.state.previous import load_previous
    from batch_anonymizer.state.resume import carry_over

    plan = _resume_plan(int(keys), Path("contacts.csv"))
    t0 = time.perf_counter()
    previous = load_previous(Path(path), plan)
    t1 = time.perf_counter()
    carried = carry_over(plan, previous, allow_changed_input=False)
    t2 = time.perf_counter()
    _emit(
        wall=t2 - t0,
        load_previous=t1 - t0,
        carry_over=t2 - t1,
        carried=len(carried.carried),
        jobs=len(carried.jobs),
    )


def probe_limits(n: str, out: str) -> None:
    """``write_report`` of LINES lines (more than a sheet holds), then ``read_report`` of
    the .xlsx and of the .csv: the sheets written, the times, and the lines read back."""
    import openpyxl

    from batch_anonymizer.audit.report import write_report
    from batch_anonymizer.audit.reportread import read_report

    lines = _report_lines(int(n))
    xlsx = Path(out)
    csv = xlsx.with_suffix(".csv")
    for p in (xlsx, csv):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    write_report(xlsx, csv, COLUMNS, lines, _facts())
    t1 = time.perf_counter()
    book = openpyxl.load_workbook(xlsx, read_only=True)
    sheets = {name: book[name].max_row for name in book.sheetnames}  # from each dimension
    book.close()
    t2 = time.perf_counter()
    back = read_report(xlsx).rows
    t3 = time.perf_counter()
    twin = read_report(csv).rows
    t4 = time.perf_counter()
    in_order = [r["source_row"] for r in back] == [str(rl.line.source_row) for rl in lines]
    _emit(
        lines=len(lines),
        write=t1 - t0,
        read_xlsx=t3 - t2,
        read_csv=t4 - t3,
        sheets=sheets,
        read_back=len(back),
        in_order=in_order,
        same_as_csv=back == twin,
        xlsx_bytes=xlsx.stat().st_size,
    )


PROBES: dict[str, Callable[..., None]] = {
    "load": probe_load,
    "pandas": probe_pandas,
    "verdicts": probe_verdicts,
    "report": probe_report,
    "xlsxwriter": probe_xlsxwriter,
    "journal": probe_journal,
    "fsync": probe_fsync,
    "make-journal": probe_make_journal,
    "resume": probe_resume,
    "limits": probe_limits,
    "requests": probe_requests,
}


if __name__ == "__main__":
    PROBES[sys.argv[1]](*sys.argv[2:])
