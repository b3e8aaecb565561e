"""Why a target was missed, as measured on the 2-core dev VM (profiles: bench/NOTES.md).

``run.py`` prints a cause only beside a row whose target was missed in that run;
a row is matched by the first key that occurs in its "measurement" text.
"""

from __future__ import annotations

_SEND = (
    "the client's CPU per key sets the rate when the sandbox takes one of the two cores: the "
    "tool spends 1.7-3x the raw loop's CPU per key (rows above; varies by run). py-spy of "
    "the send phase: "
    "aiohttp `FormData` built per request (18 µs, with a uuid4 multipart boundary) instead of "
    "pre-encoded bytes, `dataclasses.asdict` in `journal.outcome_to_dict` (28 µs), `classify` "
    "(10 µs), two `json.dumps` per key, per-request header dicts, one executor hand-off per "
    "grouped fsync. A monkeypatched run with a pre-encoded body and fixed headers sent 17–30% "
    "faster. The raw loop itself meets the requests/xargs ratios, so those follow the same gap."
)

CAUSES: list[tuple[str, str]] = [
    ("tool ÷ raw aiohttp", _SEND),
    ("tool ÷ `requests", _SEND),
    ("tool ÷ `xargs", _SEND),
    (
        "achieved",
        "`RateLimiter.acquire` restarts the schedule from `now` when a wake-up is later than "
        "one interval (2 ms at 500/s), so every event-loop stall loses slots for good; seen "
        "under CPU contention (a 3-s run at 397/s, arrivals per 100 ms swinging 14–70) while "
        "the 1-s window cap still held. Fix in ratelimit.py: allow a bounded catch-up "
        "(`base = max(tat, now - 0.05)`); the sliding-window log stays the hard bound.",
    ),
    (
        "`make_plan(load_table())`",
        "every distinct key goes through the libraries: email-validator ~40 µs and phonenumbers "
        "(parse + is_possible + is_valid + format) ~54 µs per key here, ~180 µs per 2-key row "
        "with the loop; pyinstrument: validate_email 37%, is_valid_number 26%, parse 19%, the "
        "csv loader 2%. Needs the vectorised fast path of the issue (keys.py), see NOTES.md.",
    ),
    (
        "report ÷ xlsxwriter",
        "openpyxl write-only mode: `WriteOnlyWorksheet.append` (per-cell XML through "
        "et_xmlfile) is 83% of `write_report` (pyinstrument). Fix: write the workbook with "
        "xlsxwriter constant_memory (freeze panes, autofilter, formats, charts, dates and "
        "quote_prefix all exist there), keep openpyxl for reading.",
    ),
    (
        "resume ready",
        "`read_journal` json-decodes every line, and the ~415k `line` records carry every input "
        "cell: stdlib json alone is ~6 s for 1M lines here, then Line/Outcome are rebuilt. "
        "Prototypes: orjson + skipping cells 3.5 s; parsing only send/done with orjson 2.1 s. "
        "Fix (journal/resume): when the input hash matches, take lines from the fresh plan and "
        "parse only send/done records; write done records without default fields.",
    ),
]


def cause_for(what: str) -> str:
    """The measured cause for a missed target named ``what`` ("" when none is known)."""
    return next((text for key, text in CAUSES if key in what), "")
