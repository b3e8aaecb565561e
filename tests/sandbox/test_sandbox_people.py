"""People with several records, the vendor's overwrite and the vendor's matching, over HTTP."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from sandbox_helpers import OK_JSON, call, post, run_sandbox

from batch_anonymizer.sandbox import Person, Record, Sandbox, SandboxThread

COMMENT = "This comment has been anonymised based on customer request"
# Every field and what the vendor's page says it becomes; written out, not read
# from the store, so a field the overwrite forgets fails here.
OVERWRITTEN = {
    "first_name": "***",
    "last_name": "***",
    "sms_telephone": "***",
    "number_customergauge": "***",
    "follow_up": "***",
    "job_level": "*",
    "job_position": "--",
    "nps_comment": COMMENT,
    "comment_translation": COMMENT,
    "workflow_comment": COMMENT,
    "auto_reply": COMMENT,
    "review_comment": COMMENT,
    "additional_comment": COMMENT,
}
NOT_OVERWRITTEN = {"email", "person", "anonymized"}  # email: a random address, checked apart


def snapshot(records: list[Record]) -> list[dict[str, object]]:
    return [dataclasses.asdict(r) for r in records]


@pytest.fixture
def people() -> Iterator[SandboxThread]:
    """Ann: one email, one telephone, three records; Bob: two emails, three records."""
    with run_sandbox() as thread:
        thread.sandbox.seed_people(
            [
                Person(["Ann@Example.com"], ["447700900131"], 3, "Ann", "Lee"),
                Person(["bob@example.org", "rob@example.org"], [], 3, "Bob", "Ray"),
            ]
        )
        yield thread


def test_a_person_has_several_records_and_each_holds_the_persons_keys(
    people: SandboxThread,
) -> None:
    box = people.sandbox
    records = box.store.all_records()
    assert [(r.person, r.email, r.sms_telephone) for r in records] == [
        (0, "Ann@Example.com", "447700900131"),
        (0, "Ann@Example.com", "447700900131"),
        (0, "Ann@Example.com", "447700900131"),
        (1, "bob@example.org", ""),
        (1, "rob@example.org", ""),
        (1, "bob@example.org", ""),
    ]
    assert [r.number_customergauge for r in records] == [str(100001 + i) for i in range(6)]
    assert box.store.records_of(1) == records[3:]
    assert len(box.records_for("email", "bob@example.org")) == 2
    assert len(box.records_for("email", "rob@example.org")) == 1


def test_anonymizing_overwrites_every_field_of_every_matching_record(
    people: SandboxThread,
) -> None:
    box = people.sandbox
    assert set(OVERWRITTEN) | NOT_OVERWRITTEN == {f.name for f in dataclasses.fields(Record)}
    bob_before = snapshot(box.store.records_of(1))
    got = post(people.url, email="ann@example.com")
    assert (got.status, got.json()) == (200, OK_JSON)
    assert [(e.outcome, e.records) for e in box.posts()] == [("anonymized", 3)]
    ann = box.store.records_of(0)
    for r in ann:
        assert {name: getattr(r, name) for name in OVERWRITTEN} == OVERWRITTEN
        assert r.email.endswith("@example.net") and "ann" not in r.email.lower()
        assert (r.person, r.anonymized) == (0, True)
    assert len({r.email for r in ann}) == 3  # a random address per record
    assert snapshot(box.store.records_of(1)) == bob_before  # the other person untouched


def test_an_anonymized_record_matches_neither_key(people: SandboxThread) -> None:
    assert post(people.url, telephone="447700900131").status == 200
    assert people.sandbox.records_for("email", "ann@example.com") == []
    for params in ({"email": "ann@example.com"}, {"telephone": "447700900131"}):
        assert call(people.url, "GET", params=params).json() == {"Data": []}
    again = post(people.url, email="Ann@Example.com")
    assert again.status == 400
    assert [(e.outcome, e.records) for e in people.sandbox.posts()] == [
        ("anonymized", 3),
        ("no_match", 0),
    ]


def test_one_of_a_persons_emails_changes_only_the_records_holding_it(
    people: SandboxThread,
) -> None:
    box = people.sandbox
    assert post(people.url, email="rob@example.org").status == 200
    assert [r.anonymized for r in box.store.records_of(1)] == [False, True, False]
    assert len(box.records_for("email", "bob@example.org")) == 2


@pytest.mark.parametrize(
    "sent",
    [
        "+44 7700 900131",
        "+447700900131",
        "0044 7700 900131",
        "44 7700 900131",
        "07700 900131",
        "(44) 7700900131",
        "4477009001310",
        "47700900131",
    ],
)
def test_a_telephone_in_another_form_matches_nothing(people: SandboxThread, sent: str) -> None:
    box = people.sandbox
    before = snapshot(box.store.all_records())
    assert call(people.url, "GET", params={"telephone": sent}).json() == {"Data": []}
    got = post(people.url, telephone=sent)
    assert (got.status, got.json()["Error"]["Code"]) == (400, 300005)
    assert snapshot(box.store.all_records()) == before
    assert box.posts()[0].outcome == "no_match"


def test_a_telephone_in_the_vendors_form_matches_surrounding_space_ignored(
    people: SandboxThread,
) -> None:
    listed = call(people.url, "GET", params={"telephone": " 447700900131 "}).json()["Data"]
    assert [r["sms_telephone"] for r in listed] == ["447700900131"] * 3
    assert post(people.url, telephone="447700900131").status == 200
    assert people.sandbox.posts()[0].records == 3


@pytest.mark.parametrize("sent", ["ann@example.com", "ANN@EXAMPLE.COM", "  Ann@Example.com "])
def test_emails_match_ignoring_case_and_surrounding_space(people: SandboxThread, sent: str) -> None:
    listed = call(people.url, "GET", params={"email": sent}).json()["Data"]
    assert [r["email"] for r in listed] == ["Ann@Example.com"] * 3  # as stored
    assert post(people.url, email=sent).status == 200
    assert people.sandbox.posts()[0].records == 3


def test_the_lookup_lists_the_live_records_and_changes_nothing(people: SandboxThread) -> None:
    box = people.sandbox
    before = snapshot(box.store.all_records())
    for _ in range(2):
        got = call(people.url, "GET", params={"email": "bob@example.org"})
        assert got.status == 200
        assert got.json() == {
            "Data": [
                {
                    "first_name": "Bob",
                    "last_name": "Ray",
                    "email": "bob@example.org",
                    "sms_telephone": "",
                    "number_customergauge": number,
                }
                for number in ("100004", "100006")
            ]
        }
    xml = call(people.url, "GET", path="/v4.1/anonymize.xml", params={"email": "rob@example.org"})
    assert xml.headers["Content-Type"].startswith("application/xml")
    assert xml.text == (
        "<Data><record><first_name>Bob</first_name><last_name>Ray</last_name>"
        "<email>rob@example.org</email><sms_telephone></sms_telephone>"
        "<number_customergauge>100005</number_customergauge></record></Data>"
    )
    assert snapshot(box.store.all_records()) == before
    assert box.posts() == []
    assert [(e.method, e.status, e.outcome, e.records) for e in box.lookups()] == [
        ("GET", 200, "lookup", 2),
        ("GET", 200, "lookup", 2),
        ("GET", 200, "lookup", 1),
    ]
    assert len(box.lookups_for("BOB@example.org")) == 2


def test_the_lookup_needs_the_same_credentials_as_the_post(people: SandboxThread) -> None:
    for headers in ({}, {"Authorization": "api_key wrong"}):
        got = call(people.url, "GET", params={"email": "bob@example.org"}, headers=headers)
        assert (got.status, got.json()["Error"]["Code"]) == (401, 200000)
    assert [e.outcome for e in people.sandbox.lookups()] == ["unauthorized"] * 2


def test_seed_stores_telephones_in_the_vendors_form() -> None:
    with run_sandbox() as thread:
        thread.sandbox.seed([], ["+44 7700 900132", "+1 (202) 555-0110", "07700 900133"])
        stored = [r.sms_telephone for r in thread.sandbox.contacts]
        # a national number has no country code to add: kept as written
        assert stored == ["447700900132", "12025550110", "07700 900133"]
        assert post(thread.url, telephone="12025550110").status == 200
        assert post(thread.url, telephone="+1 202 555 0110").status == 400


def test_add_record_sets_any_vendor_field_and_refuses_what_it_cannot_hold() -> None:
    box = Sandbox()
    first = box.add_record(email="a@example.com", sms_telephone="12025550155", job_level="VP")
    second = box.add_record(0, email="a@example.com", review_comment="Fine")
    assert (first.person, first.job_level, second.review_comment) == (0, "VP", "Fine")
    assert box.store.people[0].emails == ("a@example.com",)
    assert box.store.records_of(0) == [first, second]
    with pytest.raises(ValueError, match="no person 3"):
        box.add_record(3, email="b@example.com")
    with pytest.raises(TypeError, match="unknown record field"):
        box.add_record(email="b@example.com", phone="12025550156")
    assert len(box.contacts) == 2
