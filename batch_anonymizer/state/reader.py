"""Reading a journal back: the state of a run, line by line, fast for large runs.

A torn last record (power cut while writing it) is ignored; damage anywhere
else is fatal, with advice. Journals of format 1 (batch-anonymizer 0.1) and 2
are read; another version is refused, naming it.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..core.codes import Reason, reason
from ..core.errors import ReportError
from ..core.records import KeyForm, Line, Outcome, Phase, Status
from . import format as fmt
from . import messages, planblock
from .linesdigest import lines_digest


@dataclass
class JournalState:
    """What a journal says, rebuilt line by line."""

    run: dict[str, Any]
    version: int = fmt.FORMAT_VERSION
    lines: Sequence[Line] = field(default_factory=list)  # a ``Lines`` from a ``plan`` record
    priors: dict[int, Outcome] = field(default_factory=dict)  # carried over from earlier runs
    outcomes: dict[int, Outcome] = field(default_factory=dict)  # finished in this run
    sent: dict[int, int] = field(default_factory=dict)  # attempts started in this run
    unknown: dict[int, int] = field(default_factory=dict)  # attempts with no known answer
    last_try: dict[int, str] = field(default_factory=dict)  # message of the last transient answer
    last_http: dict[int, int] = field(default_factory=dict)  # HTTP status of that answer
    # verified runs: the form a key's records were found in, how many, and what is left
    found_in: dict[int, tuple[KeyForm, int]] = field(default_factory=dict)
    left: dict[int, int] = field(default_factory=dict)  # records the last lookup after found
    ended: dict[str, Any] | None = None
    torn: bool = False  # the last line was half-written and ignored
    lines_from_plan: bool = False  # lines are the caller's plan (same digest), not decoded

    def outcome(self, index: int) -> Outcome | None:
        """The known outcome of a line: finished in this run, or carried over into it."""
        return self.outcomes.get(index) or self.priors.get(index)

    @property
    def halt_code(self) -> Reason | None:
        """Why the run halted, from its end record; INTERRUPTED when it has none (a crash)."""
        if self.ended is None:
            return Reason.INTERRUPTED
        return reason(str(self.ended.get("code", ""))) or (
            Reason.INTERRUPTED if self.ended.get("halted") else None
        )

    def add_send(self, i: int, attempt: int) -> None:
        self.sent[i] = max(self.sent.get(i, 0), attempt)
        self.unknown[i] = self.unknown.get(i, 0) + 1  # until a try or done says otherwise

    def add_look(self, i: int, phase: Phase | None, form: str, n: int | None) -> None:
        """A lookup's answer: before (where the records were found) or after (what is left)."""
        kf = fmt.key_form_of(form)
        if n is None or kf is None or phase is None:
            return
        if phase is Phase.BEFORE:
            if n:
                self.found_in[i] = (kf, n)
        else:
            self.left[i] = n
            self.found_in.setdefault(i, (kf, n))

    def add(self, rec: dict[str, Any]) -> None:
        """Apply one decoded record (not the run record); unknown kinds are ignored."""
        kind, i = rec.get("t"), rec.get("i", -1)
        if kind == "line":
            if not isinstance(self.lines, list):
                self.lines = list(self.lines)
            self.lines.append(fmt.line_from_record(rec))
            if "prior" in rec:
                self.priors[i] = fmt.outcome_from_dict(rec["prior"], self.version)
        elif kind == "plan":
            self.lines = planblock.decode(rec)
        elif kind == "prior":
            self.priors[i] = fmt.outcome_from_dict(rec["o"], self.version)
        elif kind == "send":
            self.add_send(i, int(rec["a"]))
        elif kind == "try":
            if not rec.get("unc"):
                self.unknown[i] = max(0, self.unknown.get(i, 0) - 1)
            self.last_try[i] = rec.get("msg", "")
            if isinstance(rec.get("http"), int):
                self.last_http[i] = rec["http"]
        elif kind == "look":
            n = rec.get("n")
            self.add_look(i, _PHASES.get(str(rec.get("ph"))), str(rec.get("form", "")), n)
        elif kind == "done":
            self.outcomes[i] = fmt.outcome_from_dict(rec["o"], self.version)
        elif kind == "end":
            self.ended = rec

    def unfinished(self, index: int) -> Outcome | None:
        """A ``pending`` outcome for a line sent in this run without a final answer."""
        attempts = self.sent.get(index, 0)
        if not attempts or self.outcome(index) is not None:
            return None
        unknown = self.unknown.get(index, 0)
        if unknown:
            msg = messages.JOURNAL_ANSWER_LOST.format(attempts=attempts)
        else:
            msg = self.last_try.get(index) or messages.JOURNAL_UNFINISHED
        form, before = self.found_in.get(index, (None, None))
        return Outcome(
            Status.PENDING,
            self.halt_code,
            msg,
            http_status=self.last_http.get(index),
            attempts=attempts,
            unknown_attempts=unknown,
            run_id=str(self.run.get("run_id", "")),
            records_before=before,
            records_after=self.left.get(index),
            key_form=form,
        )


# A large run's journal is ~1M records. The common shapes (json.dumps keeps the key order
# the records are built in) are found with one regex pass each over the whole text, each
# match preceded by a newline; every other record is decoded in full, in order.
_SEND = r'\{"t":"send","i":(\d+),"a":(\d+)\}'
_DONE = r'\{"t":"done","i":(\d+),"o":(\{[^\n]*\})\}'
_LOOK = (
    r'\{"t":"look","i":(\d+),"ph":"(before|after)","form":"(\w+)","n":(\d+|null),'
    r'"http":(?:\d+|null),"code":"\w*"\}'
)
_PHASES = {p.value: p for p in Phase}
_LOOKS = re.compile(rf"\n{_LOOK}(?=\n)")
_LINE = r'\{"t":"line","i":(\d+),'
_SENDS = re.compile(rf"\n{_SEND}(?=\n)")
_DONES = re.compile(rf"\n{_DONE}(?=\n)")
_PRIORS = re.compile(rf'\n{_LINE}[^\n]*,"prior":(\{{[^\n]*\}})\}}(?=\n)')
_OTHERS = re.compile(rf"\n(?!(?:{_SEND}|{_DONE}|{_LOOK})\n|\Z)(?P<rec>[^\n]*)")
_NEW_PRIORS = re.compile(r'\n\{"t":"prior","i":(\d+),"o":(\{[^\n]*\})\}(?=\n)')
# the end of the plan: its line records, or its plan record and the prior records after it
_PAST_LINES = re.compile(r'\n(?!\{"t":"(?:line|plan|planned|prior)",)')
_PLANNED = re.compile(r'\n\{"t":"planned","sha256":"([0-9a-f]{64})"\}\n')


def read_journal(path: Path, plan_lines: Sequence[Line] | None = None) -> JournalState:
    """Rebuild a run's state from its journal; a torn last record is ignored.

    With ``plan_lines`` whose digest equals the journal's (the run record's
    ``lines_sha256``, or the ``planned`` record's; a resume of the same input with
    the same options), the plan is not decoded: the state's lines are
    ``plan_lines``, and only the outcomes carried over are read. A whole ``plan``
    record is then not even held (``_journal_bytes``: a 1M-row plan's is ~280 MB).
    """
    try:
        data, skipped, digest = _journal_bytes(path, plan_lines)
    except OSError as exc:
        raise ReportError(f"cannot read the journal {path}: {exc.strerror}") from None
    text, torn = _records_text(data, path)
    del data  # as large as the text: not kept beside it
    first = text.find("\n")  # records after the run record each follow a newline
    try:
        run = json.loads(text[:first]) if first > 0 else None
    except ValueError:
        run = None  # a damaged or torn first record
    if not isinstance(run, dict) or run.get("t") != "run":
        raise ReportError(f"{path} is empty or not a batch-anonymizer journal (no run record)")
    version = fmt.version_of(run)
    if version not in fmt.READABLE_VERSIONS:
        raise ReportError(
            f"{path.name} is a journal of format {version} (written by batch-anonymizer "
            f"{run.get('tool_version', '?')}); this version reads formats "
            f"{', '.join(map(str, fmt.READABLE_VERSIONS))}: use that version, or its report"
        )
    state = JournalState(run=run, version=version)
    # The plan's line records (or plan record) come right after the run record (more than
    # half the bytes).
    past = _PAST_LINES.search(text, first)
    lines_end = past.start() if past else first
    planned = _PLANNED.search(text, first, lines_end + 1) if version >= 3 else None
    recorded = planned[1] if planned else run.get("lines_sha256")
    if plan_lines is not None and digest is None and recorded:
        digest = _digest(plan_lines, version)  # not worked out while reading (~2 s at 1M lines)
    fast = skipped or (bool(recorded) and recorded == digest)

    sends = _SENDS.findall(text, lines_end)
    sent_to = [int(i) for i, _ in sends]
    state.sent = dict(zip(sent_to, [int(a) for _, a in sends], strict=True))  # the last attempt
    state.unknown = dict(Counter(sent_to))  # until a try or done says otherwise

    def undecodable(m: re.Match[str]) -> None:
        """A record that does not decode: a torn write if it is the last one, else fatal."""
        nonlocal torn
        if m.end() != len(text) - 1 or torn:
            raise _damaged(path, text.count("\n", 0, m.start()) + 2) from None
        torn = True  # the crash happened while writing it

    for i, phase, form, n in _LOOKS.findall(text, lines_end):
        state.add_look(int(i), Phase(phase), form, None if n == "null" else int(n))
    dones = _DONES.findall(text, lines_end)
    decoded = _Decoded(version)  # outcome text -> Outcome: runs repeat them a lot
    try:
        ids, texts = [int(i) for i, _ in dones], [o for _, o in dones]
        state.outcomes = dict(zip(ids, map(decoded.__getitem__, texts), strict=True))
    except _UNDECODABLE:  # find which record, one by one
        for m in _DONES.finditer(text, lines_end):
            try:
                state.outcomes[int(m[1])] = decoded[m[2]]
            except _UNDECODABLE:
                undecodable(m)
    if fast and text.find(',"prior":{', first, lines_end) >= 0:
        for m in _PRIORS.finditer(text, first, lines_end + 1):
            try:
                state.priors[int(m[1])] = decoded[m[2]]
            except _UNDECODABLE:
                undecodable(m)
    if fast and text.find('\n{"t":"prior",', first, lines_end) >= 0:
        for m in _NEW_PRIORS.finditer(text, first, lines_end + 1):
            try:
                state.priors[int(m[1])] = decoded[m[2]]
            except _UNDECODABLE:
                undecodable(m)
    for m in _OTHERS.finditer(text, lines_end if fast else first):
        try:
            state.add(json.loads(m["rec"]))
        except _UNDECODABLE:
            undecodable(m)
    for i in state.outcomes:
        state.unknown.pop(i, None)
    state.torn = torn
    if fast:
        assert plan_lines is not None
        if planned is not None:  # the plan record is whole: the record after it was written
            whole = text.startswith('{"t":"plan",', first + 1)
        else:
            whole = text.count('\n{"t":"line","i":', first, lines_end) == len(plan_lines)
        if not whole:
            return read_journal(path)  # the run was killed while writing its plan
        state.lines = plan_lines
        state.lines_from_plan = True
    return state


def _digest(lines: Sequence[Line], version: int) -> str | None:
    """The digest a journal of ``version`` gives the plan ``lines`` (None: it cannot)."""
    if version >= 3:
        return planblock.plan_digest(lines) or lines_digest(lines)
    return lines_digest(lines)


# On a resume of the same plan, the plan record (a 1M-row plan's is ~280 MB) is read
# through in pieces of this size and replaced by this stand-in (never decoded: the
# caller's plan stands for it), so that the journal's lines keep their numbers.
_PIECE = 1 << 20
_PLAN_START = b'{"t":"plan",'
_STAND_IN = _PLAN_START + b'"n":0}\n'
_PLANNED_RECORD = re.compile(rb'\{"t":"planned","sha256":"([0-9a-f]{64})"\}\n')
_PLAN_FORMATS = tuple(v for v in fmt.READABLE_VERSIONS if v >= 3)  # a plan record, maybe


def _journal_bytes(path: Path, plan_lines: Sequence[Line] | None) -> tuple[bytes, bool, str | None]:
    """The journal's bytes, whether its plan record was skipped (replaced by
    ``_STAND_IN``), and the digest of ``plan_lines`` if it was worked out. The record is
    skipped only in a journal of format 3 whose plan record is whole (valid UTF-8, ends
    with a newline) and followed by its ``planned`` record with the digest of
    ``plan_lines``. Anything else is read whole, as it is, to be judged by the full read.
    """
    digest = None
    with path.open("rb") as f:
        run = f.readline()
        version = _version(run) if plan_lines is not None and run.endswith(b"\n") else None
        if version in _PLAN_FORMATS and f.read(len(_PLAN_START)) == _PLAN_START and _past_line(f):
            planned = _PLANNED_RECORD.fullmatch(f.readline(128))
            assert plan_lines is not None and version is not None
            if planned:
                digest = _digest(plan_lines, version)
                if planned[1].decode() == digest:
                    return run + _STAND_IN + planned[0] + f.read(), True, digest
        f.seek(0)
        return f.read(), False, digest


def _version(run: bytes) -> int | None:
    """The format of a run record's bytes (None: it does not decode)."""
    try:
        rec = json.loads(run)
    except ValueError:
        return None
    return fmt.version_of(rec) if isinstance(rec, dict) else None


def _past_line(f: BinaryIO) -> bool:
    """Read ``f`` up to the end of its current line, in pieces, nothing kept: whether the
    line ends (with a newline) and is valid UTF-8."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    while piece := f.read(_PIECE):
        end = piece.find(b"\n")
        try:
            utf8.decode(piece if end < 0 else piece[: end + 1])
        except UnicodeDecodeError:
            return False
        if end >= 0:
            f.seek(end + 1 - len(piece), io.SEEK_CUR)
            return True
    return False


def _records_text(data: bytes, path: Path) -> tuple[str, bool]:
    """The complete records as text (each ends with a newline), and whether the last
    record was torn (and dropped).

    Decoded once: ``json.loads`` of bytes would detect the encoding for every record.
    """
    end = data.rfind(b"\n") + 1
    torn = bool(data[end:].strip())
    view = memoryview(data)  # decoded in place: a slice of the bytes would be a copy
    try:
        return str(view[:end], "utf-8"), torn
    except UnicodeDecodeError as exc:
        n = data.count(b"\n", 0, exc.start) + 1
        if torn or n < data.count(b"\n"):
            raise _damaged(path, n) from None
        # The last record is damaged: the crash happened while writing it.
        return str(view[: data.rfind(b"\n", 0, end - 1) + 1], "utf-8"), True


_UNDECODABLE = (ValueError, KeyError, TypeError, AttributeError)


class _Decoded(dict[str, Outcome]):
    """Outcome texts already decoded; a journal repeats the same few thousand."""

    def __init__(self, version: int) -> None:
        super().__init__()
        self.version = version

    def __missing__(self, text: str) -> Outcome:
        o = self[text] = fmt.outcome_from_dict(json.loads(text), self.version)
        return o


def _damaged(path: Path, n: int) -> ReportError:
    return ReportError(
        f"the journal {path} is damaged at line {n}; "
        "use the report (.xlsx/.csv) with --resume instead"
    )
