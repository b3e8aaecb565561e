"""Reading an answer body without trusting it: JSON or XML, bounded in depth, never raising.

``parse_body`` says what a body is (``BodyKind``): a ``Data`` (a success, if
the status agrees), an ``Error``, a ``mixed`` body that cannot be trusted
either way, or nothing readable (None). It never raises, whatever the bytes: nesting deeper
than ``MAX_DEPTH`` is refused before the parser could run out of stack, an
XML entity bomb is stopped by expat, and external entities are never fetched.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from enum import StrEnum
from itertools import accumulate
from typing import Any


class BodyKind(StrEnum):
    """What an answer body says, as far as its shape goes."""

    DATA = "data"  # a ``Data`` and no ``Error`` anywhere: a success, if the status agrees
    ERROR = "error"  # an ``Error``: its ``message`` and ``code``
    MIXED = "mixed"  # both, or a key named twice: cannot be trusted either way


#: Nesting deeper than this is no answer of this API (its deepest, a lookup, is 3).
MAX_DEPTH = 32

#: A JSON string (escapes included), so brackets inside strings are not counted as nesting.
#: The closing quote is optional: an unterminated string ends the text (as it ends the
#: parser), and no match ever fails, so the search stays linear whatever the bytes.
_JSON_STRING = re.compile(rb'"(?:[^"\\]+|\\.)*"?', re.DOTALL)
#: Every byte but the four brackets: deleted before the depth is counted.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
#: +1 for an opening bracket, -1 for a closing one (indexed by byte value).
_STEP = tuple(1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256))


def parse_body(body: bytes) -> tuple[BodyKind, Any] | None:
    """Read an answer body: (DATA, value), (ERROR, {"message", "code"}) or (MIXED, None).

    ``mixed`` is a body that cannot be trusted either way: an object with a
    key twice (``{"Error": …, "Error": null, "Data": …}``, keys compared
    case-insensitively), or a ``Data`` with an ``Error`` anywhere in the
    body (next to it, inside it, inside a sibling; whatever its value).
    None: unreadable (not JSON or XML, cut, nested deeper than ``MAX_DEPTH``).
    Never raises.
    """
    text = body.strip()
    if not text:
        return None
    if text[:1] in (b"{", b"["):
        return _from_json(text)
    if text[:1] == b"<":
        return _from_xml(text)
    return None


def _from_json(text: bytes) -> tuple[BodyKind, Any] | None:
    doc = load_json(text)
    if doc is DUPLICATE:
        return BodyKind.MIXED, None
    if not isinstance(doc, dict):
        return None
    err = _ci_get(doc, "error")
    data = _ci_get(doc, "data")
    if data is not None and _has_error(doc):
        return BodyKind.MIXED, None  # even {"Error": null, "Data": …}: any Error is not a success
    if isinstance(err, dict):
        return BodyKind.ERROR, {"message": _ci_get(err, "message"), "code": _ci_get(err, "code")}
    if isinstance(err, str):
        return BodyKind.ERROR, {"message": err, "code": None}
    if isinstance(data, dict | list):
        return BodyKind.DATA, data
    return None


def _from_xml(text: bytes) -> tuple[BodyKind, Any] | None:
    try:
        root = ET.fromstring(text)  # noqa: S314 - stdlib parser does not fetch external entities
    except (ET.ParseError, RecursionError, ValueError):
        return None
    if _xml_depth(root) > MAX_DEPTH:
        return None
    tag = root.tag.lower()
    if tag in ("html", "!doctype"):
        return None
    children = {child.tag.lower(): (child.text or "").strip() for child in root}
    if tag == "error":
        return BodyKind.ERROR, {"message": children.get("message"), "code": children.get("code")}
    if tag == "data":
        if any(el.tag.lower() == "error" for el in root.iter()):
            return BodyKind.MIXED, None
        items = [c for c in root if c.tag.lower() not in ("message",)]
        if items and all(len(list(c)) > 0 for c in items):
            return BodyKind.DATA, [{g.tag.lower(): g.text for g in c} for c in items]
        return BodyKind.DATA, children
    return None


def _ci_get(obj: dict[str, Any], name: str) -> Any:
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == name:
            return v
    return None


class _Duplicate:
    """An object that named one key twice: its meaning depends on the reader."""


DUPLICATE = _Duplicate()


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k.lower() for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _DuplicateKey
    return dict(pairs)


def json_depth(text: bytes) -> int:
    """How deep the brackets of a JSON text nest, brackets inside strings not counted."""
    bare = _JSON_STRING.sub(b'""', text).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, bare)), default=0)


def load_json(text: bytes) -> Any:
    """``json.loads`` that never raises.

    None when unreadable or nested deeper than ``MAX_DEPTH``; ``DUPLICATE``
    when an object names a key twice (keys compared case-insensitively).
    """
    # Fewer brackets than the limit cannot nest deeper; else count, before the parser recurses.
    if text.count(b"{") + text.count(b"[") > MAX_DEPTH and json_depth(text) > MAX_DEPTH:
        return None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey:
        return DUPLICATE
    except (ValueError, RecursionError):
        return None


def _has_error(value: Any) -> bool:
    """Whether an ``Error`` key appears anywhere inside ``value`` (depth is bounded above)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if isinstance(k, str) and k.lower() == "error":
                    return True
                stack.append(v)
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _xml_depth(root: ET.Element) -> int:
    deepest, stack = 0, [(root, 1)]
    while stack:
        el, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((c, d + 1) for c in el)
    return deepest
