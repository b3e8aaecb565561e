"""Cutting secrets out of an answer body before anything reads it.

A gateway in front of the API may echo the request's ``Authorization`` header
in its error page; the vendor's message is then quoted in the report, the
journal and the log. So every body is cleaned of every secret first: the API
key, the client secret and the bearer tokens, in every form an echo can take
once decoded by a reader: as written, percent-encoded (either case of hex),
JSON-escaped (``\\u0074``, ``\\/``), as XML/HTML character references
(``&#116;``, ``&#x74;``, ``&amp;``), or any mix of these, one character at a
time; a percent-encoding escaped once more (``\\u00252F``, ``%252F``) too. An
echo cut short is cut from its first ``PREFIX`` characters on.

A run with short-lived OAuth2 tokens may use hundreds of them; every one is
cut from every answer for the whole run (an answer to a request sent with an
early token may quote it long after). ``Redactor`` keeps them all, with one
compiled search for all their beginnings, so an answer that quotes none of
them (nearly all do not) costs one search, however many tokens there were.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

REDACTED = b"[redacted]"
#: An echo cut short is still cut out from this many characters of a secret on.
PREFIX = 8

_NAMED = {"&": b"amp", "<": b"lt", ">": b"gt", '"': b"quot", "'": b"apos"}
_JSON_SHORT = {"/": b"/", '"': b'"', "\\": b"\\"}


def redact(body: bytes, secrets: Iterable[str]) -> bytes:
    """``body`` with every echo of every secret replaced by ``[redacted]``."""
    for secret in secrets:
        if secret:
            body = _cut(body, secret)
    return body


class Redactor:
    """Every secret of a run, kept for the whole run, cut from each answer with ``redact``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: dict[str, None] = {}  # insertion order, each once
        self._any: re.Pattern[bytes] | None = None
        self._own: dict[str, tuple[re.Pattern[bytes], tuple[re.Pattern[bytes], ...]]] = {}
        for secret in secrets:
            self.add(secret)

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._secrets)} hidden>)"

    def __len__(self) -> int:
        return len(self._secrets)

    def secrets(self) -> tuple[str, ...]:
        """Every secret remembered, in the order they came."""
        return tuple(self._secrets)

    def add(self, secret: str) -> None:
        """Remember ``secret`` (no-op when empty or already known)."""
        if secret and secret not in self._secrets:
            self._secrets[secret] = None
            self._own[secret] = _compile(secret)
            self._any = None  # rebuilt on the next answer

    def redact(self, body: bytes) -> bytes:
        """``body`` with every echo of every secret remembered replaced by ``[redacted]``."""
        if not self._secrets:
            return body
        if self._any is None:
            heads = (self._own[s][0].pattern for s in self._secrets)
            self._any = re.compile(b"|".join(b"(?:" + h + b")" for h in heads))
        if self._any.search(body) is None:
            return body
        for secret in self._secrets:
            body = _cut_with(body, self._own[secret])
        return body


def _cut(body: bytes, secret: str) -> bytes:
    return _cut_with(body, _patterns(secret))


def _cut_with(
    body: bytes, patterns: tuple[re.Pattern[bytes], tuple[re.Pattern[bytes], ...]]
) -> bytes:
    head, rest = patterns
    pieces: list[bytes] = []
    pos = 0
    while (found := head.search(body, pos)) is not None:
        end = found.end()
        for char in rest:  # as far as the echo goes on matching the secret
            more = char.match(body, end)
            if more is None:
                break
            end = more.end()
        pieces += (body[pos : found.start()], REDACTED)
        pos = end
    if not pieces:
        return body
    return b"".join(pieces) + body[pos:]


@lru_cache(maxsize=32)
def _patterns(secret: str) -> tuple[re.Pattern[bytes], tuple[re.Pattern[bytes], ...]]:
    return _compile(secret)


def _compile(secret: str) -> tuple[re.Pattern[bytes], tuple[re.Pattern[bytes], ...]]:
    """A pattern for the secret's first ``PREFIX`` characters, and one for each after."""
    forms = [_forms(ch) for ch in secret]
    head = b"".join(b"(?:" + f + b")" for f in forms[:PREFIX])
    return re.compile(head), tuple(re.compile(f) for f in forms[PREFIX:])


def _forms(ch: str) -> bytes:
    """A regular expression for every way one character may be written in an answer.

    The character as written or escaped (``_escaped``), or percent-encoded,
    where the ``%`` and each hex digit may be escaped once more (a gateway
    that quotes a URL-encoded form inside JSON or XML), or ``%`` be ``%25``.
    """
    percent = b"(?:%25|" + _escaped("%") + b")"
    encoded = b"".join(
        percent + b"".join(_hex_digit(d) for d in f"{byte:02x}") for byte in ch.encode()
    )
    plus = rb"\+|" if ch == " " else b""
    return encoded + b"|" + plus + _escaped(ch)


def _hex_digit(digit: str) -> bytes:
    """One hex digit of a percent-encoding, in either case, as written or escaped."""
    if not digit.isalpha():
        return b"(?:" + _escaped(digit) + b")"
    return b"(?:" + _escaped(digit) + b"|" + _escaped(digit.upper()) + b")"


def _escaped(ch: str) -> bytes:
    """``ch`` as written, JSON-escaped (``\\u0074``, ``\\/``), or as an XML/HTML reference."""
    code = ord(ch)
    alts = []
    if code < 0x10000:
        alts.append(rb"\\u" + _hex_ci(code, 4))
    else:
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        alts.append(rb"\\u" + _hex_ci(high, 4) + rb"\\u" + _hex_ci(low, 4))
    if ch in _JSON_SHORT:
        alts.append(re.escape(b"\\" + _JSON_SHORT[ch]))
    alts.append(b"&#0*" + str(code).encode() + b";")
    alts.append(b"&#[xX]0*" + _hex_ci(code, 0) + b";")
    if ch in _NAMED:
        alts.append(b"&" + _NAMED[ch] + b";")
    # As written comes last: each character is matched on its own, the first form that
    # fits wins, and the "&" of "&#38;" must not be taken for a "&" as written.
    alts.append(re.escape(ch.encode("utf-8")))
    return b"|".join(alts)


def _hex_ci(value: int, width: int) -> bytes:
    """``value`` in hexadecimal, each letter matched in either case."""
    digits = f"{value:0{width}x}" if width else f"{value:x}"
    return b"".join(f"[{d}{d.upper()}]".encode() if d.isalpha() else d.encode() for d in digits)
