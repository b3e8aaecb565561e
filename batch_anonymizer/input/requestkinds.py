"""What a request-type cell asks for, and whether an identity cell says "verified": two tables.

A request-type value (``Request type``, Transcend's ``action``) is one of:

- ``erasure``: ``Erasure``, ``Deletion``, ``Right to be forgotten``, ``RTBF``,
  Transcend's ``ERASURE``... (``ERASURE_TYPES``);
- ``other``: another right, ``Access``, ``Rectification``, ``Portability``,
  ``Objection``, ``Restriction``, ``Opt-out``, Transcend's ``SALE_OPT_OUT``...
  (``OTHER_TYPES``): nothing of it is sent;
- ``both``: several rights in one cell (``Access, Erasure``), erasure among
  them: an erasure, the other rights named in the report;
- ``unclassified``: anything else, the empty cell included: the run stops
  before anything is sent, unless ``--erasure-type VALUE`` names it an erasure.

Values are compared trimmed, case-insensitive, with ``-``, ``_`` and runs of
spaces read as one space (``right-to-be-forgotten``, ``SALE_OPT_OUT``). A cell
names several rights when it is split by ``,``, ``;``, ``/``, ``+``, ``&`` or
`` and `` into parts that each are a known type.

An identity cell says "verified" when it is ``yes``, ``true``, ``verified``,
``done``, a tick (``✓``) or a date (the day it was checked); anything else
(``no``, ``pending``, empty, ``unknown``) holds the request.

Pure string work: nothing here reads a file or a column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .cells import trim
from .dates import received_date


class TypeKind(StrEnum):
    """What a request-type value asks for."""

    ERASURE = "erasure"
    OTHER = "other"  # another right: not sent
    BOTH = "both"  # erasure and another right in one cell: an erasure
    UNCLASSIFIED = "unclassified"  # stops the run unless --erasure-type names it

    @property
    def erasure(self) -> bool:
        """Whether a row of this kind is an erasure request (its keys may be sent)."""
        return self in (TypeKind.ERASURE, TypeKind.BOTH)


#: Values that ask for erasure (compared as ``type_words`` gives them).
ERASURE_TYPES = frozenset(
    {"erasure", "erase", "erase me", "erasure request", "right to erasure", "data erasure"}
    | {"deletion", "delete", "delete me", "delete my data", "deletion request", "data deletion"}
    | {"right to deletion", "right to delete", "request to delete", "account deletion"}
    | {"right to be forgotten", "rtbf", "forget me", "be forgotten", "forgotten"}
    | {"removal", "remove", "remove my data", "art 17", "article 17", "gdpr erasure"}
    | {"gdpr deletion", "ccpa deletion", "dsar erasure", "dsr erasure", "dsr deletion"}
)
#: Values that ask for another right (Transcend's actions written as ``type_words`` gives them).
OTHER_TYPES = frozenset(
    {"access", "right of access", "right to access", "subject access", "subject access request"}
    | {"sar", "dsar", "data access", "copy", "copy of data", "right to know", "know"}
    | {"rectification", "rectify", "correction", "correct", "right to rectification", "update"}
    | {"portability", "data portability", "right to portability", "export", "data export"}
    | {"objection", "object", "right to object", "restriction", "restrict"}
    | {"restriction of processing", "right to restriction", "opt out", "optout", "opt in"}
    | {"unsubscribe", "marketing opt out", "do not sell", "do not sell or share", "information"}
    | {"automated decision making", "complaint", "consent withdrawal", "withdraw consent"}
    | {"sale opt out", "sale opt in", "contact opt out", "contact opt in", "tracking opt out"}
    | {"tracking opt in", "automated decision making opt out", "automated decision making opt in"}
    | {"use of sensitive information opt out", "use of sensitive information opt in"}
    | {"custom opt out", "custom opt in", "business purpose", "place on legal hold"}
    | {"remove from legal hold", "request data portability"}
)
# Splits a cell naming several rights; " and " only between words ("Access and Erasure").
_SEVERAL = re.compile(r"\s*(?:[,;/+&]|\band\b)\s*")


def type_words(value: str) -> str:
    """A type value as compared: trimmed, casefolded, ``-``/``_``/spaces as one space."""
    return " ".join(trim(value).casefold().replace("-", " ").replace("_", " ").split())


@dataclass(frozen=True, slots=True)
class TypeReading:
    """A type value read: its kind, and (``both``) the other rights it names, as written."""

    kind: TypeKind
    others: tuple[str, ...] = ()


def classify_type(value: str, erasure_types: Iterable[str] = ()) -> TypeReading:
    """What the request-type ``value`` asks for (see the module docstring).

    ``erasure_types`` are values ``--erasure-type`` names erasures (compared as
    ``type_words`` gives them); they win over the table.
    """
    extra = frozenset(type_words(v) for v in erasure_types)
    words = type_words(value)
    if words in extra or words in ERASURE_TYPES:
        return TypeReading(TypeKind.ERASURE)
    if words in OTHER_TYPES:
        return TypeReading(TypeKind.OTHER)
    parts = [p for p in _SEVERAL.split(trim(value)) if p]
    if len(parts) < 2:
        return TypeReading(TypeKind.UNCLASSIFIED)
    kinds = [classify_type(p, extra).kind for p in parts]
    if TypeKind.UNCLASSIFIED in kinds:
        return TypeReading(TypeKind.UNCLASSIFIED)
    others = tuple(trim(p) for p, k in zip(parts, kinds, strict=True) if k is TypeKind.OTHER)
    if TypeKind.ERASURE not in kinds:
        return TypeReading(TypeKind.OTHER)
    return TypeReading(TypeKind.BOTH, others) if others else TypeReading(TypeKind.ERASURE)


#: Identity values that say the requester's identity was verified (as ``type_words`` gives them).
VERIFIED_VALUES = frozenset(
    {"yes", "y", "true", "verified", "done", "✓", "✔", "☑", "✅", "id verified"}
    | {"identity verified", "verified yes", "yes verified", "confirmed", "checked"}
)


def identity_verified(value: str) -> bool:
    """Whether an identity cell says the requester's identity was verified: a value of
    ``VERIFIED_VALUES`` or a date (the day it was checked). Anything else holds the row."""
    words = type_words(value)
    if not words:
        return False
    if words in VERIFIED_VALUES:
        return True
    read = received_date(value)
    return read.date is not None or read.ambiguous
