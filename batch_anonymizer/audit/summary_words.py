"""What the Summary sheet says: the headline, the counts per status, the run facts."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields

from ..core.codes import Reason
from ..core.records import STOP_ADDED, STOP_FAILED, Mode, ReportLine, RunFacts, Status
from ..core.requests import Request
from ..core.timefmt import parse_iso
from .requests_sheet import (
    deadline_note,
    gate_notes,
    request_tables,
    requests_headline,
)
from .summary_sheet import SummaryContent
from .tally import RequestTally

#: One-line meaning of each status, in the order the Summary lists them.
STATUS_MEANINGS = {
    Status.SUCCESS: "anonymized: a lookup afterwards found no record left "
    "(with --no-verify: the vendor's answer alone)",
    Status.NOT_FOUND: "CustomerGauge holds no record for the key: nothing to anonymize, "
    "nothing sent",
    Status.FAILED: "not done: the API refused, every attempt failed, or records remain",
    Status.INVALID: "no usable email or telephone in the row: nothing was sent",
    Status.DUPLICATE: "same key as an earlier row: sent once, on that row",
    Status.SKIPPED: "left out by a --where filter, or not an erasure request "
    "(not_erasure): nothing was sent",
    Status.HELD: "held (identity_unverified, hold): nothing was sent; a later run sends it "
    "once the row is cleared",
    Status.PENDING: "not finished: no answer before the run stopped; send it again with retry",
    Status.READY: "dry run or check: would be sent",
}

FACT_LABELS = {
    "run_id": "Run id",
    "mode": "Mode",
    "tool_version": "Tool version",
    "operator": "Operator (OS user)",
    "host_name": "Host name",
    "endpoint_host": "API endpoint host",
    "region": "Region",
    "api_version": "API version",
    "started_at": "Started (UTC)",
    "ended_at": "Ended (UTC)",
    "input_name": "Input file name",
    "input_size": "Input file size (bytes)",
    "input_sha256": "Input file SHA-256",
    "previous_run_id": "Previous run id (resumed or retried)",
    "halted": "Halted because",
    "journal_name": "Journal file",
    "accepted_changed_evidence": "Went on from changed evidence (--accept-changed-evidence)",
}


def _n(k: int) -> str:
    return f"{k:,}"


_HEADLINE_ORDER = (
    Status.FAILED,
    Status.PENDING,
    Status.INVALID,
    Status.DUPLICATE,
    Status.HELD,
    Status.SKIPPED,
    Status.READY,
)


@dataclass(slots=True)
class LineStats:
    """What the Summary, the run's summary and the report's columns count of the lines,
    counted in one pass (``line_stats``), so that no stage holds every line to count it.

    ``keyed``: the lines with a key (a key type or a key); ``attention``: the positions of
    the lines whose status needs attention (``Status.needs_attention``), in order.
    """

    lines: int = 0
    counts: Counter[Status] = field(default_factory=Counter)
    keyed: Counter[Status] = field(default_factory=Counter)
    keys: int = 0
    records_found: int = 0  # summed over the keyed lines (check)
    has_records_found: bool = False  # a line's outcome has records_found (any line)
    has_sheet: bool = False
    ledger: set[str] = field(default_factory=set)  # the ledger columns a line uses
    verified: int = 0  # successes verified by lookup (records_after 0)
    verified_records: int = 0
    reappeared: int = 0  # every line
    reappeared_keyed: int = 0
    stops: Counter[str] = field(default_factory=Counter)  # keyed lines
    stop_failed: int = 0  # every line
    still: int = 0  # keyed lines still present after anonymizing
    earlier: int = 0  # lines citing an earlier erasure
    v6_field_refused: bool = False
    attention: array[int] = field(default_factory=lambda: array("q"))

    def add(self, i: int, rl: ReportLine) -> None:
        """Count line ``i`` (its position)."""
        line, o = rl.line, rl.outcome
        status, code = o.status, o.code
        self.lines += 1
        self.counts[status] += 1
        if status.needs_attention:
            self.attention.append(i)
        if o.records_found is not None:
            self.has_records_found = True
        if line.sheet:
            self.has_sheet = True
        if o.previously_erased:
            self.earlier += 1
            self.ledger.add("previously_erased")
        if o.stop_list:
            self.ledger.add("stop_list")
            if o.stop_list == STOP_FAILED:
                self.stop_failed += 1
        if code is not None:
            if code is Reason.REAPPEARED:
                self.reappeared += 1
            elif code is Reason.V6_FIELD_REFUSED:
                self.v6_field_refused = True
        if line.key_type is None and not line.key:
            return
        self.keys += 1
        self.keyed[status] += 1
        self.records_found += o.records_found or 0
        if status is Status.SUCCESS and o.records_after == 0:
            self.verified += 1
            self.verified_records += o.records_before or 0
        if code is Reason.REAPPEARED:
            self.reappeared_keyed += 1
        elif code is Reason.STILL_PRESENT:
            self.still += 1
        if o.stop_list:
            self.stops[o.stop_list] += 1


def line_stats(lines: Iterable[ReportLine]) -> LineStats:
    """``LineStats`` of ``lines``, in one pass."""
    stats = LineStats()
    add = stats.add
    for i, rl in enumerate(lines):
        add(i, rl)
    return stats


def headline(lines: Sequence[ReportLine] | LineStats, facts: RunFacts) -> str:
    """One sentence: what happened to the keys' records, and what needs someone.

    For example: "61 of 66 keys anonymized and verified (142 records); 4 not
    held by CustomerGauge; 1 still present: see Needs attention."
    """
    s = lines if isinstance(lines, LineStats) else line_stats(lines)
    count = s.keyed
    keys = s.keys
    no_key = s.lines - keys
    if facts.mode.dry:
        text = f"Dry run, nothing sent: {_n(count[Status.READY])} of {_n(keys)} keys would be sent"
        parts = [text]
        shown: set[Status] = {Status.READY}
    elif facts.mode.looks_only:
        parts = [
            f"Lookup only, nothing changed: {_n(count[Status.READY])} of {_n(keys)} keys have "
            f"records ({_n(s.records_found)} records would be anonymized)"
        ]
        shown = {Status.READY}
    else:
        parts = [_anonymized(s)]
        shown = {Status.SUCCESS}
    if count[Status.NOT_FOUND]:
        parts.append(f"{_n(count[Status.NOT_FOUND])} not held by CustomerGauge")
        shown.add(Status.NOT_FOUND)
    back = s.reappeared_keyed
    if back:
        parts.append(
            f"{_n(back)} re-appeared after an earlier erasure and anonymized again "
            "(error_code reappeared): check the import that brought them back"
        )
    stops = s.stops
    if stops[STOP_ADDED]:
        parts.append(f"{_n(stops[STOP_ADDED])} added to the vendor's stop list")
    still = s.still
    rest = []
    if stops[STOP_FAILED]:
        rest.append(f"{_n(stops[STOP_FAILED])} not added to the stop list")
    if still:
        rest.append(f"{_n(still)} still present")
    failed = count[Status.FAILED] - still
    for st in _HEADLINE_ORDER:
        n = failed if st is Status.FAILED else count[st]
        if n and st not in shown:
            rest.append(f"{_n(n)} {st.value}")
    if no_key:
        rest.append(
            f"{_n(no_key)} {'row' if no_key == 1 else 'rows'} without an email or telephone"
        )
    text = "; ".join(parts)
    if rest:
        attention = no_key or any(count[st] for st in Status if st.needs_attention)
        where = "Needs attention" if attention else "Rows"
        text += "; " + ", ".join(rest) + f": see {where}"
    if facts.halted:
        text = f"Run halted: {facts.halted}. {text}"
    return text + "."


def reappeared(lines: Sequence[ReportLine]) -> int:
    """How many keys an earlier run erased and CustomerGauge held again (anonymized again)."""
    return sum(1 for rl in lines if rl.outcome.code is Reason.REAPPEARED)


def _anonymized(s: LineStats) -> str:
    """ "N of M keys anonymized and verified (R records)", or what is true of fewer."""
    success, keys, verified = s.keyed[Status.SUCCESS], s.keys, s.verified
    text = f"{_n(success)} of {_n(keys)} keys anonymized"
    if success and verified == success:
        return text + f" and verified ({_n(s.verified_records)} records)"
    if verified:
        return text + f", {_n(verified)} of them verified ({_n(s.verified_records)} records)"
    if success:
        return text + " (the vendor's answers, not verified)"
    return text


def fact_items(facts: RunFacts) -> list[tuple[str, str | int, str]]:
    """(label, value, field name) for every RunFacts field, settings as ``setting.<name>``."""
    items: list[tuple[str, str | int, str]] = []
    for f in fields(RunFacts):
        if f.name == "settings":
            continue
        value = getattr(facts, f.name)
        items.append((FACT_LABELS.get(f.name, f.name), value, f.name))
        if f.name == "ended_at":
            items.append(("Duration", _duration(facts.started_at, facts.ended_at), ""))
    items += [(f"Setting: {k}", v, f"setting.{k}") for k, v in facts.settings]
    return items


def _duration(start: str, end: str) -> str:
    a, b = parse_iso(start), parse_iso(end)
    if a is None or b is None or b < a:
        return ""
    secs = int((b - a).total_seconds())
    h, rem = divmod(secs, 3600)
    return f"{h}h {rem // 60:02d}m {rem % 60:02d}s" if h else f"{rem // 60}m {rem % 60:02d}s"


def summary_content(
    lines: Sequence[ReportLine] | LineStats,
    facts: RunFacts,
    title: str,
    notes: Sequence[str],
    requests: Sequence[Request] | RequestTally | None = None,
) -> SummaryContent:
    """What the Summary sheet says for these lines (or their ``LineStats``) and facts (and
    requests, or their ``RequestTally``, first, if given)."""
    stats = lines if isinstance(lines, LineStats) else line_stats(lines)
    counts = stats.counts
    warning: tuple[str, ...] = ()
    if facts.accepted_changed_evidence:
        warning = (
            "This run went on from an earlier run's files that differ from their manifest "
            f"(--accept-changed-evidence): {facts.accepted_changed_evidence}.",
        )
    if facts.test_run:
        warning += (
            f"TEST RUN: the requests went to {facts.endpoint_host}, not to CustomerGauge's "
            "production API: nothing here is an erasure of real data, and the run is kept "
            "out of the real erasure ledger.",
        )
    earlier = stats.earlier
    if earlier:
        notes = (
            *notes,
            f"{_n(earlier)} key(s) had been erased by an earlier run (column previously_erased, "
            f"from the erasure ledger); {_n(stats.reappeared)} of them re-appeared in "
            "CustomerGauge and were anonymized again (error_code reappeared): find the import "
            "that brought them back, and screen future uploads with `batch-anonymizer screen`.",
        )
    said, keys = headline(stats, facts), ""
    about_requests: tuple[str, ...] = ()
    if requests is not None:  # the requests first, the keys on the line under them
        said, keys = requests_headline(requests, facts), said
        about_requests = (deadline_note(facts),)
    attention = (
        "failed, invalid, pending and held ones"
        if requests is None
        else "failed, invalid, pending and held ones and those of requests whose deadline "
        "needs a look (deadline_code late_extension, extension_before_receipt, "
        "unclear_extension, future_date), those of overdue requests first"
    )
    return SummaryContent(
        title=title,
        headline=said,
        subline=keys,
        tables=request_tables(requests) if requests is not None else (),
        notes=(
            *warning,
            *notes,
            *gate_notes(facts),
            *about_requests,
            f"Rows lists every line of the input in order; Needs attention lists only the "
            f"{attention}.",
            "All times are UTC (finished_at, started, ended).",
        ),
        counts=tuple((s.value, counts[s], STATUS_MEANINGS[s]) for s in STATUS_MEANINGS),
        facts=tuple(fact_items(facts)),
    )


def facts_from_dict(d: dict[str, str]) -> RunFacts:
    """RunFacts back from ``ReadReport.facts`` (missing fields empty)."""
    g = d.get
    size = g("input_size", "")
    return RunFacts(
        run_id=g("run_id", ""),
        mode=Mode.of(g("mode", "")),
        tool_version=g("tool_version", ""),
        started_at=g("started_at", ""),
        ended_at=g("ended_at", ""),
        input_name=g("input_name", ""),
        input_size=int(size) if size.isdigit() else 0,
        input_sha256=g("input_sha256", ""),
        endpoint_host=g("endpoint_host", ""),
        region=g("region", ""),
        api_version=g("api_version", ""),
        operator=g("operator", ""),
        host_name=g("host_name", ""),
        previous_run_id=g("previous_run_id", ""),
        halted=g("halted", ""),
        journal_name=g("journal_name", ""),
        accepted_changed_evidence=g("accepted_changed_evidence", ""),
        settings=tuple((k[8:], v) for k, v in d.items() if k.startswith("setting.")),
    )
