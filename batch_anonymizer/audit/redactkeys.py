"""Finding a run's keys in text, and what ``redact`` puts in their place.

A run's key is known in several forms: as written in the sheet, as sent
(lower-case, E.164, the vendor's digits), and in national form inside free
text (``07700 900123``). ``KeyMatcher`` finds each of them:

- a text that *is* a key (any form, surrounding space ignored) becomes
  ``redacted(mask(text), keyed hash)``: the handover copy's masked hint and
  the ledger's keyed hash (``core.identity.pseudonym``, the same secret), so the
  masked form shown before (certificates, logs) stays the same;
- a text that *holds* a key among other words is blanked when it is an
  input cell, and replaced by ``handover.REMOVED`` otherwise (a message).

Everything else is left exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..core.identity import mask, phone_identity, phone_tail, pseudonym, redacted, redacted_hint
from ..core.records import KeyType
from .handover import REMOVED

_EMAIL = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")
_PHONE = re.compile(r"\+?\d[\d\s().\-/]{5,}\d")
_PHONE_ONLY = re.compile(r"\+?[\d\s().\-/]+")


@dataclass(frozen=True, slots=True)
class RunKey:
    """One key of a run: its type, the key as the run holds it, and the other forms seen."""

    key_type: KeyType | None
    key: str
    forms: tuple[str, ...] = ()


class KeyMatcher:
    """The keys of one run, in every form, each with its keyed hash."""

    def __init__(self, keys: Iterable[RunKey], secret: bytes) -> None:
        self._emails: dict[str, str] = {}  # lower-cased form -> keyed hash
        self._phones: dict[str, str] = {}  # digits (``phone_identity``) -> keyed hash
        self._tails: dict[str, str] = {}  # last digits -> keyed hash
        # A report repeats each cell in several files (both sheets, both csv, the journal):
        # each text is looked at once.
        self._done: dict[tuple[str, bool], str] = {}
        for k in keys:
            if not k.key.strip():
                continue
            digest = pseudonym(secret, k.key, k.key_type)
            email = k.key_type is KeyType.EMAIL or (k.key_type is None and "@" in k.key)
            for form in (k.key, *k.forms):
                form = form.strip()
                if not form or redacted_hint(form) is not None:
                    continue
                if email:
                    self._emails.setdefault(form.lower(), digest)
                    continue
                tail = phone_tail(form)
                if tail:  # fewer digits name nobody, and would match counts and dates
                    self._phones.setdefault(phone_identity(form), digest)
                    self._tails.setdefault(tail, digest)

    def __len__(self) -> int:
        return len(set(self._emails.values()) | set(self._phones.values()))

    def exact(self, text: str) -> str | None:
        """The redacted form of ``text`` when it is a key of the run, else None."""
        t = text.strip()
        if not t:
            return None
        digest = self._emails.get(t.lower())
        if digest is None and _PHONE_ONLY.fullmatch(t) and phone_tail(t):
            digest = self._phones.get(phone_identity(t)) or self._tails.get(phone_tail(t))
        return redacted(mask(t), digest) if digest is not None else None

    def contains(self, text: str) -> bool:
        """True when a key of the run appears anywhere in ``text``."""
        if "@" in text:
            for m in _EMAIL.findall(text):
                if m.lower().rstrip(".") in self._emails:
                    return True
        if self._tails:
            for m in _PHONE.findall(text):
                if phone_tail(m) in self._tails:
                    return True
        return False

    def cell(self, text: str, *, input_cell: bool) -> str:
        """``text`` redacted: a key becomes its redacted form; a text holding one is blanked
        (an input cell) or ``REMOVED`` (anything else); any other text is unchanged."""
        done = self._done.get((text, input_cell))
        if done is not None:
            return done
        token = self.exact(text)
        if token is not None:
            new = token
        elif self.contains(text):
            new = "" if input_cell else REMOVED
        else:
            new = text
        if len(self._done) >= 200_000:
            self._done.clear()
        self._done[text, input_cell] = new
        return new
