"""The v6 anonymize API: where its call goes, what it sends, and what its answers mean.

CustomerGauge documents ``POST /v6/system-admin/data-admin/contacts/anonymize``
(support article "POST Anonymize Contact"): a raw JSON body holding one key,
an OAuth2 Bearer token only. Its page names the telephone field ``telephone``
in its text and ``phone`` in its payload table, so the name is a setting
(``V6Call.phone_field``). Lookups stay the documented v4.1 GET (``sender``).

Its answers are not published. ``classify_v6`` reads them with the v4.1 rules
wherever the body does not matter (timeouts, dropped connections, an answer too
long to read, 401/403, 408/429/5xx and their Retry-After, redirects: all through
``classify.classify``), and reads the body itself, keys compared
case-insensitively:

- an **error** is a non-empty ``error`` or ``errors``, ``success: false`` or a
  ``status`` of ``error``/``fail``; its words are ``message``, ``error`` and
  ``errors`` (strings, objects and lists of them);
- a **success** is a 2xx with a ``data`` object or list, or ``success: true``,
  and no error anywhere; or a 204 with no body;
- anything else in a 2xx (a bare ``message``, an empty 200, HTML, a body with
  an error *and* a success) is never a success: a transient ``bad_answer`` that
  may have acted, quoted as a sanitised excerpt, which the lookup afterwards
  settles.

A 4xx error that names the telephone field (the other name, or the name sent
with a word such as "unknown" or "not allowed") is ``v6_field_refused``: the
account takes the other name, and every telephone key would be refused alike
(``breakers`` halts the run at the first one).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from ..core.codes import Reason
from ..core.errors import UsageError
from ..core.records import KeyType
from . import messages
from .body import DUPLICATE, BodyKind, load_json, parse_body
from .classify import Answer, Kind, Verdict, classify, excerpt
from .endpoint import Endpoint

V41 = "v4.1"
V6 = "v6"
#: The anonymize APIs the tool speaks (``--api``); the first is the default.
API_VERSIONS = (V41, V6)
#: The two names the vendor's v6 page gives the telephone field (``--v6-phone-field``).
PHONE_FIELDS = ("phone", "telephone")
DEFAULT_PHONE_FIELD = "phone"  # the payload table's name (example 336123456789)
V6_PATH = "/v6/system-admin/data-admin/contacts/anonymize"


@dataclass(frozen=True, slots=True)
class V6Call:
    """How a v6 anonymize request is made, and how its answer is read."""

    phone_field: str = DEFAULT_PHONE_FIELD

    def __post_init__(self) -> None:
        if self.phone_field not in PHONE_FIELDS:
            raise UsageError(
                f"unknown v6 telephone field {self.phone_field!r}: use one of "
                f"{', '.join(PHONE_FIELDS)}"
            )

    def url(self, endpoint: Endpoint) -> str:
        """The v6 anonymize endpoint on ``endpoint``'s host."""
        return endpoint.base_url + V6_PATH

    def field(self, key_type: KeyType) -> str:
        """The JSON field a key of ``key_type`` is sent in."""
        return "email" if key_type is KeyType.EMAIL else self.phone_field

    def body(self, key_type: KeyType, key: str) -> bytes:
        """The raw JSON body: exactly one field, the key as given."""
        return json.dumps({self.field(key_type): key}, ensure_ascii=False).encode()

    def classify(self, answer: Answer, key_type: KeyType, *, timeout: float | None) -> Verdict:
        """``classify_v6`` for a request that sent a key of ``key_type``."""
        return classify_v6(answer, sent=self.field(key_type), timeout=timeout)


# -- reading a body ---------------------------------------------------------------------------


class V6Kind(StrEnum):
    """What a v6 answer body says."""

    SUCCESS = "success"
    ERROR = "error"
    MIXED = "mixed"  # an error and a success, or a key twice: cannot be trusted either way
    UNKNOWN = "unknown"  # neither: a shape the v6 API is not known to give


@dataclass(frozen=True, slots=True)
class V6Body:
    """What a v6 answer body says: ``kind`` is success, error, mixed or unknown.

    ``message`` is its words for people (raw: quote it through ``excerpt``),
    ``code`` the vendor's code if any, ``words`` every key and string of its
    error parts (where a field name shows).
    """

    kind: V6Kind
    message: str = ""
    code: str = ""
    words: str = ""


_UNKNOWN = V6Body(V6Kind.UNKNOWN)
_MAX_WORDS = 200  # strings read from an error's parts: a real one has a few


def read_v6(body: bytes) -> V6Body:
    """Read a v6 answer body. Never raises (the JSON reader is ``body``'s, bounded)."""
    text = body.strip()
    if text[:1] == b"<":  # not a v6 shape; an XML Error from a gateway is still an error
        parsed = parse_body(text)
        if parsed is not None and parsed[0] is BodyKind.ERROR:
            msg = parsed[1].get("message")
            code = parsed[1].get("code")
            return V6Body(V6Kind.ERROR, str(msg or ""), "" if code is None else str(code))
        mixed = parsed is not None and parsed[0] is BodyKind.MIXED
        return V6Body(V6Kind.MIXED) if mixed else _UNKNOWN
    if text[:1] not in (b"{", b"["):
        return _UNKNOWN
    doc = load_json(text)
    if doc is DUPLICATE:
        return V6Body(V6Kind.MIXED)
    if not isinstance(doc, dict):
        return _UNKNOWN
    get = _lower(doc).get
    err, errs, msg, data = get("error"), get("errors"), get("message"), get("data")
    status, success = get("status"), get("success")
    failed = (
        _filled(err)
        or _filled(errs)
        or success is False
        or (isinstance(status, str) and status.strip().lower() in _ERROR_STATUSES)
    )
    succeeded = isinstance(data, dict | list) or success is True
    if succeeded and (failed or _holds_error(doc)):  # an error anywhere is never a success
        return V6Body(V6Kind.MIXED)
    if failed:
        parts = [p for p in (err, errs) if _filled(p)]
        words = _strings(parts)
        message = msg if isinstance(msg, str) and msg.strip() else "; ".join(_messages(parts))
        return V6Body(V6Kind.ERROR, message or " ".join(words), _code(doc, parts), " ".join(words))
    if succeeded:
        inner = _lower(data).get("message") if isinstance(data, dict) else None
        said = inner if isinstance(inner, str) and inner.strip() else msg
        return V6Body(V6Kind.SUCCESS, said if isinstance(said, str) else "")
    # No error and no success: a bare message is an error's words only next to an error status.
    return V6Body(V6Kind.UNKNOWN, msg if isinstance(msg, str) else "", _code(doc, []))


_ERROR_STATUSES = frozenset({"error", "fail", "failed", "failure"})


def _lower(obj: Any) -> dict[str, Any]:
    """An object's keys lower-cased (the reader refused a key named twice in any case)."""
    if not isinstance(obj, dict):
        return {}
    return {k.lower(): v for k, v in obj.items() if isinstance(k, str)}


def _filled(value: Any) -> bool:
    """Whether an error field says something: not null, false, 0 or empty."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)  # a list or an object: not empty


def _holds_error(value: Any) -> bool:
    """Whether a non-empty ``error`` or ``errors`` appears anywhere inside ``value``."""
    stack = [value]  # depth is bounded by the reader, size by MAX_ANSWER_BYTES
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                if isinstance(k, str) and k.lower() in ("error", "errors") and _filled(v):
                    return True
                stack.append(v)
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _strings(parts: list[Any]) -> list[str]:
    """Every key and string inside ``parts``, in order, at most ``_MAX_WORDS``."""
    out: list[str] = []
    stack = list(reversed(parts))
    while stack and len(out) < _MAX_WORDS:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for k, v in reversed(list(item.items())):
                stack.append(v)
                stack.append(k)
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return out


def _messages(parts: list[Any]) -> list[str]:
    """The words of an error's parts for people: strings, and the ``message`` of objects."""
    out: list[str] = []
    for part in parts:
        items = part if isinstance(part, list) else [part]
        for item in items[:_MAX_WORDS]:
            if isinstance(item, str) and item.strip():
                out.append(item)
            elif isinstance(item, dict):
                said = _lower(item).get("message")
                if isinstance(said, str) and said.strip():
                    out.append(said)
                elif said is None:  # {"phone": ["is required"]}: field and words
                    out.extend(f"{k}: {' '.join(_strings([v]))}" for k, v in item.items())
    return out


def _code(doc: dict[str, Any], parts: list[Any]) -> str:
    """The vendor's code: the body's ``code``, or the first ``code`` of its error parts."""
    for obj in [doc, *parts, *(p[0] for p in parts if isinstance(p, list) and p)]:
        code = _lower(obj).get("code")
        if isinstance(code, int | str) and not isinstance(code, bool) and str(code).strip():
            return str(code)
    return ""


# -- what an answer means -----------------------------------------------------------------------

_WORD = re.compile(r"[a-z]+")
#: Words that, next to the field name sent, say the name itself was refused (not its value).
_REFUSING = frozenset(
    {
        "unknown",
        "unexpected",
        "unrecognized",
        "unrecognised",
        "unsupported",
        "allowed",
        "permitted",
        "extra",
        "additional",
        "forbidden",
    }
)


def names_other_field(words: str, sent: str) -> bool:
    """Whether an error's words refuse the telephone field's name ``sent``.

    True when they name the other name (the account asks for it), or name
    ``sent`` together with a refusing word ("unknown field 'telephone'").
    "Phone is not valid" after sending ``phone`` is about the value: False.
    """
    if sent not in PHONE_FIELDS:
        return False
    other = PHONE_FIELDS[1 - PHONE_FIELDS.index(sent)]
    found = set(_WORD.findall(words.lower()))
    return other in found or (sent in found and not found.isdisjoint(_REFUSING))


def classify_v6(answer: Answer, *, sent: str, timeout: float | None = None) -> Verdict:
    """Classify one answer of the v6 anonymize call that sent the JSON field ``sent``."""
    base = classify(answer, timeout=timeout)
    status = answer.status
    if status is None or answer.oversized:
        return base  # no body to read: the v4.1 rules hold as they are
    body = read_v6(answer.body)
    said = excerpt(body.message.encode(), 200) if body.message else ""
    if base.kind is Kind.AUTH:
        return replace(base, message=said or base.message, vendor_code=body.code)
    if 200 <= status < 300:
        return _two_hundred(status, answer.body, body, said, sent)
    if 300 <= status < 400:
        return base
    if base.kind is Kind.TRANSIENT:  # 408, 429, 5xx: the code, Retry-After, "may have acted"
        if body.kind in (V6Kind.ERROR, V6Kind.UNKNOWN) and said:
            return replace(base, message=f"HTTP {status}: {said}", vendor_code=body.code)
        return base
    if body.kind is V6Kind.ERROR or (body.kind is V6Kind.UNKNOWN and said):
        return _refusal(status, body, said, sent)
    return base  # a 4xx without words: http_error with an excerpt


def _two_hundred(status: int, raw: bytes, body: V6Body, said: str, sent: str) -> Verdict:
    if body.kind is V6Kind.SUCCESS:
        return Verdict(Kind.SUCCESS, said or messages.V6_DONE)
    if body.kind is V6Kind.ERROR:
        return _refusal(status, body, said, sent)
    if status == 204 and not raw.strip():
        return Verdict(Kind.SUCCESS, messages.V6_NO_CONTENT)
    shown = f"'{excerpt(raw, 80)}'" if raw.strip() else "empty body"
    template = messages.V6_CONTRADICTS if body.kind is V6Kind.MIXED else messages.V6_UNKNOWN_SHAPE
    return Verdict(
        Kind.TRANSIENT,
        template.format(status=status, excerpt=shown),
        Reason.BAD_ANSWER,
        uncertain=True,
    )


def _refusal(status: int, body: V6Body, said: str, sent: str) -> Verdict:
    """The vendor refused the key (nothing done): its words, or the field name refused."""
    said = said or f"HTTP {status} with an error body"
    if names_other_field(f"{body.message} {body.words}", sent):
        other = PHONE_FIELDS[1 - PHONE_FIELDS.index(sent)]
        msg = messages.V6_FIELD_REFUSED.format(sent=sent, status=status, vendor=said, other=other)
        return Verdict(Kind.PERMANENT, msg, Reason.V6_FIELD_REFUSED, body.code)
    return Verdict(Kind.PERMANENT, said, Reason.VENDOR_ERROR, body.code)
