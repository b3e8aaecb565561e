"""The erasure ledger in a run: open it, fill in what a resume carries, cite earlier erasures.

``execute`` calls these before anything is sent: ``open_for_run`` opens the
ledger and checks its secret (a wrong one is refused, exit 2, nothing sent),
``fill_carried`` records what the earlier run of a resume or retry finished
(its journal is the truth; recording is idempotent), ``cite_earlier`` gives
each key to send the earlier erasure the ledger holds for it. During the run
``Entries`` turns each finished key into its ``LedgerEntry`` for the
``state.feed.LedgerFeed``. A dry run and ``check`` only read, and only a
ledger that exists.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..api.control import RunControl
from ..api.pool import ReadyJobs, Recorder, owing_stop_list
from ..core.codes import Reason
from ..core.errors import LedgerError
from ..core.identity import digits, holds_key, mask, phone_tail, vendor_identity
from ..core.job import Job
from ..core.lines import KEY_TYPES, Lines
from ..core.records import Line, Outcome
from ..input.headers import REQUEST_ID_HEADERS, find_by_header
from ..state import messages as state_messages
from ..state.feed import LedgerFeed
from ..state.journal import JournalWriter
from ..state.ledger import Ledger, LedgerEntry
from ..state.secret import (
    SANDBOX_LEDGER_NAME,
    SANDBOX_SECRET,
    default_ledger,
    find_secret,
    missing_secret,
)
from .options import RunOptions
from .prepare import Prepared


def ledger_path(opts: RunOptions, report_dir: Path) -> Path | None:
    """The ledger file this run uses (None: no ledger).

    The built-in sandbox's runs and test runs (``RunOptions.rehearsal``) keep a
    sandbox ledger beside the report unless one is named; others the default ledger.
    """
    if opts.ledger is None:
        return None
    if opts.ledger.path is not None:
        return opts.ledger.path
    return report_dir / SANDBOX_LEDGER_NAME if sandbox_kind(opts) else default_ledger()


def sandbox_kind(opts: RunOptions) -> bool:
    """Whether the run's ledger holds fictional people: the built-in sandbox, a test run."""
    return opts.endpoint is None or opts.rehearsal


def open_for_run(opts: RunOptions, report_dir: Path) -> tuple[Ledger | None, Path | None]:
    """The run's ledger, bound to its secret (and the secret file created for it, if any).

    None without a ledger, or when only reading and there is none yet. Raises
    ``LedgerError`` (exit 2, nothing sent) when it cannot be opened, was made
    with another secret, or mixes sandbox and real erasures.
    """
    target, path = opts.ledger, ledger_path(opts, report_dir)
    if target is None or path is None:
        return None, None
    writes = opts.sends
    if not writes and not path.exists():
        return None, None  # a dry run or check writes nothing, not even a new ledger
    sandbox = sandbox_kind(opts)  # the built-in sandbox or a test server: not real erasures
    created, source = None, ""
    if sandbox:
        secret = SANDBOX_SECRET
    elif target.secret is not None:
        secret = target.secret
    else:
        found = find_secret(target.secret_file, create=False)
        if found is None:
            if not writes:
                return None, None  # reading only, and no secret yet: nothing was recorded
            _refuse_a_new_secret(path, target.busy_timeout)
            found = find_secret(target.secret_file, create=True)
            assert found is not None
        secret, source = found.value, found.source
        created = Path(found.source) if found.created else None
    ledger = Ledger(
        path,
        create=writes,
        sandbox=sandbox,
        busy_timeout=target.busy_timeout,
        readonly=not writes,  # a dry run or check only reads: it never changes the file
    )
    try:
        if ledger.sandbox != sandbox:
            raise LedgerError(
                f"the ledger {path} records "
                + (
                    "test runs (the built-in sandbox, a test server): a real run "
                    "never records into it"
                    if ledger.sandbox
                    else "real erasures: a test run (the built-in sandbox, a test server) never "
                    "records into it"
                )
                + "; give another with --ledger PATH, or --no-ledger; nothing was sent"
            )
        ledger.bind(secret, source=source, write=writes)
    except BaseException:
        ledger.close()
        raise
    return ledger, created


def _refuse_a_new_secret(path: Path, busy_timeout: float) -> None:
    """Before a secret is created: refuse when the ledger was made with one (now missing).

    A new secret would make every earlier entry unreadable ("made with another
    secret"); the person is told where it was and how to put it back instead.
    """
    if not path.exists():
        return
    ledger = Ledger(path, create=False, busy_timeout=busy_timeout, readonly=True)
    try:
        theirs = ledger.meta("secret_fingerprint")
        if theirs and not ledger.sandbox:
            missing = missing_secret(path, theirs, ledger.meta("secret_source"))
            raise LedgerError(f"{missing}; nothing was sent")
    finally:
        ledger.close()


@contextlib.contextmanager
def kept_for_run(prep: Prepared, opts: RunOptions, report_dir: Path) -> Iterator[Kept]:
    """The ledger side of a run, open for the block (``keep``), then closed."""
    ledger, created = open_for_run(opts, report_dir)
    try:
        kept = keep(ledger, prep, opts)
        kept.secret_created = created
        yield kept
    finally:
        if ledger is not None:
            ledger.close()


class Entries:
    """Each finished key of a run as its ``LedgerEntry`` (never the key itself)."""

    def __init__(self, ledger: Ledger, prep: Prepared) -> None:
        self.ledger = ledger
        lines = prep.lines
        # a plan's lines are numbered by position: taken when a key finishes, not held as records
        self.lines: Mapping[int, Line] | _ByPosition = (
            _ByPosition(lines) if isinstance(lines, Lines) else {line.index: line for line in lines}
        )
        self.input_sha256 = prep.input_sha256
        # the run's own request column (--request-column, or found by header); a retry's
        # comes from the earlier run's facts
        column = prep.rules.request_column
        if column is None or column not in prep.input_columns:
            column = find_by_header(prep.input_columns, REQUEST_ID_HEADERS)
        self.request_at = prep.input_columns.index(column) if column is not None else None

    def __call__(
        self, index: int, outcome: Outcome, line: Line | None = None
    ) -> LedgerEntry | None:
        """The entry for a finished key (``line``: its line, when the caller holds it: not
        made again from the plan's columns); None for a line the ledger does not hold."""
        line = line or self.lines.get(index)
        if line is None or line.key_type is None or not outcome.status.settled:
            return None
        return LedgerEntry(
            key_hmac=self.ledger.hmac_of(line),
            key_type=line.key_type.value,
            key_hint=mask(line.key),
            outcome=outcome.status.value,
            code=outcome.code.value if outcome.code else "",
            records_before=outcome.records_before,
            records_after=outcome.records_after,
            finished_at=outcome.finished_at,
            run_id=outcome.run_id,
            input_sha256=self.input_sha256,
            request_id=self._request_id(line),
            stop_list=outcome.stop_list,
        )

    def _request_id(self, line: Line) -> str:
        """The row's request id; only its keyed hash (``Ledger.withheld``) when it holds the
        row's key, or any email or telephone (some trackers use the person's address, or
        another person's, as the ticket id): the ledger never holds a key in plain text."""
        if self.request_at is None or self.request_at >= len(line.cells):
            return ""
        value = line.cells[self.request_at].strip()
        if not value:
            return ""
        # a telephone's last 9 digits: found in a national or international writing alike
        tail = phone_tail(line.key)
        if holds_key(value) or (tail and tail in digits(value)):
            return self.ledger.withheld(value)
        return value[:200]


class _ByPosition:
    """A plan's ``Lines`` looked up by index (``Line.index`` is its position)."""

    def __init__(self, lines: Lines) -> None:
        self._lines = lines

    def get(self, index: int) -> Line | None:
        return self._lines[index] if 0 <= index < len(self._lines) else None


def fill_carried(ledger: Ledger, prep: Prepared, entries: Entries) -> int:
    """Record what the run before (resume, retry) finished; return how many were missing."""
    found = (entries(i, o) for i, o in prep.carried.items())
    return ledger.record([e for e in found if e is not None])


def chain(prep: Prepared) -> set[str]:
    """The run ids this run continues: their entries are this request's own, not earlier ones."""
    runs = {o.run_id for o in prep.carried.values() if o.run_id}
    runs |= {j.stop_list_only.run_id for j in owing_stop_list(prep.jobs) if j.stop_list_only}
    if prep.previous is not None and prep.previous.run_id:
        runs.add(prep.previous.run_id)
    return runs


def cite_earlier(ledger: Ledger, prep: Prepared) -> Sequence[Job]:
    """``prep.jobs``, each with the earlier erasure the ledger holds for its key (if any)."""
    jobs = prep.jobs
    if isinstance(jobs, ReadyJobs):  # a plan's lines: one keyed hash per distinct key, no Job
        return jobs.citing(_earlier_of_keys(ledger, jobs, chain(prep)))
    hmacs = [ledger.hmac_of(j.line) if j.line.key_type else "" for j in prep.jobs]
    earlier = ledger.settled((h for h in hmacs if h), besides=chain(prep))
    if not earlier:
        return prep.jobs
    return [
        replace(job, prior_erasure=earlier[h].cited()) if h in earlier else job
        for job, h in zip(prep.jobs, hmacs, strict=True)
    ]


def _earlier_of_keys(ledger: Ledger, jobs: ReadyJobs, besides: set[str]) -> dict[int, str]:
    """Line index -> the earlier erasure the ledger holds for its key, over the key column:
    each distinct key of the ready lines hashed once, looked up a batch at a time."""
    settled = ledger.settled_count()
    if not settled:
        return {}  # a new ledger, or one without erasures: no key needs its hash now
    lines = jobs.lines
    entry_at = lines.entry_of[jobs.at]
    keyed = entry_at >= 0
    distinct = np.unique(entry_at[keyed]).tolist()
    # A batch's look-up reads every settled entry when they are fewer than its keys (else
    # it joins them to its keys, much slower per key): a batch holds many times more keys
    # than the ledger's settled entries, so a large ledger is looked up at once, as it was.
    # Batches of equal size: the last one is not left with fewer keys than the entries.
    parts = -(-len(distinct) // max(_LOOKUP_BATCH, _KEYS_PER_ENTRY * settled))
    batch = max(1, -(-len(distinct) // max(1, parts)))
    cited_of: dict[int, str] = {}
    for start in range(0, len(distinct), batch):
        cited_of.update(_earlier_of(ledger, lines, distinct[start : start + batch], besides))
    if not cited_of:
        return {}
    return {
        int(i): cited_of[k]
        for i, k in zip(jobs.at[keyed].tolist(), entry_at[keyed].tolist(), strict=True)
        if k in cited_of
    }


# Distinct keys hashed and looked up at a time: a million keys' hashes, identities and
# look-up sets held at once were ~350 MB, a resume's peak before its first request.
_LOOKUP_BATCH = 1 << 17
_KEYS_PER_ENTRY = 8  # at least this many keys a batch per settled entry of the ledger


def _earlier_of(ledger: Ledger, lines: Lines, keys: list[int], besides: set[str]) -> dict[int, str]:
    """Key entry -> the earlier erasure the ledger holds for it, of the entries ``keys``."""
    e = lines.entries
    types = [KEY_TYPES[t] for t in e.key_type[keys].tolist()]
    pairs = zip(types, keys, strict=True)
    identities = [(kt, vendor_identity(kt, e.key[k], e.norm[k])) for kt, k in pairs]
    # each identity hashed once: a telephone is often written in several ways
    unique = list(dict.fromkeys(identities))
    hash_of = dict(zip(unique, ledger.hmacs(unique), strict=True))
    hmacs = [hash_of[i] for i in identities]
    earlier = ledger.settled(hmacs, besides=besides)
    return {k: earlier[h].cited() for k, h in zip(keys, hmacs, strict=True) if h in earlier}


@dataclass
class Kept:
    """The ledger side of a run: the jobs with their earlier erasures, and the recording."""

    jobs: Sequence[Job]
    ledger: Ledger | None = None
    entries: Entries | None = None
    feed: LedgerFeed | None = None
    filled: int = 0  # entries a resume recorded from the run before
    secret_created: Path | None = None

    @property
    def recorded(self) -> int:
        """Entries this run added to the ledger (with those a resume filled in)."""
        return self.filled + (self.feed.recorded if self.feed is not None else 0)

    def recorder(self, journal: JournalWriter, control: RunControl) -> Recorder:
        """The journal, or (when this run records into a ledger) the journal feeding it."""
        if self.ledger is None or self.entries is None:
            return journal

        def failed(error: LedgerError) -> None:
            control.stop(
                state_messages.HALT_LEDGER.format(error=error.message), code=Reason.HALTED_LEDGER
            )

        self.feed = LedgerFeed(journal, self.ledger, self.entries, failed)
        self.feed.start()
        return self.feed

    def settings(self) -> tuple[tuple[str, str], ...]:
        """What the run facts say of the ledger."""
        if self.ledger is None:
            return (("ledger", "none"),)
        return (
            ("ledger", str(self.ledger.path)),
            ("ledger_secret_fingerprint", self.ledger.meta("secret_fingerprint")),
        )


def keep(ledger: Ledger | None, prep: Prepared, opts: RunOptions) -> Kept:
    """Before sending: fill in what a resume carries, and cite earlier erasures."""
    if ledger is None:
        return Kept(prep.jobs)
    entries = Entries(ledger, prep)
    filled = 0
    if opts.sends:
        filled = fill_carried(ledger, prep, entries)  # a locked ledger is refused: nothing sent
    jobs = cite_earlier(ledger, prep)
    return Kept(jobs, ledger, entries if opts.sends else None, filled=filled)


def with_prior(outcome: Outcome, earlier: str) -> Outcome:
    """An outcome the pool never made (not sent, dry run) with its line's earlier erasure."""
    if not earlier or outcome.previously_erased:
        return outcome
    return replace(outcome, previously_erased=earlier)


def cited(jobs: Iterable[Job]) -> dict[int, str]:
    """Line index -> earlier erasure, for the jobs that have one."""
    if isinstance(jobs, ReadyJobs):
        return dict(jobs.earlier)
    return {j.line.index: j.prior_erasure for j in jobs if j.prior_erasure}
