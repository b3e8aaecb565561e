"""The sandbox's contact store: past customer records, found and overwritten by key.

Keys are matched by the project's one identity rule (``core.identity``): an
email ignoring case and surrounding space, a telephone by its digits after an
international ``00`` is dropped. Anonymizing overwrites a record the way the
vendor does, after which it matches by neither of its keys.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from ..core.identity import email_identity, phone_identity

ANONYMISED_COMMENT = "This comment has been anonymised based on customer request"


# Not frozen: anonymizing overwrites a record in place, as the vendor does, and
# tests hold on to the records to look at them afterwards.
@dataclass(slots=True)
class Contact:
    """One past customer record, with the fields the vendor overwrites."""

    email: str
    sms_telephone: str
    first_name: str
    last_name: str
    number_customergauge: str
    job_level: str = "Manager"
    job_position: str = "Buyer"
    follow_up: str = "Call back in May"
    nps_comment: str = "Quick and friendly service."
    anonymized: bool = False

    def listing(self) -> dict[str, str]:
        """The fields the pre-check shows."""
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "sms_telephone": self.sms_telephone,
            "number_customergauge": self.number_customergauge,
        }


class ContactStore:
    """Contacts in memory, indexed by email identity and by telephone identity.

    ``contacts`` holds every record ever added, in order, anonymized or not;
    the indexes hold only the records a key still matches. ``seed`` seeds the
    generator of anonymized addresses (``None``: unpredictable).
    """

    def __init__(self, seed: int | None = 0) -> None:
        self.contacts: list[Contact] = []
        self._by_email: dict[str, list[Contact]] = {}
        self._by_phone: dict[str, list[Contact]] = {}
        self._rng = random.Random(seed)

    def add(
        self,
        *,
        email: str | None = None,
        telephone: str | None = None,
        first_name: str = "",
        last_name: str = "",
    ) -> Contact:
        """Add one record, found by its email and/or telephone; return it."""
        contact = Contact(
            email or "",
            telephone or "",
            first_name,
            last_name,
            str(100001 + len(self.contacts)),
        )
        self.contacts.append(contact)
        if email:
            self._by_email.setdefault(email_identity(email), []).append(contact)
        # A telephone without digits can never be asked for: it is not indexed.
        if telephone and phone_identity(telephone):
            self._by_phone.setdefault(phone_identity(telephone), []).append(contact)
        return contact

    def seed(self, emails: Iterable[str], telephones: Iterable[str]) -> None:
        """Add one record per email and one per telephone."""
        for i, email in enumerate(emails):
            self.add(email=email, first_name="Test", last_name=f"Email{i}")
        for i, phone in enumerate(telephones):
            self.add(telephone=phone, first_name="Test", last_name=f"Phone{i}")

    def find(self, key_type: str, key: str) -> list[Contact]:
        """The records (not yet anonymized) that ``key`` matches.

        ``key_type`` is ``email``; anything else is looked up as a telephone.
        """
        if key_type == "email":
            return list(self._by_email.get(email_identity(key), ()))
        return list(self._by_phone.get(phone_identity(key), ()))

    def anonymize(self, key_type: str, key: str) -> int:
        """Overwrite every record of ``key`` as the vendor does; return how many."""
        if key_type == "email":
            found = self._by_email.pop(email_identity(key), [])
        else:
            found = self._by_phone.pop(phone_identity(key), [])
        for c in found:
            # The record no longer matches by its other key either.
            if key_type == "email" and c.sms_telephone:
                _discard(self._by_phone.get(phone_identity(c.sms_telephone)), c)
            if key_type == "telephone" and c.email:
                _discard(self._by_email.get(email_identity(c.email)), c)
            c.email = f"anon-{self._rng.getrandbits(48):012x}@example.net"
            c.first_name = c.last_name = c.sms_telephone = "***"
            c.number_customergauge = c.follow_up = "***"
            c.job_level, c.job_position = "*", "--"
            c.nps_comment = ANONYMISED_COMMENT
            c.anonymized = True
        return len(found)


def _discard(records: list[Contact] | None, contact: Contact) -> None:
    if records and contact in records:
        records.remove(contact)
