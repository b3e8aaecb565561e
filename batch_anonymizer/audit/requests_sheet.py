"""What the report says per erasure request: the Requests sheet, its csv twin, the Summary's words.

``requests.derive`` decides what each request is (``core.requests.Request``);
this module turns the requests into the sheet's lines (``REQUEST_COLUMNS``,
then the input columns of each request's first row), the Summary's headline
sentence and count tables, and the order of Needs attention (the lines of
overdue requests first, then those due soon).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import repeat

from ..core.decision import approved_by, decision, decision_note, handled_by, with_drafts
from ..core.jurisdiction import deadline_rule
from ..core.protocol import protocol_codes
from ..core.records import RunFacts
from ..core.reportlines import Remade
from ..core.requests import (
    GATE_SETTINGS,
    NO_IDENTITY_COLUMN,
    NO_TYPE_COLUMN,
    ON_TIME_MEANINGS,
    OUTCOME_MEANINGS,
    Request,
    RequestOutcome,
)
from .certificate_folder import draft_names
from .summary_sheet import CountTable
from .tally import RequestTally, tally
from .workbook import CellValue, Table

REQUEST_COLUMNS = (
    "request",
    "source_rows",
    "date_received",
    "due_date",
    "extended",
    "outcome",
    "keys",
    "records_anonymized",
    "completed_at",
    "on_time",
    "days_left",
    "duplicate_of",
    "deadline_code",
    "extension_reason",  # new in 0.3: after the request facts of 0.2, none of them moved
    "request_type",
    "identity",
    "hold",
    "protocol_status",
    "protocol_reason",
    # new in 0.4, after every column of 0.3 (scripts read them by position too)
    "handled_by",
    "approved_by",
    "decision",
    "decision_note",
    "reply_draft",
)
#: Columns read back as dates (``yyyy-mm-dd``); ``completed_at`` is a UTC time.
DAY_COLUMNS = ("date_received", "due_date")
INPUT_SUFFIX = " (input)"
#: The run-fact settings that say how deadlines were counted (``requests.rules``).
AS_OF, HOLIDAYS = "setting.deadlines_as_of", "setting.holidays"


def request_header(input_columns: Sequence[str]) -> tuple[str, ...]:
    """The Requests sheet's header: ours, then the input's (`` (input)`` added on a clash)."""
    ours = set(REQUEST_COLUMNS)
    inputs = (
        c + INPUT_SUFFIX if c in ours or c.endswith(INPUT_SUFFIX) else c for c in input_columns
    )
    return (*REQUEST_COLUMNS, *inputs)


def source_rows(r: Request) -> str:
    """``2, 5``; with rows of several sheets ``Sheet1: 2, 5; Sheet2: 3``."""
    sheets = dict.fromkeys(sheet for sheet, _ in r.rows)
    if len(sheets) == 1:
        return ", ".join(str(n) for _, n in r.rows)
    return "; ".join(
        f"{sheet}: " + ", ".join(str(n) for s, n in r.rows if s == sheet) for sheet in sheets
    )


def request_values(r: Request, width: int, facts: RunFacts, draft: str = "") -> list[CellValue]:
    """One line of the Requests sheet (dates as dates, the csv writes them ``yyyy-mm-dd``);
    ``draft`` is the file name of its reply draft ("" when none is written)."""
    row: list[CellValue] = [
        r.request,
        source_rows(r),
        r.received,
        r.due,
        "yes" if r.extended else "no",
        r.outcome.value,
        r.key_count,
        r.records_anonymized,
        r.completed_at,
        r.on_time.value if r.on_time else "",
        r.days_left,
        ", ".join(r.duplicate_of),
        r.code.value if r.code else "",
        r.extension_reason,
        r.request_type or "",
        NO_IDENTITY_COLUMN if r.identity is None else r.identity or "(empty)",
        r.hold,
        *protocol_codes(r),
        handled_by(r, facts),
        approved_by(facts),
        decision(r),
        decision_note(r),
        draft,
    ]
    cells = list(r.cells[:width])
    return row + cells + [""] * (width - len(cells))


def request_rows(
    requests: Iterable[Request], input_columns: Sequence[str], facts: RunFacts
) -> Iterator[tuple[Request, list[CellValue]]]:
    """Each request with its line of the Requests sheet (and its csv twin), made by the
    run of ``facts`` (its operator, approver, and whether it writes the reply drafts)."""
    width = len(input_columns)
    if with_drafts(facts):
        requests = list(requests)
        names: Iterable[str] = draft_names(requests)
    else:
        names = repeat("")
    for r, d in zip(requests, names, strict=False):  # repeat() never ends
        yield r, request_values(r, width, facts, d)


def requests_table(
    requests: Sequence[Request], input_columns: Sequence[str], facts: RunFacts
) -> Table:
    """The Requests sheet (and its csv twin) of ``requests``, made by the run of ``facts``
    (its operator, approver, and whether it writes the reply drafts)."""
    # made again each time the sheet or its twin reads them: a request at a time
    return Table(
        header=request_header(input_columns),
        rows=Remade(
            len(requests), lambda: (row for _, row in request_rows(requests, input_columns, facts))
        ),
        coloured=("outcome", "on_time"),
        when="completed_at",
    )


#: The Register sheet: the Requests sheet's key columns, in print order (``deadline_code``
#: only when a request has one). ``decision_note`` says what the extension, hold, identity
#: and request-type columns would (the Requests sheet keeps them for the screen); the
#: columns that wrap are capped (``pagesetup.WRAP_WIDTHS``) so it prints one A4 page wide.
REGISTER_COLUMNS = (
    "request",
    "date_received",
    "due_date",
    "outcome",
    "on_time",
    "days_left",
    "keys",
    "handled_by",
    "decision",
    "decision_note",
    "deadline_code",
)
REGISTER_IF_USED = ("deadline_code",)


def register_table(
    requests: Table,
    *,
    coded: bool | None = None,
    source: Sequence[Sequence[CellValue]] | None = None,
) -> Table:
    """The Register sheet of a Requests table: its key columns (``REGISTER_COLUMNS``),
    to print one page wide; the Requests sheet keeps every column for the screen.
    ``coded``: whether a request has a deadline code, when known (else read from the rows);
    ``source``: where to read the Requests table's rows (default: its own)."""
    idx = {c: requests.header.index(c) for c in REGISTER_COLUMNS}

    def used(c: str) -> bool:
        if c not in REGISTER_IF_USED:
            return True
        if coded is not None and c == "deadline_code":
            return coded
        return any(r[idx[c]] not in ("", None) for r in requests.rows)

    cols = [c for c in REGISTER_COLUMNS if used(c)]
    at = [idx[c] for c in cols]
    rows = requests.rows if source is None else source
    return Table(
        header=tuple(cols),
        rows=Remade(len(rows), lambda: ([r[i] for i in at] for r in rows)),
        coloured=("outcome", "on_time"),
        when="",
        wrapped=(
            "request",
            "handled_by",
            "decision",
            "decision_note",
            "deadline_code",
        ),
    )


_WORDS = {
    RequestOutcome.HELD: "held (identity not verified, or a hold)",
    RequestOutcome.NOT_ERASURE: "not erasure requests (another right: still to answer)",
    RequestOutcome.INCOMPLETE: "incomplete",
    RequestOutcome.ANONYMIZED_UNVERIFIED: "anonymized but not verified",
    RequestOutcome.INVALID: "invalid (no usable email or telephone)",
    RequestOutcome.READY: "would be sent",
}


def requests_headline(requests: Sequence[Request] | RequestTally, facts: RunFacts) -> str:
    """One sentence on the requests, for example "48 of 50 requests completed: 45 erased,
    3 no data held; 2 incomplete, 1 of them overdue."."""
    t = requests if isinstance(requests, RequestTally) else tally(requests)
    count, overdue = t.live, t.overdue
    n = f"{t.live.total():,}"
    shown: set[RequestOutcome] = set()
    if facts.mode.dry or facts.mode.looks_only:
        head = f"{count[RequestOutcome.READY]:,} of {n} requests would be processed"
        if overdue[RequestOutcome.READY]:
            head += f" ({overdue[RequestOutcome.READY]:,} of them already overdue)"
        shown.add(RequestOutcome.READY)
    else:
        done = count[RequestOutcome.ERASED] + count[RequestOutcome.NO_DATA_HELD]
        late = t.late
        head = f"{done:,} of {n} requests completed"
        if late:
            head += f" ({late:,} after the due date)"
        parts = [
            f"{count[o]:,} {words}"
            for o, words in (
                (RequestOutcome.ERASED, "erased"),
                (RequestOutcome.NO_DATA_HELD, "no data held"),
            )
            if count[o]
        ]
        if parts:
            head += ": " + ", ".join(parts)
    rest = []
    for o, words in _WORDS.items():
        k, late_k = count[o], overdue[o]
        if not k or o in shown:
            continue
        text = f"{k:,} {words}"
        if late_k:
            text += " and overdue" if k == 1 else f", {late_k:,} of them overdue"
        rest.append(text)
    skipped = t.requests - t.live.total()
    if skipped:
        rest.append(f"{skipped:,} left out by --where")
    if t.doubt:
        rest.append(f"{t.doubt:,} with a deadline to check (deadline_code; see Needs attention)")
    return head + "".join(f"; {x}" for x in rest) + "."


def request_tables(
    requests: Sequence[Request] | RequestTally,
) -> tuple[CountTable, CountTable]:
    """The Summary's tables: requests per outcome, and per deadline status (``on_time``)."""
    t = requests if isinstance(requests, RequestTally) else tally(requests)
    outcomes = t.outcomes
    by_outcome = tuple(
        (o.value, outcomes[o], meaning)
        for o, meaning in OUTCOME_MEANINGS.items()
        if outcomes[o] or o not in (RequestOutcome.SKIPPED, RequestOutcome.ANONYMIZED_UNVERIFIED)
    )
    # each request once: by its deadline status; one left out by --where has a due date
    # but no status (not processed in this run); only one without a due date is undated
    timing = t.timing
    by_time = tuple((x.value, timing[x], meaning) for x, meaning in ON_TIME_MEANINGS.items())
    if timing[None]:
        by_time += (
            (
                "(left out by --where)",
                timing[None],
                "not processed in this run; its due date is on the Requests sheet",
            ),
        )
    undated = t.undated
    if undated:
        by_time += (("(no due date)", undated, "no date received, or one that cannot be read"),)
    return (
        CountTable(
            "Requests per outcome",
            ("Outcome", "Requests", "Meaning"),
            by_outcome,
            "Requests per outcome",
            "requests",
        ),
        CountTable(
            "Requests by deadline (on_time)",
            ("on_time", "Requests", "Meaning"),
            by_time,
            "Requests by deadline",
            "requests",
        ),
    )


def deadline_note(facts: RunFacts) -> str:
    """How the due dates were counted, and as of which day, for the Summary's notes."""
    settings = {f"setting.{k}": v for k, v in facts.settings}
    as_of = settings.get(AS_OF, "")
    month, _, moved = deadline_rule(settings.get(HOLIDAYS, "")).partition(", ")
    return (
        f"Requests lists one line per erasure request. Deadlines as of {as_of} (UTC): "
        f"{month}, the same date next month (the month's last day when it has none), {moved}; "
        "three calendar months when extended."
    )


def gate_notes(facts: RunFacts) -> tuple[str, ...]:
    """What decided which rows may be erased (the request type, the identity check, the
    hold), for the Summary's notes: each column used, or that the input has none."""
    settings = dict(facts.settings)
    types, identity, holds = (settings.get(k, "") for k in GATE_SETTINGS)
    return (
        f'Request types from the column "{types}": rows of another right are skipped '
        "(not_erasure), nothing sent."
        if types
        else NO_TYPE_COLUMN[:1].upper() + NO_TYPE_COLUMN[1:] + ".",
        f'Identity verification from the column "{identity}": rows not marked verified are '
        "held (identity_unverified), nothing sent."
        if identity
        else NO_IDENTITY_COLUMN[:1].upper() + NO_IDENTITY_COLUMN[1:] + ".",
        *(
            (
                f'Holds from the column "{holds}": rows with a filled cell are held (hold), '
                "nothing sent.",
            )
            if holds
            else ()
        ),
    )
