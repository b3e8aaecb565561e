"""Matching and overwriting contacts, seen over loopback HTTP."""

from __future__ import annotations

import pytest
from sandbox_helpers import OK_JSON, call, post, run_sandbox, seeded_sandbox

from batch_anonymizer.sandbox import Sandbox, SandboxThread
from batch_anonymizer.sandbox.store import ContactStore

sbx = pytest.fixture(seeded_sandbox, name="sbx")


def test_success_then_the_same_key_no_longer_matches(sbx: SandboxThread) -> None:
    first = post(sbx.url, email="ann@example.com")
    assert first.status == 200
    assert first.json() == OK_JSON
    assert first.headers["Content-Type"].startswith("application/json")
    second = post(sbx.url, email="ann@example.com")
    assert (second.status, second.json()) == (
        400,
        {"Error": {"Message": "No records found", "Code": 300005}},
    )
    assert [(e.status, e.outcome, e.records) for e in sbx.sandbox.posts()] == [
        (200, "anonymized", 1),
        (400, "no_match", 0),
    ]


def test_every_matching_record_is_overwritten_as_the_vendor_does() -> None:
    with run_sandbox() as thread:
        box = thread.sandbox
        box.add_contact(email="Jo@Example.com", telephone="12025550101", first_name="Jo")
        box.add_contact(email="jo@example.com", first_name="Jo", last_name="Two")
        box.add_contact(email="other@example.com", first_name="Kim")
        got = post(thread.url, email="JO@example.COM")
        assert got.status == 200
        assert thread.sandbox.posts()[0].records == 2
        # anonymized by email, so no longer found by its telephone either
        assert thread.sandbox.find("telephone", "12025550101") == []
        assert post(thread.url, telephone="12025550101").status == 400
    jo1, jo2, kim = box.contacts
    for c in (jo1, jo2):
        assert c.anonymized
        assert c.email.endswith("@example.net") and "jo" not in c.email
        assert (c.first_name, c.last_name, c.sms_telephone, c.number_customergauge) == ("***",) * 4
        assert (c.job_level, c.job_position) == ("*", "--")
        assert c.nps_comment == "This comment has been anonymised based on customer request"
    assert jo1.email != jo2.email
    assert (kim.first_name, kim.anonymized) == ("Kim", False)


def test_telephone_matches_only_in_the_vendors_stored_form(sbx: SandboxThread) -> None:
    # Seeded as "+44 7700 900123", stored as the vendor stores it: 447700900123.
    assert [r.sms_telephone for r in sbx.sandbox.contacts] == ["", "447700900123"]
    assert post(sbx.url, telephone="+44 7700-900-123").status == 400
    assert post(sbx.url, telephone="+447700900123").status == 400
    assert post(sbx.url, telephone="447700900123").status == 200
    assert [(e.outcome, e.records) for e in sbx.sandbox.posts()] == [
        ("no_match", 0),
        ("no_match", 0),
        ("anonymized", 1),
    ]


def test_precheck_lists_without_changing(sbx: SandboxThread) -> None:
    sbx.sandbox.add_contact(email="ANN@example.com", first_name="Ann", last_name="Lee")
    got = call(sbx.url, "GET", params={"email": "Ann@Example.com"})
    assert got.status == 200
    rows = got.json()["Data"]
    assert [r["last_name"] for r in rows] == ["Email0", "Lee"]
    assert set(rows[0]) == {
        "first_name",
        "last_name",
        "email",
        "sms_telephone",
        "number_customergauge",
    }
    assert rows[1]["email"] == "ANN@example.com"
    assert not any(c.anonymized for c in sbx.sandbox.contacts)
    none = call(sbx.url, "GET", params={"email": "nobody@example.com"})
    assert (none.status, none.json()) == (200, {"Data": []})
    xml = call(sbx.url, "GET", path="/v4.1/anonymize.xml", params={"telephone": "447700900123"})
    assert xml.text.startswith("<Data><record><first_name>Test</first_name>")
    assert call(sbx.url, "GET", params={"email": "ann@example.com"}, headers={}).status == 401
    entries = [(e.method, e.outcome, e.records) for e in sbx.sandbox.log]
    assert entries[:3] == [("GET", "lookup", 2), ("GET", "lookup", 0), ("GET", "lookup", 1)]
    assert sbx.sandbox.posts() == []  # a pre-check is not a POST


# -- the store on its own ---------------------------------------------------------


def test_store_finds_emails_ignoring_case_and_surrounding_space() -> None:
    store = ContactStore()
    ann = store.add(email="Ann@Example.com", first_name="Ann")
    assert store.find("email", "  ann@EXAMPLE.com ") == [ann]
    assert store.find("email", "ann@example.org") == []
    assert store.find("telephone", "Ann@Example.com") == []  # an email is not a telephone


@pytest.mark.parametrize(
    "asked", ["+44 7700 900123", "+447700900123", "0044 7700 900123", "44 7700 900123", "4477"]
)
def test_store_finds_a_telephone_only_as_stored(asked: str) -> None:
    store = ContactStore()
    contact = store.add(telephone="447700900123")
    assert store.find("telephone", " 447700900123 ") == [contact]  # only the space around
    assert store.find("telephone", asked) == []
    assert store.anonymize("telephone", asked) == 0
    assert not contact.anonymized


def test_store_keeps_a_telephone_as_given_and_finds_exactly_that() -> None:
    # The store does not rewrite what it is given: a record stored in another form
    # is found only by that same text (a vendor account with a bad import).
    store = ContactStore()
    contact = store.add(telephone="+44 7700 900125")
    assert store.find("telephone", "+44 7700 900125") == [contact]
    assert store.find("telephone", "447700900125") == []


def test_store_a_telephone_without_digits_is_never_found() -> None:
    store = ContactStore()
    store.add(telephone="n/a", first_name="Nobody")
    assert store.find("telephone", "--") == []
    assert store.anonymize("telephone", "n/a") == 0
    assert len(store.contacts) == 1 and not store.contacts[0].anonymized


def test_store_seed_adds_one_numbered_record_per_key() -> None:
    store = ContactStore()
    store.seed(["a@example.com", "b@example.com"], ["+1 202 555 0101"])
    assert [(c.last_name, c.number_customergauge) for c in store.contacts] == [
        ("Email0", "100001"),
        ("Email1", "100002"),
        ("Phone0", "100003"),
    ]
    # seed stores telephones in the vendor's form
    assert [c.sms_telephone for c in store.contacts] == ["", "", "12025550101"]
    assert [c.person for c in store.contacts] == [0, 1, 2]
    assert {c.first_name for c in store.contacts} == {"Test"}


def test_store_anonymized_by_telephone_no_longer_matches_by_email() -> None:
    store = ContactStore()
    both = store.add(email="kim@example.com", telephone="12025550102")
    other = store.add(email="kim@example.com")
    assert store.anonymize("telephone", "12025550102") == 1
    assert both.anonymized and not other.anonymized
    assert store.find("email", "kim@example.com") == [other]
    assert store.anonymize("telephone", "12025550102") == 0


def test_store_listing_shows_what_the_precheck_shows() -> None:
    store = ContactStore()
    c = store.add(email="lee@example.com", telephone="+1 202 555 0103", first_name="Lee")
    assert c.listing() == {
        "first_name": "Lee",
        "last_name": "",
        "email": "lee@example.com",
        "sms_telephone": "+1 202 555 0103",
        "number_customergauge": "100001",
    }
    found = store.find("email", "lee@example.com")
    found.clear()  # a copy: the caller cannot change the index
    assert store.find("email", "lee@example.com") == [c]


def test_store_anonymized_addresses_follow_the_seed() -> None:
    def addresses(seed: int) -> list[str]:
        store = ContactStore(seed)
        store.seed(["a@example.com", "a@example.com"], [])
        store.anonymize("email", "a@example.com")
        return [c.email for c in store.contacts]

    first = addresses(1)
    assert first == addresses(1)
    assert first != addresses(2)
    assert len(set(first)) == 2 and all(e.endswith("@example.net") for e in first)


def test_sandbox_contacts_are_the_stores_records() -> None:
    box = Sandbox()
    box.add_contact(email="mo@example.com", telephone="447700900126", first_name="Mo")
    (mo,) = box.contacts
    assert box.find("telephone", "447700900126") == [mo]
    assert box.records_for("telephone", "447700900126") == [mo]
    assert box.store.all_records() == [mo]
    assert box.anonymize("email", "MO@example.com") == 1
    assert box.contacts[0].anonymized
