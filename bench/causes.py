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
    "the tool spends more client CPU per key than the write-ahead loop (1.58x at the last "
    "profile, 2026-12-08): the ledger's batched entries, the pool's outcome records, the "
    "journal's `done` records and the report's spool are work the loop does not do. Where "
    "the sandbox and the client share two cores, CPU per key sets the rate, so the same-run "
    "ratio swings with the VM's load: 0.60-1.19 over six pairs (median 0.96) that day."
)

_REQUESTS = (
    "a `requests.Session` loop is one connection waiting on each answer: here it ran "
    "470-1,120 POST/s from run to run (it swings with the VM's load), while every client "
    "that fsyncs before each POST is CPU- or fsync-bound at 1,600-2,500 POST/s: the "
    "write-ahead loop itself reached only 2.2-3.5x the requests loop in the same runs, so "
    "≥ 5x needs a quieter machine, not a change of the tool."
)

_FIRST = (
    "the wait is the tool's CPU before the first request, ~9 s at 1M rows on a quiet VM "
    "(py-spy, 2026-12-08): reading the CSV into arrow columns ~2 s, the plan (factorize, "
    "fast-path kernels, the slow path's cells, the lines' arrays) ~4 s, the plan's journal "
    "record 2.6-3.6 s, the ledger look-up and the requests overview ~1 s. A VM a third "
    "slower than usual puts it past 12 s; the CPU seconds are in NOTES.md."
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
        "reading is calamine's in both (~0.6 CPU-s of pandas' 1.1-1.3); the tool adds the "
        "sheet's extent check before calamine builds anything (~0.15 s), the framer (~0.15 s) "
        "and the plan of 200,000 lines (~0.5 s: the fast-path kernels ~0.2 with the column's "
        "telephone verdicts, email-validator for the 2% of addresses it must judge ~0.1, "
        "factorize, dedupe and the lines' arrays ~0.2), which pandas does not do. CPU seconds "
        "of two processes on this shared VM: single pairs moved between 0.9x and 1.45x.",
    ),
    (
        "peak RSS",
        "the plan's columns at their peak: 2M distinct keys with their normalised and written "
        "forms, the factorize tables and the fast paths' arrow buffers (~600 MB over the 157 "
        "MB the imports take, 2026-12-08); the whole run's later peak is the report's spool "
        "and the outcomes (NOTES.md, issue 28).",
    ),
    (
        "report ÷ xlsxwriter",
        "the report is written as it is made (issue 28: a million-line report in bounded "
        "memory): its lines are made from the plan's columns 8,192 at a time and the csv twin "
        "is spooled beside the sheet, ~25% more CPU in the report stage than the report held "
        "whole, which was 0.92-0.98x; xlsxwriter's own cell calls and XML are still most of "
        "`write_report` (cProfile at 20,000 lines: the tool's loop, escaping and spool ~2.8 "
        "of 10 s).",
    ),
    (
        "most starts in any 1-s window",
        "the figure counts arrivals at the sandbox, which shares the 2 cores with the run: a "
        "client that starts exactly 50 GETs a second (`asyncio.sleep` to each start) measured "
        "51 and 52 there. The tool's own 53-54 of 2026-12-08 (full run at 23389ab) were its "
        "anonymize requests counted before their write-ahead fsync, which on this VM's disk "
        "sometimes took 74-120 ms: the requests left together with those counted meanwhile "
        "(58 and 68 in one second where they were sent). Fixed the same day "
        "(`RateLimiter.started`): 50 at most where sent, 51 at the sandbox, in five traced "
        "runs; the bench's own row still saw 53 once after it: three lookups within 1 ms "
        "after a 62 ms silence (lookups have nothing to wait for between their slot and "
        "aiohttp), the shape of the even client's 51-52, not yet told apart from it.",
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
