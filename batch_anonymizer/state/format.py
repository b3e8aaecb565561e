"""The journal's record shapes, in one place: how each record is written and read.

A journal is JSON lines. Record types (``t``):

- ``run``: the run facts, first line; ``v`` is the format version;
- ``plan``: every planned report line at once, as columns (``planblock``); and,
  on resume, a ``prior`` record per outcome carried over;
- ``line``: one planned report line, with the row's cells, the column the key
  came from (``col``) and the key as written (``written``) and, on resume, the
  outcome carried over (``prior``): a plan that is not columns (a retry's);
- ``send``: an attempt is about to leave (written ahead, fsynced);
- ``try``: an answer that did not settle the key (its code, and whether the
  vendor may have acted anyway);
- ``look``: a lookup's answer (before or after anonymizing; the key's form; how
  many records it found, or none when it failed);
- ``done``: a key's final outcome;
- ``end``: the run ended (and why it halted, if it did).

Format 3 (this version) journals a plan of columns as one ``plan`` record; its
run record's ``lines_sha256`` is then the SHA-256 of that record. Format 2
wrote a ``line`` record per line, and is read as before; both write outcome and
line codes as ``Reason`` values and the vendor's own code apart. Format 1
(batch-anonymizer 0.1) is still read: its ``error_code`` held either a loader
code or the vendor's code.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Sequence
from typing import Any

from ..core.codes import Reason, reason
from ..core.records import KeyForm, KeyType, Line, Outcome, Phase, RunFacts, Status

FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)

# The escape of ``json.dumps(..., ensure_ascii=False)`` (C when available): for ``line_text``.
_encode_str: Callable[[str], str] = json.encoder.encode_basestring
_STATUS = {s.value: s for s in Status}  # a dict lookup; ``Status(v)`` costs ~10x more


def dumps(rec: dict[str, Any]) -> bytes:
    """One record as a journal line, without its newline."""
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode()


# -- run and end ---------------------------------------------------------------------


def run_record(
    facts: RunFacts, *, input_path: str, columns: Sequence[str], lines_sha256: str
) -> dict[str, Any]:
    """The first record of a journal: who ran what, where, how."""
    return {
        "t": "run",
        "v": FORMAT_VERSION,
        "run_id": facts.run_id,
        "mode": facts.mode,
        "tool_version": facts.tool_version,
        "started_at": facts.started_at,
        "input": {
            "name": facts.input_name,
            "path": input_path,
            "sha256": facts.input_sha256,
            "size": facts.input_size,
        },
        "endpoint_host": facts.endpoint_host,
        "region": facts.region,
        "api_version": facts.api_version,
        "previous_run_id": facts.previous_run_id,
        "operator": facts.operator,
        "host_name": facts.host_name,
        "settings": dict(facts.settings),
        "columns": list(columns),
        "lines_sha256": lines_sha256,  # lets a resume skip decoding line records
        **(
            {"accepted_changed_evidence": facts.accepted_changed_evidence}
            if facts.accepted_changed_evidence
            else {}
        ),
    }


def end_record(ended_at: str, halted: str, halt_code: Reason | None) -> dict[str, Any]:
    """The last record: when the run ended, and why it halted ("" when it did not)."""
    rec: dict[str, Any] = {"t": "end", "ended_at": ended_at, "halted": halted}
    if halt_code is not None:
        rec["code"] = halt_code.value
    return rec


def version_of(run: dict[str, Any]) -> int:
    """The format version a run record declares (format 1 wrote 1, or nothing)."""
    v = run.get("v", 1)
    return v if isinstance(v, int) else 0


# -- lines -----------------------------------------------------------------------------


def line_record(line: Line, prior: Outcome | None = None) -> dict[str, Any]:
    """The ``line`` record of a planned line (and of its carried-over outcome)."""
    rec: dict[str, Any] = {
        "t": "line",
        "i": line.index,
        "sheet": line.sheet,
        "row": line.source_row,
        "kt": line.key_type.value if line.key_type else None,
        "key": line.key,
        "norm": line.norm,
        "status": line.status.value,
        "code": line.code.value if line.code else "",
        "msg": line.message,
        "cells": list(line.cells),
        "col": line.source_column,
        "written": line.written,
    }
    if prior is not None:
        rec["prior"] = outcome_to_dict(prior)
    return rec


def line_text(line: Line, prior: Outcome | None = None) -> bytes:
    """The ``line`` record as a journal line, newline included: ``dumps(line_record(...))``.

    Built as text, field by field, with the string escape ``json.dumps`` itself uses
    (``ensure_ascii=False``): a run writes one per planned line before its first
    request, and a dict per line through ``json.dumps`` costs ~3x more.
    """
    if prior is not None:  # rare (a resume carrying outcomes over): the general encoder
        return dumps(line_record(line, prior)) + b"\n"
    s = _encode_str
    sheet = "null" if line.sheet is None else s(line.sheet)
    kt = "null" if line.key_type is None else s(line.key_type.value)
    code = s(line.code.value) if line.code else '""'
    cells = ",".join(map(s, line.cells))
    return (
        f'{{"t":"line","i":{line.index:d},"sheet":{sheet},"row":{line.source_row:d},'
        f'"kt":{kt},"key":{s(line.key)},"norm":{s(line.norm)},"status":{s(line.status.value)},'
        f'"code":{code},"msg":{s(line.message)},"cells":[{cells}],'
        f'"col":{s(line.source_column)},"written":{s(line.written)}}}\n'
    ).encode()


def line_from_record(rec: dict[str, Any]) -> Line:
    """A ``Line`` back from its record (formats 1 and 2 write lines alike).

    ``col`` and ``written`` came with several key columns per row: a record
    without them (an earlier journal) reads as ``""``.
    """
    kt = rec.get("kt")
    return Line(
        index=int(rec["i"]),
        sheet=rec.get("sheet"),
        source_row=int(rec["row"]),
        key_type=KeyType(kt) if kt else None,
        key=rec.get("key", ""),
        norm=rec.get("norm", ""),
        status=Status(rec["status"]),
        code=reason(rec.get("code", "")),
        message=rec.get("msg", ""),
        cells=tuple(rec.get("cells", ())),
        source_column=rec.get("col", ""),
        written=rec.get("written", ""),
    )


def send_record(index: int, attempt: int) -> bytes:
    """The write-ahead ``send`` line (built as bytes: the commonest record)."""
    return b'{"t":"send","i":%d,"a":%d}\n' % (index, attempt)


def try_record(
    index: int,
    attempt: int,
    http: int | None,
    code: Reason | None,
    message: str,
    uncertain: bool,
) -> dict[str, Any]:
    """An answer that did not settle the key; ``unc``: the vendor may have acted anyway."""
    return {
        "t": "try",
        "i": index,
        "a": attempt,
        "http": http,
        "code": code.value if code else "",
        "msg": message,
        "unc": uncertain,
    }


def look_record(
    index: int,
    phase: Phase,
    form: KeyForm,
    records: int | None,
    http: int | None,
    code: Reason | None,
) -> bytes:
    """A lookup's answer; ``n`` null when the lookup failed (``code`` says why).

    Built as bytes, like ``send``: a verified run writes two or three per key.
    The reader finds them with one regular expression (``reader._LOOK``).
    """
    n = b"null" if records is None else b"%d" % records
    h = b"null" if http is None else b"%d" % http
    c = code.value.encode() if code else b""
    return b'{"t":"look","i":%d,"ph":"%s","form":"%s","n":%s,"http":%s,"code":"%s"}\n' % (
        index,
        phase.value.encode(),
        form.value.encode(),
        n,
        h,
        c,
    )


def done_line(index: int, outcome_json: bytes) -> bytes:
    """The ``done`` line of a key, from its already encoded outcome."""
    return b'{"t":"done","i":%d,"o":%s}\n' % (index, outcome_json)


def prior_line(index: int, outcome_json: bytes) -> bytes:
    """The ``prior`` line of a line's carried-over outcome (a plan journaled as a block)."""
    return b'{"t":"prior","i":%d,"o":%s}\n' % (index, outcome_json)


def outcome_to_dict(o: Outcome) -> dict[str, Any]:
    """An outcome as a journal record field (a literal: ``asdict`` costs ~10x more)."""
    d: dict[str, Any] = {"status": o.status.value}
    if o.code is not None:
        d["code"] = o.code.value
    d["message"] = o.message
    d["http_status"] = o.http_status
    if o.vendor_code:
        d["vendor_code"] = o.vendor_code
    d["attempts"] = o.attempts
    if o.unknown_attempts:
        d["unknown_attempts"] = o.unknown_attempts
    d["finished_at"] = o.finished_at
    d["run_id"] = o.run_id
    if o.records_found is not None:
        d["records_found"] = o.records_found
    if o.records_before is not None:
        d["records_before"] = o.records_before
    if o.records_after is not None:
        d["records_after"] = o.records_after
    if o.key_form is not None:
        d["key_form"] = o.key_form.value
    if o.previously_erased:
        d["previously_erased"] = o.previously_erased
    if o.stop_list:
        d["stop_list"] = o.stop_list
    return d


def outcome_from_dict(d: dict[str, Any], version: int = FORMAT_VERSION) -> Outcome:
    """An ``Outcome`` back from its record field, in either format."""
    get = d.get
    status = _STATUS[d["status"]]
    if version >= 2:
        code = reason(get("code", ""))
        vendor = str(get("vendor_code", ""))
    else:
        code, vendor = v1_codes(status, str(get("error_code", "")))
    return Outcome(
        status,
        code,
        get("message", ""),
        http_status=get("http_status"),
        vendor_code=vendor,
        attempts=int(get("attempts", 0)),
        unknown_attempts=int(get("unknown_attempts", 0)),
        finished_at=get("finished_at", ""),
        run_id=get("run_id", ""),
        records_found=get("records_found"),
        records_before=get("records_before"),
        records_after=get("records_after"),
        key_form=key_form_of(str(get("key_form", ""))),
        previously_erased=str(get("previously_erased", "")),
        stop_list=str(get("stop_list", "")),
    )


def key_form_of(value: str) -> KeyForm | None:
    """The ``KeyForm`` written as ``value``; None for "" or an unknown form."""
    return _FORMS.get(value)


_FORMS = {f.value: f for f in KeyForm}


def v1_codes(status: Status, error_code: str) -> tuple[Reason | None, str]:
    """Format 1's ``error_code``: a loader code, or the vendor's own code of a failure."""
    known = reason(error_code)
    if known is not None:
        return known, ""
    if error_code and status is Status.FAILED:
        return Reason.VENDOR_ERROR, error_code
    return None, error_code
