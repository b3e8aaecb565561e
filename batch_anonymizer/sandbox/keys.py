"""Which key a request names: the v4.1 form or query, or the v6 JSON body.

A ``KeyRequest`` is what the routes act on: the key and its type, and why the
request is refused (``problem``, a (message, code) pair from ``wire``), if it is.

The v6 body is our reading of the vendor's page "POST Anonymize Contact": a JSON
object with exactly one of ``email`` or the telephone field, whose name the page
gives twice (``telephone`` in its text, ``phone`` in its payload table). The
sandbox accepts one of them (``V6_PHONE_FIELDS``, chosen per sandbox) and
answers the other with a 400 that names both, as a strict server would answer
any field it does not know.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .wire import MSG_BAD_EMAIL, MSG_BAD_PHONE, MSG_NO_KEY

#: What the sandbox takes for an email address (the vendor's own rule is not published).
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")

#: The two names of the v6 telephone field; the sandbox takes one (``Sandbox.v6_phone_field``).
#: The sandbox's own copy, not the client's: a simulator that shared the client's idea of
#: the contract could not catch a client that got it wrong.
V6_PHONE_FIELDS = ("phone", "telephone")
MSG_V6_NOT_JSON = ("The request body must be a JSON object", 300000)


@dataclass(frozen=True, slots=True)
class KeyRequest:
    """The key a request names, and why it is refused (``problem``; ``None``: valid).

    ``key_type`` is ``email``, ``telephone``, ``both`` (``key`` then holds
    both, space separated) or ``""`` (none given). ``problem`` is a
    (message, code) pair from ``wire``.
    """

    key_type: str
    key: str
    problem: tuple[str, int] | None


def parse_key(fields: dict[str, str]) -> KeyRequest:
    """Read ``email`` / ``telephone`` from a form or query: exactly one must be given."""
    email = fields.get("email", "")
    phone = fields.get("telephone", "")
    if email.strip() and phone.strip():
        return KeyRequest("both", f"{email} {phone}", MSG_NO_KEY)
    if email.strip():
        return KeyRequest("email", email, None if EMAIL.match(email.strip()) else MSG_BAD_EMAIL)
    if phone.strip():
        # Valid when it holds a digit; whether it matches is the store's business.
        valid = any(c.isdigit() for c in phone)
        return KeyRequest("telephone", phone, None if valid else MSG_BAD_PHONE)
    return KeyRequest("", "", MSG_NO_KEY)


def v6_no_key(phone_field: str) -> tuple[str, int]:
    """The v6 answer to a body with neither key, or both."""
    return (f"Please make an API request by email or {phone_field}", MSG_NO_KEY[1])


def parse_v6_key(raw: bytes, phone_field: str) -> KeyRequest:
    """Read the v6 JSON body: exactly one of ``email`` or ``phone_field``, as strings.

    Any other field (the other telephone name too) is refused, naming it and the
    names that are taken; that request's ``key_type`` is ``telephone`` when the
    field was the other telephone name, so the log shows what was sent.
    """
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        doc = None
    if not isinstance(doc, dict):
        return KeyRequest("", "", MSG_V6_NOT_JSON)
    for name, value in doc.items():
        if name not in ("email", phone_field):
            phone = name in V6_PHONE_FIELDS and isinstance(value, str)
            msg = f"Unknown field '{name}': send 'email' or '{phone_field}'"
            return KeyRequest("telephone" if phone else "", value if phone else "", (msg, 300000))
    email, telephone = doc.get("email"), doc.get(phone_field)
    if email is not None and telephone is not None:
        return KeyRequest("both", f"{email} {telephone}", v6_no_key(phone_field))
    if email is not None:
        if not isinstance(email, str) or not EMAIL.match(email.strip()):
            return KeyRequest("email", str(email), MSG_BAD_EMAIL)
        return KeyRequest("email", email, None)
    if telephone is not None:
        if not isinstance(telephone, str) or not any(c.isdigit() for c in telephone):
            bad = (f"{phone_field.capitalize()} is not valid", MSG_BAD_PHONE[1])
            return KeyRequest("telephone", str(telephone), bad)
        return KeyRequest("telephone", telephone, None)
    return KeyRequest("", "", v6_no_key(phone_field))
