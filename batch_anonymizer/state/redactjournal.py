"""``redact``'s rewrite of a journal: the keys of its records, and nothing else.

Each record is read as JSON and every text in it goes through
``KeyMatcher.cell`` (a ``line`` record's ``cells`` as the input's own cells);
a record without a key is copied byte for byte. The run record gains a
``redacted`` field (when, and the fingerprint of the secret the keyed hashes
were made with), so a redacted journal is known as one even without its
manifest: ``--resume`` and ``retry`` refuse it (their keys are gone).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..audit.redactkeys import KeyMatcher, RunKey
from ..core.records import KeyType
from . import format as fmt
from . import planblock

#: The run record's field of a redacted journal.
REDACTED = "redacted"
# Records that never hold text from outside: copied without decoding.
_PLAIN = (b'{"t":"send",', b'{"t":"look",')


def journal_keys(path: Path) -> list[RunKey]:
    """Every key the ``line`` records of a journal hold, with the forms they were seen in."""
    keys: list[RunKey] = []
    with path.open("rb") as f:
        for raw in f:
            if not raw.startswith((b'{"t":"line",', b'{"t":"plan",')) or not raw.endswith(b"\n"):
                continue
            if raw.startswith(b'{"t":"line",'):
                rec = json.loads(raw)
                kt = rec.get("kt")
                _add_key(
                    keys,
                    KeyType(kt) if kt else None,
                    str(rec.get("key", "")),
                    str(rec.get("norm", "")),
                    str(rec.get("written", "")),
                )
            else:  # a plan record: every distinct key once
                rec = json.loads(raw)
                text = planblock.texts(rec)
                for kt, key, norm, written in zip(
                    planblock.key_types(rec), text["key"], text["norm"], text["written"],
                    strict=True,
                ):  # fmt: skip
                    _add_key(keys, kt, key, norm, written)
    return keys


def _add_key(keys: list[RunKey], kt: KeyType | None, key: str, norm: str, written: str) -> None:
    if key.strip() or norm or written:
        # hashed as the ledger hashes it: a telephone in the vendor's form when known
        vendor = kt is KeyType.TELEPHONE and norm.isdigit()
        keys.append(RunKey(kt, norm if vendor else key or written, (key, norm, written)))


def redacted_run(path: Path) -> dict[str, Any] | None:
    """The ``redacted`` field of a journal's run record; None when it was never redacted."""
    try:
        with path.open("rb") as f:
            run = json.loads(f.readline())
    except (OSError, ValueError):
        return None
    found = run.get(REDACTED) if isinstance(run, dict) else None
    return found if isinstance(found, dict) else None


def redact_value(value: Any, keys: KeyMatcher, input_cell: bool = False) -> Any:
    """``value`` (a JSON value) with every text redacted; ``cells`` lists as input cells."""
    if isinstance(value, str):
        return keys.cell(value, input_cell=input_cell)
    if isinstance(value, list):
        return [redact_value(v, keys, input_cell) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v, keys, k == "cells") for k, v in value.items()}
    return value


def _redact_plan(rec: dict[str, Any], keys: KeyMatcher) -> dict[str, Any]:
    """A ``plan`` record redacted: its text columns cell by cell, its integers as they are."""
    new = {k: redact_value(v, keys) for k, v in rec.items() if k not in _PLAN_RAW}
    new["ints"] = rec["ints"]
    for name, column in planblock.texts(rec).items():
        new[name] = [[keys.cell(v, input_cell=name == "cells") for v in column]]  # one chunk
    return new


_PLAN_RAW = ("ints", *planblock.TEXTS)  # a plan record's fields that are not plain JSON text


def redact_journal(
    source: Path, keys: KeyMatcher, mark: dict[str, str]
) -> tuple[Callable[[IO[bytes]], None], int]:
    """What writes the redacted copy of the journal ``source`` (its run record marked with
    ``mark``), and how many records change."""
    out: list[bytes] = []
    changed = 0
    with source.open("rb") as f:
        for n, raw in enumerate(f):
            if raw.startswith(_PLAIN):
                out.append(raw)
                continue
            complete = raw.endswith(b"\n")
            try:
                rec = json.loads(raw)
            except ValueError:  # a torn last record: not part of the chain
                if not keys.contains(raw.decode("utf-8", "replace")):
                    out.append(raw)
                continue
            if isinstance(rec, dict) and rec.get("t") == "plan":
                new = _redact_plan(rec, keys)
            else:
                new = redact_value(rec, keys)
            if n == 0 and isinstance(new, dict) and new.get("t") == "run":
                new[REDACTED] = mark
            if new != rec or n == 0:
                changed += new != rec
                raw = fmt.dumps(new) + (b"\n" if complete else b"")
            out.append(raw)

    def write(f: IO[bytes]) -> None:
        f.writelines(out)

    return write, changed
