"""Who a key is: its identity, its forms, its keyed hash, and how to show it masked.

One rule for every stage that compares keys (dedupe on resume, the handover's
pseudonyms, the ledger, the sandbox's matching): an email is the same address
ignoring case and surrounding space; a telephone is the same number when its
digits are, after an international ``00`` prefix is dropped (``+44 7700
900123``, ``0044 7700 900123`` and ``447700900123`` are one number: the
digits-only form with country code that CustomerGauge stores).

- **identity** (``identity``, ``vendor_identity``): what is compared and hashed;
- **forms** (``forms_of``, ``key_form``, ``value_in``, ``sent_key``): the
  values a key is looked up and sent in (vendor form, as written, E.164,
  lower-cased), and which form a value is;
- **keyed hash** (``pseudonym``): HMAC-SHA-256 of the identity, the one hash
  the ledger, the handover copy and ``redact`` hold (its values are a
  contract: existing ledgers and copies are matched by them);
- **telephone tail** (``phone_tail``): the last 9 digits, which find a number
  inside free text whatever its prefix;
- **mask** (``mask``, ``mask_keys_in``): what a person may see of a key.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from .records import KeyForm, KeyType, Line

_NON_DIGIT = re.compile(r"\D")
#: A key replaced by ``redact``: its masked hint, then `` #`` and its keyed hash (hex).
_REDACTED = re.compile(r"(.*) #([0-9a-f]{64})", re.DOTALL)


def email_identity(email: str) -> str:
    """An email as compared: trimmed and lower-cased."""
    return email.strip().lower()


def phone_identity(telephone: str) -> str:
    """A telephone as compared: its digits, without an international ``00`` prefix."""
    text = telephone.strip()
    if text.startswith("00"):
        text = text[2:]
    return _NON_DIGIT.sub("", text)


def identity(key_type: KeyType | None, key: str) -> str:
    """The identity of ``key`` for its type (an untyped key is compared as an email)."""
    if key_type is KeyType.TELEPHONE:
        return phone_identity(key)
    return email_identity(key)


def vendor_identity(key_type: KeyType | None, key: str, norm: str = "") -> str:
    """The identity the ledger and the keyed hash use: an email lower-cased, a telephone in
    the vendor's stored form.

    ``norm`` is the plan's normalised form (a telephone's vendor form, when the
    validator knew it: ``07700 900123`` with ``--default-region GB`` is
    ``447700900123``); without it, the key's digits (``+44 7700 900123`` and
    ``447700900123`` are one number).
    """
    if key_type is KeyType.TELEPHONE and norm.isdigit():
        return norm
    return identity(key_type, key)


def pseudonym(secret: bytes, key: str, key_type: KeyType | None = None, norm: str = "") -> str:
    """The keyed hash of a key: HMAC-SHA256 of its ``vendor_identity``, in hex.

    Without ``key_type`` the type is guessed from the key (an ``@`` is an email).
    """
    kt = key_type or guess_type(key)
    text = vendor_identity(kt, key, norm)
    return hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()


#: The digits of a telephone compared inside free text: no country or trunk prefix.
TAIL_DIGITS = 9
_MIN_TAIL = 7  # fewer digits name nobody, and would match counts and dates


def digits(text: str) -> str:
    """The digits of ``text``, nothing else."""
    return _NON_DIGIT.sub("", text)


def phone_tail(text: str) -> str:
    """The last 9 digits of a telephone, without country or trunk prefix (so ``07700
    900123`` and ``+44 7700 900123`` share it); "" when it has fewer than 7 digits."""
    found = digits(text)
    return found[-TAIL_DIGITS:] if len(found) >= _MIN_TAIL else ""


def guess_type(key: str) -> KeyType:
    """The type of a key given without one (``history KEY``, a sandbox log line)."""
    return KeyType.EMAIL if "@" in key else KeyType.TELEPHONE


def mask(key: str) -> str:
    """A masked key a person can recognise: ``j***@example.com``, ``+44 77** ***123``.

    Shown wherever a key must not be written in full (logs, handover copies).
    """
    k = key.strip()
    if not k:
        return ""
    hint = redacted_hint(k)
    if hint is not None:  # already pseudonymised by ``redact``: its hint is the masked form
        return hint
    if "@" in k:
        local, _, domain = k.rpartition("@")
        # without a local part the domain is the whole key: nothing of it shows
        return f"{local[:1]}***@{domain}" if local else "***"
    digits = _NON_DIGIT.sub("", k)
    if len(digits) < 6:
        return "***"
    head, tail = (4, 3) if len(digits) >= 9 else (2, 2)
    out, seen = [], 0
    for ch in k:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen <= head or seen > len(digits) - tail else "*")
        else:
            out.append(ch)
    return "".join(out)


def sent_key(line: Line, form: KeyForm | None) -> str:
    """The value of ``line``'s key in ``form``: what was sent and looked up (the report's
    ``key``); ``line.key`` when ``form`` is None or the line does not know that form."""
    telephone = line.key_type is KeyType.TELEPHONE
    if telephone and form is KeyForm.VENDOR and line.norm.isdigit():
        value = line.norm
    elif telephone and form is KeyForm.E164 and line.norm.isdigit():
        value = "+" + line.norm
    elif telephone and form is KeyForm.AS_WRITTEN:
        value = line.written
    elif not telephone and form is KeyForm.LOWERCASE:
        value = line.key.lower()
    else:
        value = ""
    return value or line.key


def forms_of(line: Line) -> list[tuple[KeyForm, str]]:
    """The forms to look a key up in, the one it is sent in first; each value once.

    A telephone: the form it is sent in (the vendor's, unless sent as written),
    then as written and with ``+``; an email: as written, then lower-cased.
    """
    if line.key_type is None:
        return []
    out: list[tuple[KeyForm, str]] = [(key_form(line, line.key), line.key)]
    if line.key_type is KeyType.TELEPHONE:
        candidates = [(KeyForm.VENDOR, line.norm), (KeyForm.AS_WRITTEN, line.written)]
        if line.norm.isdigit():
            candidates.append((KeyForm.E164, "+" + line.norm))
    else:
        candidates = [(KeyForm.LOWERCASE, line.key.lower())]
    seen = {line.key}
    for form, value in candidates:
        if value and value not in seen:
            seen.add(value)
            out.append((form, value))
    return out


def key_form(line: Line, value: str) -> KeyForm:
    """Which form ``value`` is of ``line``'s key."""
    if line.key_type is KeyType.TELEPHONE:
        if value == line.norm and value.isdigit():
            return KeyForm.VENDOR
        if value == "+" + line.norm:
            return KeyForm.E164
        return KeyForm.AS_WRITTEN
    if value == line.key:
        return KeyForm.VENDOR
    return KeyForm.LOWERCASE


def value_in(line: Line, form: KeyForm) -> str:
    """The key of ``line`` in ``form`` ("" when the line does not know that form)."""
    for f, value in forms_of(line):
        if f is form:
            return value
    return ""


def redacted(hint: str, keyed_hash: str) -> str:
    """The text that stands for a key in a redacted report: ``j***@example.com #<hash>``."""
    return f"{hint} #{keyed_hash}"


def redacted_hint(text: str) -> str | None:
    """The masked hint of a ``redacted`` text; None when ``text`` is not one."""
    m = _REDACTED.fullmatch(text)
    return m[1] if m else None


def redacted_hash(text: str) -> str | None:
    """The keyed hash of a ``redacted`` text; None when ``text`` is not one."""
    m = _REDACTED.fullmatch(text.strip())
    return m[2] if m else None


# What may be a key inside other text (a request id): an address, or a run of telephone
# writing with 8+ digits. A run that is not the whole text must start as a telephone does
# (``+``, ``0`` or ``(``): ``REQ-2024-000123`` is a ticket number, ``+44 7700 900123`` and
# ``call 07700 900123`` hold a key; a whole text of digits (``447700900123``) may be one.
_EMAIL_IN = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+")
_PHONE_IN = re.compile(r"[+(]*\d[\d \t().\-/]*\d")
_PHONE_DIGITS = 8


def mask_keys_in(text: str) -> str:
    """``text`` with every email address and telephone number in it masked (``mask``).

    For text that is shown or stored where no key may be (a request id on a
    certificate, in its file name, in the ledger): ``alice.h@example.com`` ->
    ``a***@example.com``, ``+44 7700 900555`` -> ``+44 77** ***555``.
    """
    out = _EMAIL_IN.sub(lambda m: mask(m[0]), text)
    whole = out.strip()

    def phone(m: re.Match[str]) -> str:
        run = m[0]
        digits = sum(c.isdigit() for c in run)
        if digits < _PHONE_DIGITS:
            return run
        if run[0] in "+0(" or run == whole:
            return mask(run)
        return run

    return _PHONE_IN.sub(phone, out)


def holds_key(text: str) -> bool:
    """Whether ``text`` holds an email address or a telephone number (``mask_keys_in``)."""
    return mask_keys_in(text) != text
