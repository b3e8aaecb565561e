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

CAUSES: list[tuple[str, str]] = [
    ("tool ÷ raw aiohttp", _SEND),
    ("tool ÷ `requests", _SEND),
    ("tool ÷ `xargs", _SEND),
    (
        "achieved",
        "an event-loop stall longer than the 50 ms catch-up (`ratelimit.CATCH_UP`) loses its "
        "slots: seen only while other processes load this 2-core VM; the sliding-window log "
        "still bounds every 1-second window.",
    ),
    (
        "`make_plan(load_table())`",
        "after the fast paths (98% of emails and 99.99% of telephone strings get the libraries' "
        "exact verdict without calling them) the time is Python objects: py-spy of 1M rows: "
        "the row loop ~14 s (of which building 2M frozen `Line` records 6.7 s at 1.6-2.9 µs "
        "each), email checks 6.9 s, telephone checks 8.2 s, `load_table` ~4 s (1M `SourceRow` "
        "1.3 s). Reaching 10 s needs a columnar plan (no per-line objects before sending), "
        "a change of the records every stage shares; see NOTES.md.",
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
