"""What a header says about its column, from its words: a key, a doubt, or a description.

A header is split into words at case changes, spaces, ``_``, ``-`` and other
signs (``MobilePhone``, ``PERSONAL_EMAIL``, ``sms_telephone``, ``E-mail``);
a run-together word is split into known words (``emailaddress``,
``mobilephone``). Then, in this order:

- a fax word (``fax``) rejects the column: a fax number is not a telephone;
- no email word (``email``, ``e-mail``, ``mail``) and no telephone word
  (``phone``, ``telephone``, ``tel``, ``mobile``, ``cell``, ``sms``): an
  identifier header (``Identifier``, ``Core Identifier``, ``User ID``) may
  hold emails, its cells decide; any other header is not a key column;
- a word naming someone else (``owner``, ``assistant``, ``manager``,
  ``created by``...) rejects it: that key is another person's;
- a describing word after the last key word (``Email opt-in``, ``Email
  verified``, ``Phone type``, ``Email bounced``, ``Phone consent``, ``Email
  date``, ``SMS count``) rejects it: it describes a key, it holds none;
- every other word a key word or a holder word (``work``, ``personal``,
  ``preferred``, ``number``, ``address``, digits...): a key column;
- anything else (unknown words, or a describing word before the key word, as
  in ``Verified email``): a doubt, decided by the column's cells.

Pure string work, done once per column: nothing here looks at cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache, lru_cache

from ..core.records import KeyType
from .cells import header_key, trim

EMAIL_WORDS = frozenset({"email", "emails", "mail", "mails"})
PHONE_WORDS = frozenset(
    {"phone", "phones", "telephone", "telephones", "tel", "mobile", "mobiles", "cell"}
    | {"cellular", "sms"}
)
FAX_WORDS = frozenset({"fax", "faxes", "telefax", "facsimile"})
# Words that say whose or which key a column holds, not what is said about it.
HOLDER_WORDS = frozenset(
    {"address", "addresses", "addr", "number", "numbers", "no", "nr", "work", "home"}
    | {"personal", "private", "business", "office", "preferred", "primary", "secondary"}
    | {"main", "other", "alt", "alternate", "alternative", "additional", "second", "third"}
    | {"backup", "contact", "customer", "client", "user", "member", "person", "subscriber"}
    | {"direct", "landline", "previous", "former", "old", "new", "billing", "shipping"}
    | {"recovery", "login", "lead", "international", "intl", "current", "default", "your"}
)
# Words that say something about a key: flags, consents, kinds, dates and counts.
DESCRIBING_WORDS = frozenset(
    {"opt", "optin", "optout", "opted", "consent", "consents", "consented", "permission"}
    | {"permissions", "subscribed", "subscription", "subscriptions", "subscribe"}
    | {"unsubscribe", "unsubscribed", "verified", "verification", "verify", "validated"}
    | {"validation", "valid", "invalid", "confirmed", "confirmation", "bounced", "bounce"}
    | {"bounces", "type", "types", "kind", "status", "state", "flag", "flags", "is", "has"}
    | {"allow", "allowed", "allows", "enabled", "disabled", "preference", "preferences"}
    | {"pref", "prefs", "frequency", "format", "domain", "provider", "carrier", "country"}
    | {"region", "code", "prefix", "extension", "ext", "count", "counts", "total", "sent"}
    | {"opened", "opens", "clicks", "clicked", "delivered", "delivery", "deliverability"}
    | {"date", "dates", "time", "timestamp", "at", "on", "when", "changed", "updated"}
    | {"modified", "created", "added", "hash", "hashed", "md5", "sha1", "sha256", "encrypted"}
    | {"masked", "score", "quality", "reason", "error", "errors", "template", "campaign"}
    | {"subject", "body", "message", "list", "label", "tag", "tags", "category", "source"}
    | {"channel", "notification", "notifications", "do", "not", "never", "dnc", "ok", "yes"}
)
# Words that make the key someone else's: never anonymized without being named.
OTHER_PERSON_WORDS = frozenset(
    {"owner", "assistant", "manager", "agent", "rep", "representative", "assignee"}
    | {"assigned", "reviewer", "approver", "creator", "author", "by", "emergency"}
    | {"referrer", "guardian", "parent", "spouse", "admin", "supervisor"}
)
IDENTIFIER_WORDS = frozenset({"identifier", "identifiers"})
ID_WORDS = frozenset({"id", "ids", "uid"})
# "X ID" is a person's identifier (which may be an email) only for these X.
ID_PERSON_WORDS = frozenset(
    {"user", "core", "customer", "contact", "subject", "person", "member", "client"}
    | {"external", "data", "lead", "profile", "subscriber"}
)
_KEY_WORDS = EMAIL_WORDS | PHONE_WORDS
_VOCABULARY = (
    _KEY_WORDS
    | FAX_WORDS
    | HOLDER_WORDS
    | DESCRIBING_WORDS
    | OTHER_PERSON_WORDS
    | IDENTIFIER_WORDS
    | ID_WORDS
    | {"in", "out", "of"}
)
# Run-together words are split only into known words of 3+ letters, but for these
# at the end (``phoneno``, ``emailoptin``, ``createdby``): "intel" is not "in tel".
_SHORT_ENDINGS = frozenset({"no", "nr", "id", "at", "on", "in", "by"})


class HeaderKind(Enum):
    """What a header's words say about its column."""

    NONE = "none"  # names no key: not a key column, not listed
    KEY = "key"  # names a key and nothing else: a key column
    DOUBT = "doubt"  # names a key with other words: its cells decide
    DESCRIBES = "describes"  # describes a key (opt-in, verified, type, date...)
    OTHER_PERSON = "other_person"  # someone else's key (owner, assistant...)
    FAX = "fax"  # a fax number
    IDENTIFIER = "identifier"  # an identifier: used when its cells are emails


@dataclass(frozen=True, slots=True)
class HeaderReading:
    """A header read: its kind, the key types its words name, and the words that decided."""

    kind: HeaderKind
    key_types: tuple[KeyType, ...] = ()
    # the words that decided: fax, other-person or unknown words, or (DESCRIBES) the
    # words after the last key word but holder words ("opt", "in" of "Email opt-in")
    words: tuple[str, ...] = ()


def _camel(chunk: str) -> list[str]:
    """``MobilePhone`` -> Mobile, Phone; ``SMSNumber`` -> SMS, Number; ``email2`` -> email, 2."""
    out: list[str] = []
    start = 0
    for i in range(1, len(chunk)):
        a, b = chunk[i - 1], chunk[i]
        nxt = chunk[i + 1] if i + 1 < len(chunk) else ""
        if (
            (a.islower() and b.isupper())
            or (a.isupper() and b.isupper() and nxt.islower())
            or (a.isdigit() != b.isdigit())
        ):
            out.append(chunk[start:i])
            start = i
    out.append(chunk[start:])
    return out


# No known word is longer: a run-together token is tried only at word lengths up to this.
_LONGEST_WORD = max(map(len, _VOCABULARY))
# A longer run-together token is left whole: no header runs 64 letters of words together,
# and a hostile one of megabytes costs nothing.
_LONGEST_SPLIT = 64


@lru_cache(maxsize=4096)
def _segments(token: str) -> tuple[str, ...] | None:
    """A run-together lowercase token as known words (``mobilephone``), or None.

    The longest known first word whose rest splits too (a rest of 3+ letters, or
    one of ``_SHORT_ENDINGS``), as a recursive search would find it, but worked
    back from the end of the token: linear in its length, no recursion, and
    none at all past ``_LONGEST_SPLIT`` letters (``phone`` x 1200 stays whole).
    """
    if token in _VOCABULARY:
        return (token,)
    n = len(token)
    if n > _LONGEST_SPLIT:
        return None
    # ends[i]: where the first word of token[i:] ends (n: token[i:] is one known word),
    # or -1 when token[i:] does not split into known words.
    ends = [-1] * (n + 1)
    for i in range(n - 1, -1, -1):
        if i and n - i <= _LONGEST_WORD and token[i:] in _VOCABULARY:
            ends[i] = n
            continue
        for end in range(min(n - 1, i + _LONGEST_WORD), i + 2, -1):
            if token[i:end] not in _VOCABULARY:
                continue
            if (n - end <= 2 and token[end:] in _SHORT_ENDINGS) or (
                n - end >= 3 and ends[end] != -1
            ):
                ends[i] = end
                break
    if ends[0] == -1:
        return None
    words: list[str] = []
    i = 0
    while i < n:
        end = ends[i]
        words.append(token[i:end])
        if n - end <= 2 and end < n:  # a short ending closes the token
            words.append(token[end:])
            break
        i = end
    return tuple(words)


# A header is read from its first characters: no real header is longer, and a hostile
# one of megabytes is read as fast as a short one.
_LONGEST_HEADER = 1000


def header_words(name: str) -> tuple[str, ...]:
    """The words of a header, casefolded: ``E-mail address (work)`` -> email, address, work.

    Only the first ``_LONGEST_HEADER`` characters are read.
    """
    head = trim(name)[:_LONGEST_HEADER]
    chunks = "".join(c if c.isalnum() else " " for c in head).split()
    words = [w.casefold() for chunk in chunks for w in _camel(chunk)]
    merged: list[str] = []
    for w in words:
        if merged and merged[-1] == "e" and w in ("mail", "mails"):
            merged[-1] = "e" + w  # E-mail, E mail, eMail
        else:
            merged.append(w)
    out: list[str] = []
    for w in merged:
        seg = _segments(w) if w not in _VOCABULARY and w.isalpha() else None
        out.extend(seg if seg is not None and set(seg) & _SPLIT_FOR else (w,))
    return tuple(out)


# A run-together word is split only when that finds a word that decides something.
_SPLIT_FOR = _KEY_WORDS | FAX_WORDS | IDENTIFIER_WORDS | ID_WORDS


@cache
def read_header(name: str) -> HeaderReading:
    """What the header ``name`` says about its column (see the module docstring)."""
    words = header_words(name)
    if not words:
        return HeaderReading(HeaderKind.NONE)
    fax = [w for w in words if w in FAX_WORDS]
    if fax:
        return HeaderReading(HeaderKind.FAX, (KeyType.TELEPHONE,), tuple(fax))
    types = tuple(
        t
        for t, vocab in ((KeyType.EMAIL, EMAIL_WORDS), (KeyType.TELEPHONE, PHONE_WORDS))
        if any(w in vocab for w in words)
    )
    others = tuple(w for w in words if w in OTHER_PERSON_WORDS)
    if not types:
        if _identifier(words) and not others:
            return HeaderReading(HeaderKind.IDENTIFIER, (KeyType.EMAIL,))
        return HeaderReading(HeaderKind.NONE)
    if others:
        return HeaderReading(HeaderKind.OTHER_PERSON, types, others)
    last_key = max(i for i, w in enumerate(words) if w in _KEY_WORDS)
    after = tuple(w for w in words[last_key + 1 :] if w not in HOLDER_WORDS and not w.isdigit())
    if any(w in DESCRIBING_WORDS for w in after):
        return HeaderReading(HeaderKind.DESCRIBES, types, after)
    unknown = tuple(
        w for w in words if w not in _KEY_WORDS and w not in HOLDER_WORDS and not w.isdigit()
    )
    if unknown:
        return HeaderReading(HeaderKind.DOUBT, types, unknown)
    return HeaderReading(HeaderKind.KEY, types)


def _identifier(words: tuple[str, ...]) -> bool:
    if any(w in IDENTIFIER_WORDS for w in words):
        return True
    return words[-1] in ID_WORDS and any(w in ID_PERSON_WORDS for w in words[:-1])


def names_key(name: str) -> bool:
    """Whether ``name`` plainly names a key column (``Email``, ``Work Phone``): header rows."""
    return read_header(name).kind is HeaderKind.KEY


def may_hold_keys(name: str) -> bool:
    """Whether a column of this name can become a key column without being named."""
    return read_header(name).kind in (HeaderKind.KEY, HeaderKind.DOUBT, HeaderKind.IDENTIFIER)


# -- the request id and the date received (found by header, compared as header_key) ---------

#: Headers of the request id column, in order of preference.
REQUEST_ID_HEADERS = ("requestid", "caseid", "dsrid", "ticket", "ticketid", "reference", "request")
#: Headers of the date-received column, in order of preference.
DATE_RECEIVED_HEADERS = (
    "datereceived",
    "received",
    "receivedon",
    "dateofrequest",
    "requestdate",
    "submittedat",
    "datesubmitted",
    "submitted",
    "createdat",
    "created",
)
#: Headers of the column that says a request's deadline was extended (Art. 12(3)).
EXTENSION_HEADERS = ("extended", "extension", "deadlineextended", "extensionnotified")
#: Headers of the request-type column (which right was asked for), in order of preference.
TYPE_HEADERS = (
    "requesttype",
    "dsrtype",
    "dsartype",
    "subjectrequesttype",
    "typeofrequest",
    "requestkind",
    "requestcategory",
    "righttype",
    "rightexercised",
    "right",
    "action",
    "requestaction",
    "type",
)
#: Headers of the column saying the requester's identity was verified (Art. 12(6)). A header
#: describing a key column (``Email verified``) is not among them.
IDENTITY_HEADERS = (
    "identityverified",
    "idverified",
    "identitychecked",
    "idchecked",
    "verifiedidentity",
    "identityconfirmed",
    "identityverification",
    "idverification",
    "idcheck",
    "identitycheck",
    "identity",
)
#: Headers of the column whose filled cell holds a row back (a legal hold, an exception).
HOLD_HEADERS = (
    "hold",
    "legalhold",
    "onhold",
    "holdreason",
    "exception",
    "erasureexception",
    "donoterase",
    "donotdelete",
)
#: Headers of the column naming who handles a request (the register's ``handled_by``).
HANDLER_HEADERS = ("handledby", "owner", "assignee", "assignedto", "handler")


def find_by_header(columns: Sequence[str], headers: Sequence[str]) -> str | None:
    """The column named by the first of ``headers`` found (ignoring case, spaces, - and _)."""
    keys: dict[str, str] = {}
    for c in columns:
        keys.setdefault(header_key(c), c)
    return next((keys[h] for h in headers if h in keys), None)
