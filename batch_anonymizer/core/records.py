"""Typed records that flow between the stages.

input -> ``InputTable`` and ``Plan`` of ``Line``; api -> ``Outcome``;
report -> rows of ``Line`` + ``Outcome``. Records are frozen: a stage makes new
records, it never edits the ones it was given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .codes import Reason


class Status(StrEnum):
    """Status of one report line. Values are part of the report's contract."""

    SUCCESS = "success"  # the records were anonymized: none is left (verified by lookup)
    NOT_FOUND = "not_found"  # CustomerGauge holds no record for the key: nothing sent
    FAILED = "failed"  # the API refused, or every attempt failed
    INVALID = "invalid"  # the row holds no usable key; nothing sent
    DUPLICATE = "duplicate"  # same key as an earlier row; sent once, there
    SKIPPED = "skipped"  # excluded by a --where filter, or not an erasure request; nothing sent
    # not to be erased yet (identity unverified, a hold): nothing sent, not settled, so a
    # later run sends it once the row is cleared
    HELD = "held"
    PENDING = "pending"  # not finished: halted or interrupted before an answer
    READY = "ready"  # dry run: would be sent

    # Each set of statuses is written once, here; callers ask these properties.

    @property
    def settled(self) -> bool:
        """The vendor gave this key a final answer (``success``, ``not_found``, ``failed``):
        resume never sends it again, and the ledger records it."""
        return self in _SETTLED

    @property
    def settles_request(self) -> bool:
        """An erasure request is answered for this key: it was erased (``success``), or
        CustomerGauge held nothing of it (``not_found``). The ledger's settled entries,
        which ``screen`` keeps out of the next upload."""
        return self in _SETTLES_REQUEST

    @property
    def needs_attention(self) -> bool:
        """Someone must look at this line (``failed``, ``pending``, ``invalid``, ``held``):
        the Needs attention sheet lists it, and the run's exit code says so."""
        return self in _NEEDS_ATTENTION

    @property
    def sends_key(self) -> bool:
        """The line sent its key, or would (``ready``): it speaks for that key in its
        request (a ``duplicate`` speaks through the line that sent it)."""
        return self in _SENDS_KEY

    @property
    def retried(self) -> bool:
        """``retry`` sends this key again (``failed``, ``pending``): the run ends with the
        command that does."""
        return self in _RETRIED

    @property
    def sendable(self) -> bool:
        """A planned line whose key a run sends: ``ready``, or a ``duplicate`` of a key an
        earlier line sends (``screen`` compares these with the ledger)."""
        return self in _SENDABLE


_SETTLED = frozenset({Status.SUCCESS, Status.NOT_FOUND, Status.FAILED})
_SETTLES_REQUEST = frozenset({Status.SUCCESS, Status.NOT_FOUND})
_NEEDS_ATTENTION = frozenset({Status.FAILED, Status.PENDING, Status.INVALID, Status.HELD})
_SENDS_KEY = _SETTLED | {Status.PENDING, Status.READY}
_SENDABLE = frozenset({Status.READY, Status.DUPLICATE})
_RETRIED = frozenset({Status.FAILED, Status.PENDING})


class Mode(StrEnum):
    """What a command does with the keys. Values are the run facts' ``mode``."""

    RUN = "run"
    DRY_RUN = "dry-run"
    RETRY = "retry"
    CHECK = "check"
    VALIDATE = "validate"

    @property
    def sends(self) -> bool:
        """Whether anonymize requests are sent (``run``, ``retry``)."""
        return self in (Mode.RUN, Mode.RETRY)

    @property
    def dry(self) -> bool:
        """Whether nothing at all is sent (a dry run, a validation)."""
        return self in (Mode.DRY_RUN, Mode.VALIDATE)

    @property
    def looks_only(self) -> bool:
        """Whether keys are only looked up, nothing changed (``check``)."""
        return self is Mode.CHECK

    @staticmethod
    def of(text: str) -> Mode:
        """The mode a report or journal records; ``run`` for one that records none."""
        try:
            return Mode(text)
        except ValueError:
            return Mode.RUN


class KeyType(StrEnum):
    """Which form field the key is sent as."""

    EMAIL = "email"
    TELEPHONE = "telephone"


class KeyForm(StrEnum):
    """In which form a key was sent and looked up (the report's ``key_form``)."""

    VENDOR = "vendor"  # the vendor's stored form (telephones: country code + digits)
    AS_WRITTEN = "as_written"  # as written in the sheet, trimmed
    E164 = "e164"  # a telephone with "+" and country code
    LOWERCASE = "lowercase"  # an email, lower-cased


class Phase(StrEnum):
    """When a lookup was made: before anonymizing, or after (the journal's ``look`` phase)."""

    BEFORE = "before"  # where the records are, and how many, before anything is sent
    AFTER = "after"  # what is left after an anonymize request (this run's or an earlier one's)


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row of the input, cells as text, aligned to ``InputTable.columns``."""

    sheet: str | None  # None for delimited text files
    number: int  # row number a person sees in a spreadsheet program (header is 1)
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class InputTable:
    """An input file read as text. With several sheets, columns are their union.

    The loader keeps ``rows`` as columns (``core.table.RowColumns``: a row is made
    when it is read); any sequence of ``SourceRow`` does (tests build tuples).
    """

    path: Path
    sha256: str
    size: int
    columns: tuple[str, ...]
    rows: Sequence[SourceRow]
    sheets: tuple[str, ...] = ()  # sheet names read (empty for delimited text)
    blank_rows: int = 0  # blank rows skipped (they still count for row numbers)
    # sheets of the workbook not read, with why ("hidden", "very hidden", and for
    # screen "no email or telephone column", "empty")
    skipped_sheets: tuple[tuple[str, str], ...] = ()
    active_sheet: str | None = None  # the sheet the workbook opens on, when known (.xlsx)


@dataclass(frozen=True, slots=True)
class Line:
    """One planned report line: a key to send, or a row that yields none.

    ``key`` is what will be sent (trimmed, unwrapped); ``norm`` is the
    normalised form used only to find duplicates. ``written`` is the key
    exactly as written in its cell piece (trimmed and unwrapped, before
    validation), ``source_column`` the first column of the row that holds it;
    both are ``""`` for a line without a key and for lines read from files
    written before they existed.
    """

    index: int
    sheet: str | None
    source_row: int
    key_type: KeyType | None
    key: str
    norm: str
    status: Status  # READY, INVALID, DUPLICATE, SKIPPED or HELD when planned
    code: Reason | None  # why the line is not ready (None when it is)
    message: str
    cells: tuple[str, ...]
    written: str = ""  # the key as written in its cell (trimmed, unwrapped), before checks
    source_column: str = ""  # the input column the key came from (the first, if several)


class ColumnRule(StrEnum):
    """Which rule chose a key column, or left a column out. Values are a contract."""

    NAMED = "named"  # named with --email-column / --phone-column
    HEADER = "header"  # the header's words name a key and nothing else
    CELLS = "cells"  # the header leaves a doubt: its cells decide
    IDENTIFIER = "identifier"  # an identifier column, used when its cells are emails
    DESCRIBES = "describes"  # the header describes a key (opt-in, type, date...), holds none
    OTHER_PERSON = "other_person"  # another person's key (owner, assistant, created by...)
    FAX = "fax"  # a fax number is not a telephone the vendor knows
    IGNORED = "ignored"  # left out with --ignore-column
    NOT_NAMED = "not_named"  # its key type's columns were named, and it was not
    # a column of a known input shape (Transcend's pull file): each line's type cell says
    # which key its identifier is; the shape's other identifier column is never sent
    TYPED = "typed"


@dataclass(frozen=True, slots=True)
class KeyColumn:
    """A column whose keys are sent: its key type, and why it was chosen (for people)."""

    name: str
    key_type: KeyType
    reason: str
    rule: ColumnRule


@dataclass(frozen=True, slots=True)
class RejectedColumn:
    """A column that names or may hold a key but is not used, and why (for people)."""

    name: str
    reason: str
    rule: ColumnRule


@dataclass(frozen=True, slots=True)
class Plan:
    """What the loader and validator made of the input.

    ``key_columns`` are the columns keys are taken from, email columns first
    (the order of a row's lines); ``email_column`` / ``phone_column`` are the
    first of each type. ``rejected_columns`` name a key but are not used.
    ``request_id_column`` / ``date_received_column`` / ``extension_column`` and
    ``type_column`` / ``identity_column`` / ``hold_column`` are found by header,
    or named.
    """

    table: InputTable
    email_column: str | None
    phone_column: str | None
    lines: Sequence[Line]  # input.plan makes them a ``core.lines.Lines``
    key_columns: tuple[KeyColumn, ...] = ()
    rejected_columns: tuple[RejectedColumn, ...] = ()
    request_id_column: str | None = None
    date_received_column: str | None = None
    extension_column: str | None = None  # says a request's deadline was extended
    type_column: str | None = None  # the request type: erasure or another right
    identity_column: str | None = None  # says the requester's identity was verified
    hold_column: str | None = None  # a filled cell holds the row (legal hold, exception)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one line, as the report states it.

    ``code`` says why (None for a plain success); ``message`` says it to a
    person and is never read by code. ``vendor_code`` is the vendor's own error
    code, when its answer had one.
    """

    status: Status
    code: Reason | None = None
    message: str = ""
    http_status: int | None = None
    vendor_code: str = ""
    attempts: int = 0
    # attempts whose answer was lost (timeout, dropped connection, crash):
    # the vendor may have acted on them.
    unknown_attempts: int = 0
    finished_at: str = ""  # UTC ISO 8601, "" when not finished
    run_id: str = ""
    records_found: int | None = None  # check: records the key would change
    records_before: int | None = None  # verified runs: records found before anonymizing
    records_after: int | None = None  # verified runs: records left afterwards
    key_form: KeyForm | None = None  # the form the key was sent and looked up in
    # the earlier erasure the ledger held for the key when this run began:
    # "<finished_at> run <run_id> (<status>)"; "" when none (or no ledger)
    previously_erased: str = ""
    stop_list: str = ""  # --stop-list: STOP_ADDED or STOP_FAILED; "" when not asked


#: ``Outcome.stop_list`` values: the email is on the vendor's unsubscribe list, or not.
STOP_ADDED = "added"
STOP_FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One line of the audit report: the planned line and what happened to it."""

    line: Line
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class RunFacts:
    """Facts about a run that the report's Summary sheet and the manifest record."""

    run_id: str
    mode: Mode
    tool_version: str
    started_at: str  # UTC ISO 8601
    ended_at: str
    input_name: str
    input_size: int
    input_sha256: str
    endpoint_host: str  # host only, never a key
    region: str = ""
    api_version: str = "v4.1"
    operator: str = ""  # OS user
    host_name: str = ""
    previous_run_id: str = ""
    halted: str = ""  # why the run stopped early ("" when it ran to the end)
    journal_name: str = ""
    # what differed in the earlier run's files that this run went on from anyway
    # (--accept-changed-evidence); "" when nothing did
    accepted_changed_evidence: str = ""
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def test_run(self) -> bool:
        """Whether the requests went to a sandbox or test server, not CustomerGauge's
        production API (the run records the setting ``TEST_RUN_SETTING``)."""
        return any(name == TEST_RUN_SETTING for name, _ in self.settings)


#: The run-facts setting of a test run (the built-in sandbox, or ``--base-url`` to a host
#: that is not CustomerGauge's production API): its outputs say so.
TEST_RUN_SETTING = "test_run"
