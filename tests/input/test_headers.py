"""Reading headers: their words, what they say about a column, the request-id and date headers."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch_anonymizer.core.records import KeyType
from batch_anonymizer.input.headers import (
    DATE_RECEIVED_HEADERS,
    REQUEST_ID_HEADERS,
    HeaderKind,
    find_by_header,
    header_words,
    may_hold_keys,
    names_key,
    read_header,
)

EMAIL, PHONE = KeyType.EMAIL, KeyType.TELEPHONE


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("Work Email", ("work", "email")),
        ("PERSONAL_EMAIL", ("personal", "email")),
        ("sms_telephone", ("sms", "telephone")),
        ("MobilePhone", ("mobile", "phone")),
        ("Mobile Phone Number", ("mobile", "phone", "number")),
        ("E-mail address (work)", ("email", "address", "work")),
        ("e mail", ("email",)),
        ("eMail2", ("email", "2")),
        ("EMail", ("email",)),
        ("SMSNumber", ("sms", "number")),
        ("emailaddress", ("email", "address")),
        ("mobilephonenumber", ("mobile", "phone", "number")),
        ("telephonenumber", ("telephone", "number")),
        ("phoneno", ("phone", "no")),
        ("emailoptin", ("email", "optin")),
        ("userid", ("user", "id")),
        ("HasOptedOutOfEmail", ("has", "opted", "out", "of", "email")),
        ("EMAIL_VERIFIED_AT", ("email", "verified", "at")),
        ("  Tel.  ", ("tel",)),
        # run-together words are split only into words that decide something
        ("MailingStreet", ("mailing", "street")),
        ("mailingstreet", ("mailingstreet",)),
        ("intel", ("intel",)),
        ("Voicemail", ("voicemail",)),
        ("Hotel", ("hotel",)),
        ("", ()),
        ("---", ()),
    ],
)
def test_header_words(header: str, words: tuple[str, ...]) -> None:
    assert header_words(header) == words


@pytest.mark.parametrize(
    ("header", "kind", "types", "words"),
    [
        # a key, and nothing else
        ("Email", HeaderKind.KEY, (EMAIL,), ()),
        ("E-mail", HeaderKind.KEY, (EMAIL,), ()),
        ("Mail", HeaderKind.KEY, (EMAIL,), ()),
        ("Email address", HeaderKind.KEY, (EMAIL,), ()),
        ("Work Email", HeaderKind.KEY, (EMAIL,), ()),
        ("PREFERRED_EMAIL", HeaderKind.KEY, (EMAIL,), ()),
        ("Email 2", HeaderKind.KEY, (EMAIL,), ()),
        ("Phone", HeaderKind.KEY, (PHONE,), ()),
        ("Telephone", HeaderKind.KEY, (PHONE,), ()),
        ("Tel", HeaderKind.KEY, (PHONE,), ()),
        ("Mobile", HeaderKind.KEY, (PHONE,), ()),
        ("Cell", HeaderKind.KEY, (PHONE,), ()),
        ("SMS", HeaderKind.KEY, (PHONE,), ()),
        ("SMS number", HeaderKind.KEY, (PHONE,), ()),
        ("sms_telephone", HeaderKind.KEY, (PHONE,), ()),
        ("MobilePhone", HeaderKind.KEY, (PHONE,), ()),
        ("HomePhone", HeaderKind.KEY, (PHONE,), ()),
        ("Mobile Phone Number", HeaderKind.KEY, (PHONE,), ()),
        ("Phone #", HeaderKind.KEY, (PHONE,), ()),
        # describes a key: a describing word after the last key word
        ("Email opt-in", HeaderKind.DESCRIBES, (EMAIL,), ("opt", "in")),
        ("Email verified", HeaderKind.DESCRIBES, (EMAIL,), ("verified",)),
        ("Phone type", HeaderKind.DESCRIBES, (PHONE,), ("type",)),
        ("Email bounced", HeaderKind.DESCRIBES, (EMAIL,), ("bounced",)),
        ("Phone consent", HeaderKind.DESCRIBES, (PHONE,), ("consent",)),
        ("Email date", HeaderKind.DESCRIBES, (EMAIL,), ("date",)),
        ("SMS count", HeaderKind.DESCRIBES, (PHONE,), ("count",)),
        ("Phone number type", HeaderKind.DESCRIBES, (PHONE,), ("type",)),
        ("EmailBouncedReason", HeaderKind.DESCRIBES, (EMAIL,), ("bounced", "reason")),
        ("Email Domain", HeaderKind.DESCRIBES, (EMAIL,), ("domain",)),
        ("IsEmailBounced", HeaderKind.DESCRIBES, (EMAIL,), ("bounced",)),
        # a doubt: unknown words, or a describing word before the key word
        ("Billing contact email (legacy)", HeaderKind.DOUBT, (EMAIL,), ("legacy",)),
        ("Verified email", HeaderKind.DOUBT, (EMAIL,), ("verified",)),
        ("HasOptedOutOfEmail", HeaderKind.DOUBT, (EMAIL,), ("has", "opted", "out", "of")),
        ("Email ID", HeaderKind.DOUBT, (EMAIL,), ("id",)),
        ("Email or phone", HeaderKind.DOUBT, (EMAIL, PHONE), ("or",)),
        ("Email/SMS", HeaderKind.KEY, (EMAIL, PHONE), ()),
        # someone else's key, a fax
        ("Owner Email", HeaderKind.OTHER_PERSON, (EMAIL,), ("owner",)),
        ("AssistantPhone", HeaderKind.OTHER_PERSON, (PHONE,), ("assistant",)),
        ("Created By Email", HeaderKind.OTHER_PERSON, (EMAIL,), ("by",)),
        ("Emergency contact phone", HeaderKind.OTHER_PERSON, (PHONE,), ("emergency",)),
        ("Fax", HeaderKind.FAX, (PHONE,), ("fax",)),
        ("Business Fax Number", HeaderKind.FAX, (PHONE,), ("fax",)),
        ("Phone/Fax", HeaderKind.FAX, (PHONE,), ("fax",)),
        # identifiers, which may hold emails
        ("Core Identifier", HeaderKind.IDENTIFIER, (EMAIL,), ()),
        ("Identifier", HeaderKind.IDENTIFIER, (EMAIL,), ()),
        ("User ID", HeaderKind.IDENTIFIER, (EMAIL,), ()),
        ("CONTACT_ID", HeaderKind.IDENTIFIER, (EMAIL,), ()),
        ("UserId", HeaderKind.IDENTIFIER, (EMAIL,), ()),
        # not about keys at all
        ("Request ID", HeaderKind.NONE, (), ()),
        ("Owner ID", HeaderKind.NONE, (), ()),
        ("Id", HeaderKind.NONE, (), ()),
        ("AccountId", HeaderKind.NONE, (), ()),
        ("MailingCity", HeaderKind.NONE, (), ()),
        ("Mailing address", HeaderKind.NONE, (), ()),
        ("Name", HeaderKind.NONE, (), ()),
        ("Data Subject Type", HeaderKind.NONE, (), ()),
        ("DoNotCall", HeaderKind.NONE, (), ()),
        ("Created At", HeaderKind.NONE, (), ()),
        ("", HeaderKind.NONE, (), ()),
    ],
)
def test_what_a_header_says(
    header: str, kind: HeaderKind, types: tuple[KeyType, ...], words: tuple[str, ...]
) -> None:
    reading = read_header(header)
    assert (reading.kind, reading.key_types, reading.words) == (kind, types, words)


def test_header_rows_are_found_by_plain_key_headers_only() -> None:
    assert [names_key(h) for h in ("PERSONAL_EMAIL", "Mobile Phone Number", "Email")] == [
        True,
        True,
        True,
    ]
    # a title row such as "Erasure requests - mobile app" must not pass for the header
    assert not names_key("Erasure requests - mobile app")
    assert not names_key("Email opt-in report")
    assert not names_key("Core Identifier")
    # but every column that may become a key column without being named counts for a sheet
    assert [may_hold_keys(h) for h in ("Core Identifier", "Billing email (old)", "Email")] == [
        True,
        True,
        True,
    ]
    assert [may_hold_keys(h) for h in ("Email opt-in", "Fax", "Owner Email", "Name")] == [
        False,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize(
    "header",
    [
        *("Request ID", "request_id", "REQUEST-ID", "Request", "Ticket", "Ticket ID", "Case ID"),
        *("Reference", "DSR ID", "dsr_id", "DSRID"),
    ],
)
def test_request_id_headers(header: str) -> None:
    assert find_by_header(["Name", header, "Email"], REQUEST_ID_HEADERS) == header


@pytest.mark.parametrize(
    "header",
    [
        *("Created At", "created_at", "Created", "Submitted", "Submitted At", "Date Submitted"),
        *("Request Date", "Date received", "Received", "Date of request", "Received on"),
    ],
)
def test_date_received_headers(header: str) -> None:
    assert find_by_header(["Email", header], DATE_RECEIVED_HEADERS) == header


def test_the_most_telling_header_wins_whatever_the_column_order() -> None:
    cols = ["Created At", "Request", "Date received", "Request ID", "Email"]
    assert find_by_header(cols, DATE_RECEIVED_HEADERS) == "Date received"
    assert find_by_header(cols, REQUEST_ID_HEADERS) == "Request ID"
    assert find_by_header(["Created", "Submitted At"], DATE_RECEIVED_HEADERS) == "Submitted At"
    assert (
        find_by_header(["Request Type", "Updated At", "CreatedDate"], DATE_RECEIVED_HEADERS) is None
    )
    assert find_by_header(["Request Type", "Requester"], REQUEST_ID_HEADERS) is None


@given(st.text(max_size=40))
def test_any_header_is_read_without_error(header: str) -> None:
    reading = read_header(header)
    assert isinstance(reading.kind, HeaderKind)
    assert all(w == w.casefold() for w in header_words(header))


def test_a_run_together_header_of_any_length_is_read_without_recursion() -> None:
    # phone x 1200 recursed 1200 deep (RecursionError); past 64 letters it stays one word
    assert read_header("phone" * 1200).kind is HeaderKind.NONE
    assert header_words("phone" * 12) == ("phone",) * 12
    assert header_words("mobilephonenumber") == ("mobile", "phone", "number")


@pytest.mark.parametrize(
    "header",
    ["x" * 2_000_000, "Phone" * 400_000, "phone " * 400_000, "a" + " " * 1_000_000 + "b"],
)
def test_a_header_of_megabytes_is_read_at_once(header: str) -> None:
    # splitting was quadratic (200k characters 6.7 s, 2 MB over a minute): a few ms now
    start = time.perf_counter()
    read_header(header)
    assert time.perf_counter() - start < 1.5


@settings(deadline=None)
@given(
    st.lists(
        st.sampled_from(["phone", "email", "mobile", "number", "no", "id", "user", "x", "in"]),
        max_size=30,
    ).map("".join)
    | st.text(alphabet="Pp hone-_\u200b\xa0Ee mail2", max_size=300)
)
def test_any_run_of_header_words_is_read_without_error(header: str) -> None:
    reading = read_header(header)
    assert isinstance(reading.kind, HeaderKind)
    assert len(header_words(header)) <= len(header)
