"""Why a target was missed, as measured on the 2-core dev VM (profiles: bench/NOTES.md).

``run.py`` prints a cause only beside a row whose target was missed in that run;
a row is matched by the first key that occurs in its "measurement" text.
"""

from __future__ import annotations

_SEND = (
    "the client's CPU per key sets the rate when the sandbox takes the other core, and the "
    "tool pays for its audit guarantees there. Measured with the runner against the same "
    "sandbox (5,000 keys, 32 workers, alternating runs): `HttpSender` alone 307-322 µs per "
    "key, the raw loop 317-320; the runner without the write-ahead wait 370-395; the full "
    "runner 460-540. So ~60 µs is the runner's own work (was 120 before the second round) "
    "and ~100 µs is the fsync of each `send` record before its POST (kernel time charged "
    "to the process; done inline instead of in a thread it costs the same). Without that "
    "fsync a power cut could hide a sent key, and a resume would resend it without saying "
    "so; it stays. The raw loop meets the requests/xargs ratios, so those follow the same gap."
)

_FAIR = (
    "the tool spends ~190 µs more client CPU per key than the write-ahead loop (378-415 "
    "against 194-214 µs), in many pieces: the erasure ledger is the largest, 16-27% of the "
    "send rate (scratch runs alternated with `--no-ledger`: 2,019/2,462, 1,818/2,234, "
    "1,653/1,882, 3,275/4,173 POST/s); py-spy (200 Hz) of the sending phase puts aiohttp's "
    "request path and the socket ~60% of the event loop's samples (the loop pays them "
    "too), the ledger ~7%, the pool and its outcome records ~6%, the journal's grouped "
    "fsync ~5%, the rate limiter and redaction ~1% each. Same-run ratios on this shared "
    "2-core VM: 0.59-1.26, about 0.7x at the median."
)

_REQUESTS = (
    "a `requests.Session` loop is one connection waiting on each answer: here it ran "
    "470-1,120 POST/s from run to run (it swings with the VM's load), while every client "
    "that fsyncs before each POST is CPU- or fsync-bound at 1,600-2,500 POST/s: the "
    "write-ahead loop itself reached only 2.2-3.5x the requests loop in the same runs, so "
    "≥ 5x needs a quieter machine, not a change of the tool."
)

_FIRST = (
    "loading and planning are no longer most of the wait (was 111 s before the columnar "
    "plan, the overview from rows and `JournalWriter.line`): py-spy (100 Hz) of a "
    "1,000,000-row run on this VM, 39 s to the first request: the journal's run record and "
    "2M `line` records 16 s (`lines_digest` 6 s, each line made and encoded 9 s, the fsync "
    "1.3 s), `make_plan` 6 s and `load_table` 1.8 s, a `Job` per ready line 4.7 s, the "
    "ledger's look-up of the 1.1M planned keys 3.7 s (a keyed hash each), the requests "
    "overview 3.7 s. 12 s needs the journal's plan written as one block instead of a record "
    "per line, jobs made as the pool takes them, and the ledger look-up batched: each is "
    "on the crash-safety path (NOTES.md)."
)

CAUSES: list[tuple[str, str]] = [
    ("write-ahead fsync (best", _FAIR),
    ("tool ÷ raw aiohttp", _SEND),
    ("tool ÷ `requests", _REQUESTS),
    ("start → first request", _FIRST),
    ("tool ÷ `xargs", _SEND),
    (
        "achieved",
        "an event-loop stall longer than the 50 ms catch-up (`ratelimit.CATCH_UP`) loses its "
        "slots: seen only while other processes load this 2-core VM; the sliding-window log "
        "still bounds every 1-second window.",
    ),
    (
        "`make_plan(load_table())`",
        "the columnar plan leaves the Python work that is per distinct cell: py-spy of 1M "
        "rows: `load_table` ~2 s (the file split into 6M cell strings, 1M `SourceRow`), "
        "`pandas.factorize` of each key column ~0.4 s, the fast-path kernels ~0.5 s, the "
        "cells they leave to the libraries ~1 s, the distinct keys' columns ~1 s, the "
        "lines' arrays and dedupe ~0.5 s; on this shared VM the whole moves by ±30%.",
    ),
    (
        "tool ÷ pandas.read_excel",
        "reading is calamine's in both, and the tool's read (its workbook checks before calamine "
        "builds anything, then the grid as text) took 0.9-1.2 s against pandas' 1.2-1.3 s in "
        "probes on this VM; what it adds is the plan of 200,000 lines, 0.7-0.8 s at 100k rows "
        "(the per-column factorize, the fast-path kernels and the slow path's 5% of cells, each "
        "with a fixed cost that 1M rows spread thinner). On this shared VM the ratio moved "
        "between 1.0x and 1.7x from run to run.",
    ),
    (
        "peak RSS (CSV)",
        "the input table is Python objects: 1M rows of 6 cells are 6M `str` with their tuples "
        "and `SourceRow`s, ~580 MB over the 157 MB the imports take (the file's text and its "
        "grid are no longer held beside them: the table's peak fell from 1,007 to 751 MB), "
        "and the plan's columns of 2M distinct keys ~250 MB settled, ~600 MB at their peak "
        "(key, normalised and written forms, 1M lower-cased emails, the factorize tables). "
        "Under 1 GB needs the cells kept in arrow until a line is made: a change of "
        "`InputTable`, which every stage reads (NOTES.md).",
    ),
    (
        "report ÷ xlsxwriter",
        "xlsxwriter's own cell calls and XML are 79% of `write_report`; the loop 6%, the csv "
        "twin 6%, zip 5% (pyinstrument).",
    ),
    (
        "resume ready",
        "with the plan digest, bulk regex reading and the collector paused, what is left is "
        "linear in the journal: the digest of the fresh plan (0.5-0.8 s for 415k lines), one "
        "regex pass each for `send` and `done` records (~0.4 s each), decoding 167 MB "
        "(0.15 s), carry_over ~0.3 s; on a busy VM that adds up to more than 3 s.",
    ),
]


def cause_for(what: str) -> str:
    """The measured cause for a missed target named ``what`` ("" when none is known)."""
    return next((text for key, text in CAUSES if key in what), "")
