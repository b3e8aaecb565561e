"""The sandbox's contact store: people and their survey records, found and overwritten by key.

A person may have several records (one per survey answer); each record holds
one email and one SMS telephone, as the vendor's records do. Matching is the
vendor's as we believe it to be, record by record:

- an email matches ignoring case and surrounding space;
- a telephone matches **exactly** the stored digits (surrounding space
  ignored). Records store telephones in the vendor's form, country code and
  national number, digits only (``447700900123``), so ``+44 7700 900123``
  matches nothing. This is deliberately not ``core.identity``: that rule says
  when two keys are the same person's, this one what the vendor finds.

Anonymizing overwrites every matching record the way the vendor's page lists,
after which the record matches by neither of its keys.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..core.identity import email_identity

_NON_DIGIT = re.compile(r"\D")
# What a written telephone may hold: an optional leading +, digits and separators.
_WRITTEN_PHONE = re.compile(r"^\+?[\d\s().\-/]+$")
_VENDOR_PHONE = re.compile(r"^[1-9]\d*$")  # a country code never starts with 0
ANONYMISED_COMMENT = "This comment has been anonymised based on customer request"

#: The record fields a records file may set, in the order the vendor lists them.
RECORD_FIELDS = (
    "email",
    "sms_telephone",
    "first_name",
    "last_name",
    "number_customergauge",
    "job_level",
    "job_position",
    "follow_up",
    "nps_comment",
    "comment_translation",
    "workflow_comment",
    "auto_reply",
    "review_comment",
    "additional_comment",
)
COMMENT_FIELDS = (
    "nps_comment",
    "comment_translation",
    "workflow_comment",
    "auto_reply",
    "review_comment",
    "additional_comment",
)


def vendor_telephone(text: str) -> str:
    """``text`` as CustomerGauge stores a telephone, or ``text`` trimmed when that is unknown.

    ``+44 7700 900123``, ``+44 (0) 7700 900123``, ``0044 7700-900123`` and
    ``44 7700 900123`` all become ``447700900123``. A national number
    (``07700 900123``) has no country code to add, and text that is not a
    written number (``n/a``, ``ext. 12``) is no number: both are kept as
    written, trimmed.
    """
    t = text.strip()
    if not _WRITTEN_PHONE.match(t) or not _NON_DIGIT.sub("", t):
        return t
    if t.startswith(("+", "00")):
        # "(0)" is the national trunk prefix some people write after the country code.
        digits = _NON_DIGIT.sub("", t.replace("(0)", ""))
        return digits[2:] if t.startswith("00") else digits
    digits = _NON_DIGIT.sub("", t)
    return t if digits.startswith("0") else digits


def is_vendor_telephone(text: str) -> bool:
    """Whether ``text`` (trimmed) is in the vendor's form: digits only, no leading 0."""
    return bool(_VENDOR_PHONE.match(text.strip()))


# Not frozen: anonymizing overwrites a record in place, as the vendor does, and
# tests hold on to the records to look at them afterwards. Compared by identity
# (eq=False): two records with the same fields are still two survey answers.
@dataclass(slots=True, eq=False)
class Record:
    """One survey record of a person, with the fields the vendor overwrites.

    ``person`` is the index of its person in ``ContactStore.people``.
    """

    email: str
    sms_telephone: str
    first_name: str
    last_name: str
    number_customergauge: str
    job_level: str = "Manager"
    job_position: str = "Buyer"
    follow_up: str = "Call back in May"
    nps_comment: str = "Quick and friendly service."
    comment_translation: str = "Service rapide et aimable."
    workflow_comment: str = "Thanked the customer by phone."
    auto_reply: str = "Thank you for your feedback."
    review_comment: str = "Would recommend."
    additional_comment: str = "Delivery was on time."
    person: int = -1
    anonymized: bool = False

    def listing(self) -> dict[str, str]:
        """The fields the lookup (GET) shows."""
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "sms_telephone": self.sms_telephone,
            "number_customergauge": self.number_customergauge,
        }


#: The earlier name of ``Record``, kept for callers written before people existed.
Contact = Record


@dataclass(frozen=True, slots=True)
class Person:
    """A person to seed: their keys and how many records they have.

    Record ``i`` carries ``emails[i % len(emails)]`` and ``telephones[i %
    len(telephones)]`` (empty when the person has none of that kind), so a
    key beyond the number of records is held by no record. With
    ``by_channel``, a person with emails and telephones has email records
    first and, last, one SMS record per telephone that carries only the
    telephone (survey answers by email and by SMS): anonymizing by the email
    then leaves the SMS records, as it would at the vendor. Telephones are
    stored as given: give them in the vendor's form.
    """

    emails: Sequence[str] = ()
    telephones: Sequence[str] = ()
    records: int = 1
    first_name: str = "Test"
    last_name: str = ""
    by_channel: bool = False


class ContactStore:
    """People and records in memory, indexed by email identity and by exact telephone.

    ``people`` holds every person seeded, ``all_records()`` every record ever
    added, in order, anonymized or not; the indexes hold only the records a
    key still matches. ``seed`` seeds the generator of anonymized addresses
    (``None``: unpredictable).
    """

    def __init__(self, seed: int | None = 0) -> None:
        self.people: list[Person] = []
        self._records: list[Record] = []
        self._by_email: dict[str, list[Record]] = {}
        self._by_phone: dict[str, list[Record]] = {}
        self._rng = random.Random(seed)

    # -- adding ------------------------------------------------------------------

    def add_record(self, person: int | None = None, **values: str) -> Record:
        """Add one record with the given fields (names as in ``RECORD_FIELDS``); return it.

        ``person`` is the index of an existing person (``None``: a new person
        holding this record's keys). ``number_customergauge`` defaults to a
        running number. Values are stored as given (telephones too).
        """
        unknown = set(values) - set(RECORD_FIELDS)
        if unknown:
            raise TypeError(f"unknown record field(s): {', '.join(sorted(unknown))}")
        if person is not None and not 0 <= person < len(self.people):
            raise ValueError(f"no person {person}: add the person first (add_person)")
        if person is None:
            email, phone = values.get("email", ""), values.get("sms_telephone", "")
            person = self._new_person(Person((email,) if email else (), (phone,) if phone else ()))
        record = Record(
            email=values.pop("email", ""),
            sms_telephone=values.pop("sms_telephone", ""),
            first_name=values.pop("first_name", ""),
            last_name=values.pop("last_name", ""),
            number_customergauge=values.pop("number_customergauge", "")
            or str(100001 + len(self._records)),
            person=person,
        )
        for name, value in values.items():
            setattr(record, name, value)
        self._records.append(record)
        self._index(record)
        return record

    def add(
        self,
        *,
        email: str | None = None,
        telephone: str | None = None,
        first_name: str = "",
        last_name: str = "",
    ) -> Record:
        """Add a new person with one record, found by its email and/or telephone."""
        return self.add_record(
            email=email or "",
            sms_telephone=telephone or "",
            first_name=first_name,
            last_name=last_name,
        )

    def add_person(self, person: Person) -> list[Record]:
        """Add ``person`` and their records; return the records (none when ``records`` is 0)."""
        index = self._new_person(person)
        emails, phones = list(person.emails), list(person.telephones)
        n = person.records
        sms = min(len(phones), n - 1) if person.by_channel and emails and n > 1 else 0
        keys = [
            (emails[i % len(emails)] if emails else "", phones[i % len(phones)] if phones else "")
            for i in range(n - sms)
        ]
        keys = [(e, "" if sms else p) for e, p in keys] + [("", phones[i]) for i in range(sms)]
        return [
            self.add_record(
                index,
                email=email,
                sms_telephone=phone,
                first_name=person.first_name,
                last_name=person.last_name,
            )
            for email, phone in keys
        ]

    def add_person_records(self, records: Sequence[Mapping[str, str]]) -> list[Record]:
        """Add a new person holding exactly ``records`` (each field -> value); return them."""
        emails = tuple(dict.fromkeys(r["email"] for r in records if r.get("email")))
        phones = tuple(dict.fromkeys(r["sms_telephone"] for r in records if r.get("sms_telephone")))
        first = next((r["first_name"] for r in records if r.get("first_name")), "")
        last = next((r["last_name"] for r in records if r.get("last_name")), "")
        index = self._new_person(Person(emails, phones, len(records), first, last))
        return [self.add_record(index, **r) for r in records]

    def seed(self, emails: Iterable[str], telephones: Iterable[str]) -> None:
        """Add a person with one record per email and one per telephone.

        Telephones are stored in the vendor's form where it can be told
        (``vendor_telephone``: ``+44 7700 900123`` -> ``447700900123``).
        """
        people = [Person((e,), (), 1, "Test", f"Email{i}") for i, e in enumerate(emails)]
        people += [
            Person((), (vendor_telephone(p),), 1, "Test", f"Phone{i}")
            for i, p in enumerate(telephones)
        ]
        self.seed_people(people)

    def seed_people(self, people: Iterable[Person]) -> None:
        """Add every person of ``people``, in order."""
        for person in people:
            self.add_person(person)

    def _new_person(self, person: Person) -> int:
        self.people.append(person)
        return len(self.people) - 1

    def _index(self, record: Record) -> None:
        if record.email.strip():
            self._by_email.setdefault(email_identity(record.email), []).append(record)
        # A telephone without digits can never be asked for: it is not indexed.
        phone = record.sms_telephone.strip()
        if any(c.isdigit() for c in phone):
            self._by_phone.setdefault(phone, []).append(record)

    # -- reading -----------------------------------------------------------------

    def all_records(self) -> list[Record]:
        """Every record ever added, in order (anonymized ones included); a copy."""
        return list(self._records)

    @property
    def contacts(self) -> list[Record]:
        """``all_records()``, under the name it had before people existed."""
        return self.all_records()

    def records_of(self, person: int) -> list[Record]:
        """Every record of the person at index ``person``, anonymized ones included."""
        return [r for r in self._records if r.person == person]

    def find(self, key_type: str, key: str) -> list[Record]:
        """The records (not yet anonymized) that ``key`` matches; a copy.

        ``key_type`` is ``email``; anything else is looked up as a telephone,
        exactly (only surrounding space is ignored).
        """
        if key_type == "email":
            return list(self._by_email.get(email_identity(key), ()))
        return list(self._by_phone.get(key.strip(), ()))

    # -- changing ----------------------------------------------------------------

    def anonymize(self, key_type: str, key: str) -> int:
        """Overwrite every record of ``key`` as the vendor does; return how many."""
        if key_type == "email":
            found = self._by_email.pop(email_identity(key), [])
        else:
            found = self._by_phone.pop(key.strip(), [])
        for record in found:
            # The record no longer matches by its other key either.
            if key_type == "email":
                _discard(self._by_phone.get(record.sms_telephone.strip()), record)
            else:
                _discard(self._by_email.get(email_identity(record.email)), record)
            self._overwrite(record)
        return len(found)

    def _overwrite(self, r: Record) -> None:
        """The vendor's overwrite, field by field, as its page lists it."""
        r.email = f"anon-{self._rng.getrandbits(48):012x}@example.net"
        r.first_name = r.last_name = r.sms_telephone = "***"
        r.number_customergauge = r.follow_up = "***"
        r.job_level, r.job_position = "*", "--"
        for name in COMMENT_FIELDS:
            setattr(r, name, ANONYMISED_COMMENT)
        r.anonymized = True


def _discard(records: list[Record] | None, record: Record) -> None:
    if records and record in records:
        records.remove(record)
