"""What an answer from the anonymize API means. One function, table-tested.

``success`` only for a 2xx answer whose body has a ``Data`` object (JSON or
XML, keys matched case-insensitively) and no ``Error`` anywhere. An ``Error``
body is a failure whatever the status. A body that contradicts itself (a
``Data`` and an ``Error``, a key named twice) is a transient ``bad_answer``
that may have acted, as is an answer longer than ``MAX_ANSWER_BYTES``.
401/403 halt the run; 408, 429, 5xx, dropped connections and timeouts are
transient; other 4xx are permanent. A body that is neither JSON
nor XML (an HTML page from a proxy, an empty or truncated body) is classified
by its status and quoted as a short, sanitised excerpt.

Every verdict but a success carries a ``Reason`` code; code downstream reads
the code, never the message. ``uncertain`` marks an attempt whose request may
have reached the vendor and been acted on although no valid answer came back
(a timeout after sending, a dropped connection, a 500/502/504 from a proxy, a
2xx we cannot read). ``throttled`` and ``retry_after`` say what the API asked
of the client (slow down; wait so long), so the pool never reads raw statuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from ..core.codes import Reason
from .body import MAX_DEPTH, BodyKind, parse_body

__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_DEPTH",
    "Answer",
    "BodyKind",
    "Kind",
    "Transport",
    "Verdict",
    "classify",
    "classify_lookup",
    "excerpt",
    "parse_body",
    "parse_retry_after",
]


class Kind(StrEnum):
    SUCCESS = "success"
    PERMANENT = "permanent"  # the API refused this key: do not retry
    TRANSIENT = "transient"  # may work later: retry
    AUTH = "auth"  # credentials refused: halt the run


class Transport(StrEnum):
    """What went wrong below HTTP, when no answer came."""

    REFUSED = "refused"  # no connection: the request certainly never left
    CONNECT_TIMEOUT = "connect_timeout"  # no connection in time: never left either
    TIMEOUT = "timeout"  # sent, no answer in time: the vendor may have acted
    DISCONNECTED = "disconnected"  # the server closed the connection before answering
    CUT = "cut"  # the answer was cut off
    OTHER = "other"  # any other client error after connecting

    @property
    def sent(self) -> bool:
        """Whether the request may have reached the vendor."""
        return self not in (Transport.REFUSED, Transport.CONNECT_TIMEOUT)


@dataclass(frozen=True, slots=True)
class Answer:
    """What came back for one request, as the sender saw it.

    ``status`` is None when no HTTP answer arrived; ``transport`` then says
    why and ``detail`` describes it for people.
    """

    status: int | None
    body: bytes = b""
    content_type: str = ""
    retry_after: str | None = None
    transport: Transport | None = None
    detail: str = ""
    oversized: bool = False  # longer than MAX_ANSWER_BYTES: not read, ``body`` is empty

    @property
    def sent(self) -> bool:
        """False when the request certainly never left (the connection failed)."""
        return self.transport is None or self.transport.sent


@dataclass(frozen=True, slots=True)
class Verdict:
    """What an answer means for the key: its kind, its code, and words for people."""

    kind: Kind
    message: str
    code: Reason | None = None  # None for a success
    vendor_code: str = ""  # the vendor's own error code, when the answer had one
    uncertain: bool = False
    throttled: bool = False  # the API said the client goes too fast (429)
    retry_after: float | None = None  # seconds the API asked to wait (429/503)
    records: int | None = None  # lookup: how many records the key matches


TRANSIENT_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))
# Statuses from which the vendor may have processed the request anyway.
UNCERTAIN_STATUSES = frozenset({500, 502, 504})

_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def excerpt(body: bytes, limit: int = 120) -> str:
    """A short, printable, tag-free excerpt of a body for the report."""
    text = body.decode("utf-8", errors="replace")
    text = _TAGS.sub(" ", text)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: The most bytes of an answer the tool reads. The vendor's answers are a few hundred
#: bytes (a lookup lists a person's records: a few KB); anything longer than this is
#: not an answer of this API, and reading it all would let one answer exhaust memory.
MAX_ANSWER_BYTES = 256 * 1024


def _data_message(data: Any) -> str:
    if isinstance(data, dict):
        for k, msg in data.items():
            if isinstance(k, str) and k.lower() == "message" and isinstance(msg, str):
                return excerpt(msg.encode(), 200) or "anonymized"
    return "anonymized"


def classify(answer: Answer, *, timeout: float | None = None) -> Verdict:
    """Classify one answer of the anonymize (POST) call.

    Short answers are remembered, because a run gets the same few answers
    (byte for byte) thousands of times; a Retry-After is read afresh each
    time, since an HTTP-date means a different wait at each moment.
    """
    if answer.oversized:
        return _oversized(answer)
    if len(answer.body) <= _REMEMBERED_BODY:
        verdict = _classify_remembered(
            answer.status, answer.body, answer.transport, answer.detail, timeout
        )
    else:
        verdict = _classify(answer.status, answer.body, answer.transport, answer.detail, timeout)
    if answer.retry_after is not None and answer.status in RETRY_AFTER_STATUSES:
        wait = parse_retry_after(answer.retry_after)
        if wait is not None:
            verdict = replace(verdict, retry_after=wait)
    return verdict


_REMEMBERED_BODY = 1024


def _oversized(answer: Answer) -> Verdict:
    """An answer longer than ``MAX_ANSWER_BYTES``: no answer of this API; never a success."""
    status = answer.status
    msg = f"HTTP {status}: an answer over {MAX_ANSWER_BYTES // 1024} KB, not read"
    if status in (401, 403):
        return Verdict(Kind.AUTH, msg, Reason.HALTED_AUTH)
    if status is not None and (200 <= status < 300 or status in TRANSIENT_STATUSES):
        code = Reason.BAD_ANSWER if 200 <= status < 300 else _transient_code(status)
        return Verdict(Kind.TRANSIENT, msg, code, uncertain=True, throttled=status == 429)
    return Verdict(Kind.PERMANENT, msg, Reason.HTTP_ERROR)


#: Statuses whose Retry-After the client honours (RFC 9110 §10.2.3, RFC 6585).
RETRY_AFTER_STATUSES = frozenset({429, 503})


def _transient_code(status: int) -> Reason:
    if status == 429:
        return Reason.RATE_LIMITED
    if status == 408:
        return Reason.TIMEOUT
    return Reason.SERVER_ERROR


def _classify(
    status: int | None,
    body: bytes,
    transport: Transport | None,
    detail: str,
    timeout: float | None,
) -> Verdict:
    if status is None:
        return _transport(transport or Transport.OTHER, detail, timeout)
    parsed = parse_body(body)
    if status in (401, 403):
        msg = _error_message(parsed) or f"HTTP {status}: credentials refused"
        return Verdict(Kind.AUTH, msg, Reason.HALTED_AUTH, _error_code(parsed))
    if parsed is not None and parsed[0] is BodyKind.ERROR:
        msg = _error_message(parsed) or f"HTTP {status} with an Error body"
        code = _error_code(parsed)
        if status in TRANSIENT_STATUSES:
            return Verdict(
                Kind.TRANSIENT,
                msg,
                _transient_code(status),
                code,
                uncertain=status in UNCERTAIN_STATUSES,
                throttled=status == 429,
            )
        return Verdict(Kind.PERMANENT, msg, Reason.VENDOR_ERROR, code)
    if 200 <= status < 300:
        if parsed is not None and parsed[0] is BodyKind.DATA:
            return Verdict(Kind.SUCCESS, _data_message(parsed[1]))
        if parsed is not None and parsed[0] is BodyKind.MIXED:
            # Both an Error and a Data, or a key twice: the vendor may have acted, or not.
            return Verdict(
                Kind.TRANSIENT,
                f"HTTP {status} with a body that contradicts itself (an Error and a Data, "
                f"or a key twice): {_describe(body)}",
                Reason.BAD_ANSWER,
                uncertain=True,
            )
        # A 2xx we cannot read may still have done the work: not a success, not a refusal.
        return Verdict(
            Kind.TRANSIENT,
            f"HTTP {status} without a Data body: {_describe(body)}",
            Reason.BAD_ANSWER,
            uncertain=True,
        )
    if status in TRANSIENT_STATUSES:
        return Verdict(
            Kind.TRANSIENT,
            f"HTTP {status}: {_describe(body)}",
            _transient_code(status),
            uncertain=status in UNCERTAIN_STATUSES,
            throttled=status == 429,
        )
    if 300 <= status < 400:
        return Verdict(
            Kind.PERMANENT,
            f"HTTP {status}: redirect not followed (the endpoint moved?)",
            Reason.REDIRECT,
        )
    return Verdict(Kind.PERMANENT, f"HTTP {status}: {_describe(body)}", Reason.HTTP_ERROR)


def classify_lookup(answer: Answer, *, timeout: float | None = None) -> Verdict:
    """Classify an answer of the read-only lookup (GET); ``records`` counts the matches.

    A success lists the records (``{"Data": [...]}``, JSON or XML). No match may
    come as an empty list or as an ``Error`` "No records found" with HTTP 200,
    400 or 404: both mean zero; any other ``Error`` (with a 404 too, such as
    "Email is not valid") is read as for the anonymize call, never as zero
    records. 403/405, and a 404 that is not the vendor's
    ``Error`` body (the endpoint does not answer lookups), are a refusal of
    lookups for the whole account (``lookup_refused``); a 401 refuses the
    credentials themselves (``halted_auth``). Anything else is read
    as for the anonymize call.
    """
    status = answer.status
    parsed = parse_body(answer.body) if status is not None and not answer.oversized else None
    kind = parsed[0] if parsed is not None else None
    if status is not None and 200 <= status < 300 and parsed is not None and kind is BodyKind.DATA:
        count = _record_count(parsed[1])
        if count is not None:
            return Verdict(Kind.SUCCESS, f"{count} record(s) found", records=count)
    error = parsed[1] if parsed is not None and kind is BodyKind.ERROR else None
    if status in (200, 400, 404) and error is not None and _means_no_records(error):
        return Verdict(Kind.SUCCESS, "no record found", records=0)
    if status == 401:  # the credentials, not the lookup: an anonymize call would fail too
        msg = _error_message(parsed) or "HTTP 401: credentials refused"
        return Verdict(Kind.AUTH, msg, Reason.HALTED_AUTH, _error_code(parsed))
    if status in (403, 405) or (status == 404 and kind is not BodyKind.ERROR):
        msg = _error_message(parsed) or f"HTTP {status}"
        return Verdict(Kind.AUTH, msg, Reason.LOOKUP_REFUSED, _error_code(parsed))
    verdict = classify(answer, timeout=timeout)
    if verdict.kind is Kind.SUCCESS:  # a Data body that lists nothing we can count
        return Verdict(
            Kind.TRANSIENT,
            f"HTTP {status}: a Data body that is not a list of records",
            Reason.BAD_ANSWER,
        )
    return replace(verdict, uncertain=False)  # a lookup changes nothing: no answer is "lost"


#: Fields of a record in the lookup's answer (any one of them makes a dict a record).
_RECORD_FIELDS = frozenset(
    {"email", "sms_telephone", "first_name", "last_name", "number_customergauge"}
)
#: The vendor's code for "no records", as our notes record it (not in its published table).
_NO_RECORDS_CODE = "300005"
_NO_RECORDS = re.compile(r"\bno\s+(?:matching\s+)?(?:records?|contacts?|results?)\b", re.I)


def _record_count(data: Any) -> int | None:
    """How many records a lookup's ``Data`` lists; None when it is not a listing."""
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        if not data:
            return 0
        if any(isinstance(k, str) and k.lower() in _RECORD_FIELDS for k in data):
            return 1  # a single record, not wrapped in a list
    return None


def _means_no_records(error: dict[str, Any]) -> bool:
    """Whether a vendor ``Error`` says the key matched nothing."""
    code = error.get("code")
    if code is not None and str(code) == _NO_RECORDS_CODE:
        return True
    message = error.get("message")
    return isinstance(message, str) and _NO_RECORDS.search(message) is not None


def _transport(transport: Transport, detail: str, timeout: float | None) -> Verdict:
    after = f" after {timeout:g} s" if timeout else ""
    if not transport.sent:
        return Verdict(
            Kind.TRANSIENT, f"could not connect: {detail or 'connection failed'}", Reason.CONNECTION
        )
    if transport is Transport.TIMEOUT:
        return Verdict(
            Kind.TRANSIENT,
            f"no answer{after} (timed out after sending; the vendor may have acted)",
            Reason.TIMEOUT,
            uncertain=True,
        )
    return Verdict(
        Kind.TRANSIENT,
        f"connection lost before the answer ({detail or 'disconnected'})",
        Reason.CONNECTION,
        uncertain=True,
    )


def _describe(body: bytes) -> str:
    if not body.strip():
        return "empty body"
    return f"unreadable body '{excerpt(body, 80)}'"


def _error_message(parsed: tuple[BodyKind, Any] | None) -> str:
    if parsed is None or parsed[0] is not BodyKind.ERROR:
        return ""
    msg = parsed[1].get("message")
    return excerpt(str(msg).encode(), 200) if msg else ""


def _error_code(parsed: tuple[BodyKind, Any] | None) -> str:
    if parsed is None or parsed[0] is not BodyKind.ERROR:
        return ""
    code = parsed[1].get("code")
    return "" if code is None else excerpt(str(code).encode(), 40)


_classify_remembered = lru_cache(maxsize=256)(_classify)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())
